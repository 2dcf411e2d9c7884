"""Leximin selection by column generation (Flanigan et al., Nature 2021), on HiGHS.

Interchangeable people are merged into units first (`sortition.units`): a leximin optimum
gives them equal probabilities, so the LP needs one row per unit, and the integer program
one integer variable per unit instead of one binary per person. A panel is a composition
(seats per unit); compositions are expanded into person panels at the end.

The master LP has one variable per known composition and maximises the smallest selection
probability z of the units not yet settled, keeping settled units at their values:

    max z  s.t.  sum_P (c_Pu / s_u) x_P >= z    (u unsettled; s_u people, c_Pu seats)
                 sum_P (c_Pu / s_u) x_P >= p_u  (u settled)
                 sum_P x_P <= 1,  x >= 0

Its duals y_u price new panels: a panel with sum_u c_Pu y_u / s_u above the dual of the
last row improves the LP. Pricing first tries swaps of one or two seats from the panels in
use (`sortition.neighbours`), then randomized greedy panels, then an exact integer
program that stops at its first improving panel; only a proof that none exists ends a
level. Then every unit with a positive dual is settled at z (it is at z in every optimal
solution) and the next level is maximised. A level also ends at once when z reaches the
even share of the probability left (nobody unsettled can all do better than that); when
the pool splits evenly into valid panels (`sortition.partition`), the first level ends
with everyone at k / n.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import highspy
import numpy as np

from sortition.feasibility import ensure_feasible
from sortition.greedy import GreedyBuilder
from sortition.model import BoolArray, FloatArray, IntArray, Person, Problem, Quota, compile_problem
from sortition.neighbours import Neighbours
from sortition.partition import even_partition
from sortition.result import Distribution, Progress, ProgressCallback, build_distribution
from sortition.search import PanelSearch, new_highs
from sortition.units import (
    Composition,
    Units,
    build_units,
    composition_of,
    counts_to_composition,
    expand,
)

PRICE_TOL = 1e-9
FIX_TOL = 1e-7
SEED_ROUNDS = 4
ENOUGH = 0.0
LOCAL_STARTS = 8
BATCH = 8
BOUND_TOL = 1e-9


class Master:
    """The restricted master LP, kept alive across iterations so HiGHS can warm-start.

    Rows are per free unit (all its members share one probability: expected seats / size).
    Column 0 is z; columns 1..f are t_u (one per free unit); then one column per panel.
    Unit rows read sum_P (c_Pu / s_u) x_P - t_u >= 0, link rows t_u - z >= 0, the last row
    sum_P x_P <= 1. Settling unit u frees its link row and bounds t_u below by its value:
    only bounds change, so HiGHS keeps its basis (changing matrix coefficients would make
    every later solve start afresh).
    """

    def __init__(self, units: Units) -> None:
        self.free_idx = np.flatnonzero(units.free)
        nf = len(self.free_idx)
        self.row_of = np.full(units.count, -1, dtype=np.int64)
        self.row_of[self.free_idx] = np.arange(nf)
        self.inv_size = 1.0 / units.size
        self.sum_row = 2 * nf
        h = new_highs()
        h.setOptionValue("simplex_strategy", 4)
        inf = highspy.kHighsInf
        h.addVars(nf + 1, np.zeros(nf + 1), np.full(nf + 1, inf))
        h.changeColCost(0, 1.0)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        t_cols = np.arange(1, nf + 1, dtype=np.int32)
        h.addRows(
            nf,
            np.zeros(nf),
            np.full(nf, inf),
            nf,
            np.arange(nf, dtype=np.int32),
            t_cols,
            np.full(nf, -1.0),
        )
        link_index = np.ravel(np.column_stack([t_cols, np.zeros(nf, dtype=np.int32)]))
        link_value = np.tile([1.0, -1.0], nf)
        h.addRows(
            nf,
            np.zeros(nf),
            np.full(nf, inf),
            2 * nf,
            np.arange(0, 2 * nf, 2, dtype=np.int32),
            link_index.astype(np.int32),
            link_value,
        )
        h.addRow(-inf, 1.0, 0, np.array([], dtype=np.int32), np.array([]))
        self.nf = nf
        self.h = h
        self.units = units
        self.panels: list[Composition] = []
        self.known: set[Composition] = set()

    def add(self, panel: Composition) -> bool:
        """Add a panel (a composition) as a column; False if it was known already."""
        if panel in self.known:
            return False
        self.known.add(panel)
        self.panels.append(panel)
        unit = np.array([u for u, _ in panel], dtype=np.int64)
        seats = np.array([c for _, c in panel], dtype=np.float64)
        rows = self.row_of[unit]
        keep = rows >= 0
        index = np.append(rows[keep], self.sum_row).astype(np.int32)
        value = np.append(seats[keep] * self.inv_size[unit[keep]], 1.0)
        self.h.addCol(0.0, 0.0, highspy.kHighsInf, len(index), index, value)
        return True

    def solve(self) -> tuple[float, FloatArray, float]:
        """Optimise; return z, the duals y per unit (0 for forced units) and the sum-row dual."""
        self.h.run()
        sol = self.h.getSolution()
        duals = np.abs(np.asarray(sol.row_dual))
        y = np.zeros(self.units.count)
        y[self.free_idx] = duals[: self.nf]
        return float(np.asarray(sol.col_value)[0]), y, float(duals[self.sum_row])

    def settle(self, unit_rows: IntArray, value: float) -> None:
        """Keep these units at least at `value` from now on instead of tying them to z."""
        inf = highspy.kHighsInf
        for r in unit_rows:
            self.h.changeRowBounds(int(self.nf + r), -inf, inf)
            self.h.changeColBounds(int(1 + r), max(0.0, value - 1e-9), inf)

    def weights(self) -> list[float]:
        """Current weight of every panel column."""
        return list(np.asarray(self.h.getSolution().col_value)[1 + self.nf :])


class Leximin:
    """One leximin run over units; see the module docstring."""

    def __init__(self, problem: Problem, progress: ProgressCallback | None) -> None:
        self.p = problem
        self.u = build_units(problem)
        self.progress = progress
        self.master = Master(self.u)
        self.greedy = GreedyBuilder(problem)
        self.search = PanelSearch(problem, self.u)
        self.neighbours = Neighbours(problem, self.u)
        self.rng = np.random.default_rng(20210801)
        self.unsettled: BoolArray = self.u.free.copy()
        self.value = np.zeros(self.u.count)
        self.z = 0.0
        # Probability mass the free people share: k minus the seats of must people.
        self.free_mass = float(problem.k - int(problem.must.sum()))

    def person_scores(self, unit_scores: FloatArray) -> FloatArray:
        """Per-person scores from per-unit scores."""
        return unit_scores[self.u.unit_of]

    def add_panel(self, panel: IntArray) -> bool:
        """Add a person panel to the master as its composition."""
        return self.master.add(composition_of(self.u, panel))

    def add_counts(self, counts: IntArray) -> bool:
        """Add a vector of seats per unit to the master."""
        return self.master.add(counts_to_composition(counts))

    def seed(self) -> None:
        """Start with diverse panels that together cover every unit that can be selected."""
        n, k = self.p.n, self.p.k
        covered = np.zeros(self.u.count, dtype=bool)
        for part in even_partition(self.p, self.rng) or []:
            self.add_panel(part)
            covered[self.u.unit_of[part]] = True
        for _ in range(SEED_ROUNDS * max(1, n // k)):
            score = self.rng.random(n) + 2.0 * ~covered[self.u.unit_of]
            panel = self.greedy.build(score)
            if panel is not None:
                self.add_panel(panel)
                covered[self.u.unit_of[panel]] = True
            if covered[self.u.free].all() and len(self.master.panels) >= 2 * n // k:
                return
        while True:
            want = (self.u.free & ~covered).astype(np.float64)
            found = self.search.best(want)
            if found is None or found[1] < 0.5:
                return
            self.add_counts(found[0])
            covered[found[0] > 0] = True

    def counts(self, composition: Composition) -> IntArray:
        """Seats per unit of a composition."""
        counts = np.zeros(self.u.count, dtype=np.int64)
        for unit, seats in composition:
            counts[unit] = seats
        return counts

    def local(self, starts: list[IntArray], seat: FloatArray, yhat: float) -> bool:
        """Add the improving panels that swaps from `starts` reach; True if any was new."""
        added = False
        for counts in starts:
            for new in self.neighbours.improve(counts, seat):
                if seat @ new > yhat + PRICE_TOL:
                    added |= self.add_counts(new)
        return added

    def price(self, y: FloatArray, yhat: float) -> bool:
        """Add panels that improve the master LP; False when none exists (LP optimal).

        First swaps from the panels in use (they are worth exactly yhat, so any gain
        improves), then a batch of greedy panels, and only then an exact integer program,
        which stops at the first improving panel (and swaps from it).
        """
        seat = y / self.u.size
        used = [
            c for c, w in zip(self.master.panels, self.master.weights(), strict=True) if w > 1e-9
        ]
        picks = self.rng.permutation(len(used))[:LOCAL_STARTS]
        if self.local([self.counts(used[i]) for i in picks], seat, yhat):
            return True
        added = False
        weight = self.person_scores(seat)
        for _ in range(BATCH):
            panel = self.greedy.build(weight + self.rng.random(self.p.n) * 1e-9)
            if panel is None:
                break
            if self.person_scores(seat)[panel].sum() > yhat + PRICE_TOL:
                added |= self.add_panel(panel)
            weight[panel] *= 0.5
        if added:
            return True
        found = self.search.best(seat, yhat + ENOUGH * max(yhat, 1e-9), yhat + PRICE_TOL)
        if found is None or found[1] <= yhat + PRICE_TOL:
            return False
        added = self.add_counts(found[0])
        for counts in self.search.improving:
            if seat @ counts > yhat + PRICE_TOL and self.search.is_counts(counts):
                added |= self.add_counts(counts)
        added |= self.local([found[0]], seat, yhat)
        return added

    def ceiling(self) -> float:
        """An upper bound on z: the free mass not held by settled units, spread evenly."""
        settled = self.u.free & ~self.unsettled
        rest = self.free_mass - float(self.u.size[settled] @ self.value[settled])
        return rest / float(self.u.size[self.unsettled].sum())

    def level(self) -> None:
        """Maximise the smallest unsettled probability, then settle everyone stuck at it."""
        ceiling = self.ceiling()
        while True:
            z, y, yhat = self.master.solve()
            if z >= ceiling - BOUND_TOL:
                # Everyone left reaches the even share of what is left: all are at z.
                y = np.where(self.unsettled, 1.0, 0.0)
                break
            if not self.price(y, yhat):
                break
        self.z = z
        tight = self.unsettled & (y > FIX_TOL)
        if not tight.any():
            cand = np.where(self.unsettled, y, -1.0)
            tight = np.zeros(self.u.count, dtype=bool)
            tight[int(np.argmax(cand))] = True
        self.master.settle(self.master.row_of[tight], z)
        self.value[tight] = z
        self.unsettled &= ~tight
        self.report()

    def report(self) -> None:
        """Tell the progress callback where we are."""
        if self.progress is not None:
            nfree = int(self.p.free.sum())
            self.progress(
                Progress(
                    panels=len(self.master.panels),
                    fixed=nfree - int(self.u.size[self.unsettled].sum()),
                    people=nfree,
                    min_probability=self.z,
                )
            )

    def run(self) -> Distribution:
        """Seed, then settle level after level until everyone is settled."""
        self.seed()
        self.report()
        while self.unsettled.any():
            self.level()
        panels: dict[tuple[int, ...], float] = {}
        for composition, weight in zip(self.master.panels, self.master.weights(), strict=True):
            if weight > 1e-12:
                for panel, w in expand(self.u, composition, weight).items():
                    panels[panel] = panels.get(panel, 0.0) + w
        return build_distribution(
            "leximin",
            self.p.k,
            self.p.ids,
            list(panels),
            list(panels.values()),
            list(self.p.free),
        )


def leximin(
    people: Sequence[Person],
    quotas: Sequence[Quota],
    k: int,
    *,
    must: Collection[str] = (),
    must_not: Collection[str] = (),
    progress: ProgressCallback | None = None,
) -> Distribution:
    """The leximin distribution over valid panels of size k.

    Maximises the smallest selection probability among the people not forced in or out,
    then the second smallest, and so on. Raises InfeasibleQuotas when no panel exists and
    InvalidInput on inconsistent input. `progress` is called after every settled level.
    """
    problem = compile_problem(people, quotas, k, must, must_not)
    ensure_feasible(problem)
    return Leximin(problem, progress).run()
