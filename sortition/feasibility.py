"""Feasibility: cheap checks that answer at once, an exact test, and the least relaxation."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import highspy
import numpy as np

from sortition.errors import Conflict, InfeasibleQuotas, QuotaChange
from sortition.model import Person, Problem, Quota, compile_problem
from sortition.search import PanelSearch, new_highs, panel_rows
from sortition.units import build_units


def _feature_conflicts(problem: Problem) -> list[Conflict]:
    out: list[Conflict] = []
    for feature in problem.features:
        rows = problem.feature_rows(feature)
        keys = tuple((problem.quotas[q].feature, problem.quotas[q].value) for q in rows)
        low, high = int(problem.qmin[rows].sum()), int(problem.qmax[rows].sum())
        if low > problem.k:
            out.append(
                Conflict(
                    "minimums_above_size",
                    keys,
                    low - problem.k,
                    f"The minimums for {feature} add up to {low}, "
                    f"{low - problem.k} more than the panel size {problem.k}.",
                )
            )
        if high < problem.k:
            out.append(
                Conflict(
                    "maximums_below_size",
                    keys,
                    problem.k - high,
                    f"The maximums for {feature} add up to {high}, "
                    f"{problem.k - high} fewer than the panel size {problem.k}.",
                )
            )
    return out


def _quota_conflicts(problem: Problem) -> list[Conflict]:
    out: list[Conflict] = []
    available = problem.member[~problem.must_not].sum(axis=0)
    forced = problem.member[problem.must].sum(axis=0)
    for q, quota in enumerate(problem.quotas):
        key = ((quota.feature, quota.value),)
        if available[q] < quota.min:
            short = int(quota.min - available[q])
            out.append(
                Conflict(
                    "too_few_people",
                    key,
                    short,
                    f"{quota.feature}={quota.value} needs at least {quota.min}, "
                    f"but only {int(available[q])} people in the pool have it.",
                )
            )
        if forced[q] > quota.max:
            over = int(forced[q] - quota.max)
            out.append(
                Conflict(
                    "must_above_max",
                    key,
                    over,
                    f"{int(forced[q])} people who must be on the panel have "
                    f"{quota.feature}={quota.value}, above its maximum {quota.max}.",
                )
            )
    return out


def _pool_conflicts(problem: Problem) -> list[Conflict]:
    out: list[Conflict] = []
    must = int(problem.must.sum())
    if must > problem.k:
        out.append(
            Conflict(
                "must_above_size",
                (),
                must - problem.k,
                f"{must} people must be on a panel of {problem.k}.",
            )
        )
    unit = np.arange(problem.n)
    for group in problem.households:
        unit[group] = group[0]
        if int(problem.must[group].sum()) > 1:
            out.append(
                Conflict(
                    "must_same_household",
                    (),
                    int(problem.must[group].sum()) - 1,
                    "Two or more people who must be on the panel share a household.",
                )
            )
    units = len(set(unit[~problem.must_not].tolist()))
    if units < problem.k:
        out.append(
            Conflict(
                "too_few_households",
                (),
                problem.k - units,
                f"Only {units} households can be drawn from, "
                f"fewer than the panel size {problem.k}.",
            )
        )
    return out


def cheap_conflicts(problem: Problem) -> list[Conflict]:
    """Conflicts visible without solving anything (sums of minimums, short values, ...)."""
    return _feature_conflicts(problem) + _quota_conflicts(problem) + _pool_conflicts(problem)


def least_relaxation(problem: Problem) -> tuple[QuotaChange, ...]:
    """The smallest total change of minimums and maximums after which a panel exists.

    Solved exactly as an integer program: one binary per person plus, per quota, how far
    its minimum drops and its maximum rises. Empty when no change of quotas helps.
    """
    n, nq = problem.n, len(problem.quotas)
    h = new_highs()
    inf = highspy.kHighsInf
    h.addVars(n, problem.must.astype(np.float64), (~problem.must_not).astype(np.float64))
    h.addVars(nq, np.zeros(nq), problem.qmin.astype(np.float64))  # drop of each minimum
    h.addVars(nq, np.zeros(nq), np.full(nq, float(n)))  # rise of each maximum
    h.changeColsIntegrality(
        n + 2 * nq,
        np.arange(n + 2 * nq, dtype=np.int32),
        np.full(n + 2 * nq, highspy.HighsVarType.kInteger),
    )
    h.changeColsCost(2 * nq, np.arange(n, n + 2 * nq, dtype=np.int32), np.ones(2 * nq))
    lower, upper, members = panel_rows(problem)
    for r, (lo, hi, idx) in enumerate(zip(lower, upper, members, strict=True)):
        cols = idx.astype(np.int32)
        if 1 <= r <= nq:
            q = r - 1
            both = [(lo, inf, n + q, 1.0), (-inf, hi, n + nq + q, -1.0)]
            for row_lo, row_hi, extra, coef in both:
                h.addRow(
                    row_lo,
                    row_hi,
                    len(cols) + 1,
                    np.append(cols, extra).astype(np.int32),
                    np.append(np.ones(len(cols)), coef),
                )
        else:
            h.addRow(lo, hi, len(cols), cols, np.ones(len(cols)))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return ()
    values = np.rint(np.asarray(h.getSolution().col_value)).astype(np.int64)
    changes = []
    for q, quota in enumerate(problem.quotas):
        down, up = int(values[n + q]), int(values[n + nq + q])
        if down or up:
            changes.append(
                QuotaChange(
                    quota.feature,
                    quota.value,
                    quota.min,
                    quota.max,
                    quota.min - down,
                    quota.max + up,
                )
            )
    return tuple(changes)


def _relaxation_conflict(changes: tuple[QuotaChange, ...]) -> Conflict:
    total = sum(c.size for c in changes)
    names = ", ".join(f"{c.feature}={c.value}" for c in changes)
    return Conflict(
        "quotas_conflict",
        tuple((c.feature, c.value) for c in changes),
        total,
        f"The quotas {names} cannot all be met together; they conflict by {total} seat(s).",
    )


def ensure_feasible(problem: Problem) -> None:
    """Raise InfeasibleQuotas (with conflicts and the least relaxation) if no panel exists."""
    conflicts = cheap_conflicts(problem)
    if not conflicts and PanelSearch(problem, build_units(problem)).exists():
        return
    relaxation = least_relaxation(problem)
    if not conflicts:
        if relaxation:
            conflicts = [_relaxation_conflict(relaxation)]
        else:
            conflicts = [
                Conflict("no_panel", (), 0, "No panel meets the household and must/must-not rules.")
            ]
    raise InfeasibleQuotas(tuple(conflicts), relaxation)


def check_feasible(
    people: Sequence[Person],
    quotas: Sequence[Quota],
    k: int,
    *,
    must: Collection[str] = (),
    must_not: Collection[str] = (),
) -> None:
    """Raise InfeasibleQuotas (or InvalidInput) unless some panel meets every rule."""
    ensure_feasible(compile_problem(people, quotas, k, must, must_not))
