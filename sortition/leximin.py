"""Leximin selection by column generation (Flanigan et al., Nature 2021), on HiGHS.

The master LP has one variable per known panel and maximises the smallest selection
probability z of the people not yet settled, keeping settled people at their values:

    max z  s.t.  sum_{P ∋ i} x_P >= z    (i unsettled)
                 sum_{P ∋ i} x_P >= p_i  (i settled)
                 sum_P x_P <= 1,  x >= 0

Its duals y_i price new panels: a panel with sum_{i in P} y_i above the dual of the last
row improves the LP. Pricing first tries randomized greedy panels, then an exact integer
program. When no panel improves, everyone with a positive dual is settled at z (they are at
z in every optimal solution) and the next level is maximised.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import highspy
import numpy as np

from sortition.feasibility import ensure_feasible
from sortition.greedy import GreedyBuilder
from sortition.model import BoolArray, FloatArray, IntArray, Person, Problem, Quota, compile_problem
from sortition.result import Distribution, Progress, ProgressCallback, build_distribution
from sortition.search import PanelSearch, new_highs

PRICE_TOL = 1e-9
FIX_TOL = 1e-7
SEED_ROUNDS = 4
ENOUGH = 0.05
BATCH = 8


class Master:
    """The restricted master LP, kept alive across iterations so HiGHS can warm-start.

    Column 0 is z; columns 1..f are t_i (one per free person); then one column per panel.
    Person rows read sum_P x_P - t_i >= 0, link rows t_i - z >= 0, the last row sum_P x_P <= 1.
    Settling person i frees its link row and bounds t_i below by its value: only bounds
    change, so HiGHS keeps its basis (changing matrix coefficients would make every later
    solve start afresh).
    """

    def __init__(self, problem: Problem) -> None:
        self.free_idx = np.flatnonzero(problem.free)
        nf = len(self.free_idx)
        self.row_of = np.full(problem.n, -1, dtype=np.int64)
        self.row_of[self.free_idx] = np.arange(nf)
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
        self.n = problem.n
        self.panels: list[tuple[int, ...]] = []
        self.known: set[tuple[int, ...]] = set()

    def add(self, panel: IntArray) -> bool:
        """Add a panel as a column; False if it was known already."""
        key = tuple(int(i) for i in panel)
        if key in self.known:
            return False
        self.known.add(key)
        self.panels.append(key)
        rows = self.row_of[panel]
        rows = np.append(rows[rows >= 0], self.sum_row).astype(np.int32)
        self.h.addCol(0.0, 0.0, highspy.kHighsInf, len(rows), rows, np.ones(len(rows)))
        return True

    def solve(self) -> tuple[float, FloatArray, float]:
        """Optimise; return z, the duals y per person (0 for forced people) and the sum-row dual."""
        self.h.run()
        sol = self.h.getSolution()
        duals = np.abs(np.asarray(sol.row_dual))
        y = np.zeros(self.n)
        y[self.free_idx] = duals[: self.nf]
        return float(np.asarray(sol.col_value)[0]), y, float(duals[self.sum_row])

    def settle(self, person_rows: IntArray, value: float) -> None:
        """Keep these people at least at `value` from now on instead of tying them to z."""
        inf = highspy.kHighsInf
        for r in person_rows:
            self.h.changeRowBounds(int(self.nf + r), -inf, inf)
            self.h.changeColBounds(int(1 + r), max(0.0, value - 1e-9), inf)

    def weights(self) -> list[float]:
        """Current weight of every panel column."""
        return list(np.asarray(self.h.getSolution().col_value)[1 + self.nf :])


class Leximin:
    """One leximin run; see the module docstring."""

    def __init__(self, problem: Problem, progress: ProgressCallback | None) -> None:
        self.p = problem
        self.progress = progress
        self.master = Master(problem)
        self.greedy = GreedyBuilder(problem)
        self.search = PanelSearch(problem)
        self.rng = np.random.default_rng(20210801)
        self.unsettled: BoolArray = problem.free.copy()
        self.z = 0.0

    def seed(self) -> None:
        """Start with diverse panels that together cover everyone who can be selected."""
        covered = np.zeros(self.p.n, dtype=bool)
        for _ in range(SEED_ROUNDS * max(1, self.p.n // self.p.k)):
            panel = self.greedy.build(self.rng.random(self.p.n) + 2.0 * ~covered)
            if panel is not None:
                self.master.add(panel)
                covered[panel] = True
            if covered[self.p.free].all() and len(self.master.panels) >= 2 * self.p.n // self.p.k:
                return
        while True:
            want = (self.p.free & ~covered).astype(np.float64)
            found = self.search.best(want)
            if found is None or found[1] < 0.5:
                return
            self.master.add(found[0])
            covered[found[0]] = True

    def price(self, y: FloatArray, yhat: float) -> bool:
        """Add panels that improve the master LP; False when none exists (LP optimal).

        Greedy panels come in a batch: after each one, its members' weights are halved so
        that the next panel favours other people (the LP then mixes them).
        """
        added = False
        weight = y.copy()
        for _ in range(BATCH):
            panel = self.greedy.build(weight + self.rng.random(self.p.n) * 1e-9)
            if panel is None:
                break
            if y[panel].sum() > yhat + PRICE_TOL:
                added |= self.master.add(panel)
            weight[panel] *= 0.5
        if added:
            return True
        found = self.search.best(y, yhat + ENOUGH * max(yhat, 1e-9), yhat + PRICE_TOL)
        if found is None or found[1] <= yhat + PRICE_TOL:
            return False
        added = self.master.add(found[0])
        for panel in self.search.improving:
            if y[panel].sum() > yhat + PRICE_TOL and self.p.is_panel(panel):
                added |= self.master.add(panel)
        return added

    def level(self) -> None:
        """Maximise the smallest unsettled probability, then settle everyone stuck at it."""
        while True:
            z, y, yhat = self.master.solve()
            if not self.price(y, yhat):
                break
        self.z = z
        tight = self.unsettled & (y > FIX_TOL)
        if not tight.any():
            cand = np.where(self.unsettled, y, -1.0)
            tight = np.zeros(self.p.n, dtype=bool)
            tight[int(np.argmax(cand))] = True
        self.master.settle(self.master.row_of[tight], z)
        self.unsettled &= ~tight
        self.report()

    def report(self) -> None:
        """Tell the progress callback where we are."""
        if self.progress is not None:
            nfree = int(self.p.free.sum())
            self.progress(
                Progress(
                    panels=len(self.master.panels),
                    fixed=nfree - int(self.unsettled.sum()),
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
        return build_distribution(
            "leximin",
            self.p.k,
            self.p.ids,
            self.master.panels,
            self.master.weights(),
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
