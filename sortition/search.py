"""Integer programs over panels (HiGHS): the most valuable panel for given weights, feasibility."""

from __future__ import annotations

import os
import sys
from typing import Any

import highspy
import numpy as np

from sortition.model import FloatArray, IntArray, Problem
from sortition.units import Units, build_units

_INF = highspy.kHighsInf


def panel_rows(problem: Problem) -> tuple[list[float], list[float], list[IntArray]]:
    """Size row, quota rows and household rows as (lower, upper, member indices)."""
    lower: list[float] = [float(problem.k)]
    upper: list[float] = [float(problem.k)]
    members: list[IntArray] = [np.arange(problem.n, dtype=np.int64)]
    for q in range(len(problem.quotas)):
        lower.append(float(problem.qmin[q]))
        upper.append(float(problem.qmax[q]))
        members.append(np.flatnonzero(problem.member[:, q]).astype(np.int64))
    for group in problem.households:
        lower.append(0.0)
        upper.append(1.0)
        members.append(group)
    return lower, upper, members


_banner_shown = False


def _quiet_highs() -> highspy.Highs:
    # HiGHS prints a banner on stdout when the first instance is made; keep stdout clean.
    global _banner_shown
    if _banner_shown:
        return highspy.Highs()  # type: ignore[no-untyped-call]
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _banner_shown = True
    return h


def new_highs() -> highspy.Highs:
    """A silent, deterministic HiGHS instance."""
    h = _quiet_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    return h


class PanelSearch:
    """Finds panels by mixed-integer programming over units: seats per unit, quotas as rows.

    With the default units every person is a binary variable; with merged units
    (`sortition.units.build_units`) a type of interchangeable people is one integer variable.
    """

    def __init__(self, problem: Problem, units: Units | None = None) -> None:
        self.problem = problem
        self.units = units if units is not None else build_units(problem, merge=False)
        u = self.units
        n = u.count
        h = new_highs()
        h.setOptionValue("mip_rel_gap", 1e-9)
        h.setOptionValue("mip_abs_gap", 1e-10)
        h.addVars(n, u.lower.astype(np.float64), u.upper.astype(np.float64))
        h.changeColsIntegrality(
            n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger)
        )
        row_lo = [float(problem.k), *problem.qmin.astype(float), *([0.0] * len(u.households))]
        row_hi = [float(problem.k), *problem.qmax.astype(float), *([1.0] * len(u.households))]
        members = [np.arange(n, dtype=np.int64)]
        members += [np.flatnonzero(u.member[:, q]) for q in range(len(problem.quotas))]
        members += list(u.households)
        starts = np.cumsum([0] + [len(m) for m in members[:-1]]).astype(np.int32)
        index = np.concatenate(members).astype(np.int32)
        h.addRows(
            len(members),
            np.array(row_lo),
            np.array(row_hi),
            len(index),
            starts,
            index,
            np.ones(len(index)),
        )
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.enough = np.inf
        self.floor = -np.inf
        h.cbMipInterrupt.subscribe(self._on_interrupt_check)
        h.cbMipImprovingSolution.subscribe(self._on_improving)
        self.improving: list[IntArray] = []
        self.h = h

    def is_counts(self, counts: IntArray) -> bool:
        """True when a vector of seats per unit is a valid panel."""
        u, p = self.units, self.problem
        quota = counts @ u.member.astype(np.int64)
        return (
            int(counts.sum()) == p.k
            and bool(np.all(counts >= u.lower) and np.all(counts <= u.upper))
            and bool(np.all(quota >= p.qmin) and np.all(quota <= p.qmax))
            and all(int(counts[g].sum()) <= 1 for g in u.households)
        )

    def best(
        self, weights: FloatArray, enough: float = np.inf, floor: float = -np.inf
    ) -> tuple[IntArray, float] | None:
        """Seats per unit maximising the sum of `weights` (per seat), or None if no panel exists.

        The search may stop early at a panel worth more than `enough`, or once it has proved
        that no panel is worth more than `floor` (then the panel returned is worth at most
        `floor`, and need not be the best). `improving` then lists the panels found on the way.
        """
        n = self.units.count
        self.h.changeColsCost(n, np.arange(n, dtype=np.int32), weights.astype(np.float64))
        self.enough = enough
        self.improving = []
        self.floor = floor
        self.h.run()
        status = self.h.getModelStatus()
        if status == highspy.HighsModelStatus.kInterrupt:
            # An interrupted HiGHS keeps stale search state; the next run must start afresh.
            counts = _counts(self.h.getSolution().col_value)
            self.h.clearSolver()
            if not self.is_counts(counts):
                return counts, -np.inf
            return counts, float(weights @ counts)
        if status != highspy.HighsModelStatus.kOptimal:
            return None
        counts = _counts(self.h.getSolution().col_value)
        return counts, float(weights @ counts)

    def _on_improving(self, event: Any) -> None:
        self.improving.append(_counts(event.data_out.mip_solution))

    def _on_interrupt_check(self, event: Any) -> None:
        # Stop once a panel worth `enough` is known, or once none can beat `floor`.
        found = event.data_out.mip_primal_bound
        bound = event.data_out.mip_dual_bound
        # HiGHS keeps the flag between runs, so it is set explicitly either way.
        event.interrupt((np.isfinite(found) and found > self.enough) or bound <= self.floor)

    def exists(self) -> bool:
        """True when at least one valid panel exists."""
        return self.best(np.zeros(self.units.count)) is not None


def _counts(values: Any) -> IntArray:
    return np.rint(np.asarray(values, dtype=np.float64)).astype(np.int64)
