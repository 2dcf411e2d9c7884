"""Fast randomized greedy construction of valid panels (used to seed and speed up the solvers)."""

from __future__ import annotations

import numpy as np

from sortition.model import BoolArray, FloatArray, IntArray, Problem


class GreedyBuilder:
    """Builds panels person by person, highest score first, never breaking a quota it can foresee.

    It may fail (return None) where a panel exists: callers fall back to integer programming.
    """

    def __init__(self, problem: Problem) -> None:
        self.p = problem
        self.member = problem.member.astype(np.float64)
        self.feature_of_row = np.array(
            [problem.features.index(q.feature) for q in problem.quotas], dtype=np.int64
        )
        self.nfeat = len(problem.features)
        self.household_of = np.full(problem.n, -1, dtype=np.int64)
        for g, group in enumerate(problem.households):
            self.household_of[group] = g

    def _take(self, i: int, count: FloatArray, avail: BoolArray) -> None:
        count += self.member[i]
        avail[i] = False
        g = self.household_of[i]
        if g >= 0:
            avail[self.p.households[g]] = False

    def _allowed(self, count: FloatArray, avail: BoolArray, slots: int) -> BoolArray | None:
        p = self.p
        need = np.maximum(p.qmin - count, 0.0)
        need_sum = np.bincount(self.feature_of_row, weights=need, minlength=self.nfeat)
        if np.any(need_sum > slots):
            return None
        ok: BoolArray = avail & (self.member @ (count >= p.qmax).astype(np.float64) == 0)
        for f in np.flatnonzero(need_sum >= slots):
            ok &= self.member @ ((need > 0) & (self.feature_of_row == f)).astype(np.float64) > 0
        return ok

    def build(self, score: FloatArray) -> IntArray | None:
        """A valid panel favouring high `score`, or None when the greedy walk gets stuck."""
        p = self.p
        count = np.zeros(len(p.quotas), dtype=np.float64)
        avail = ~p.must_not
        chosen = [int(i) for i in np.flatnonzero(p.must)]
        for i in chosen:
            if not avail[i]:
                return None
            self._take(i, count, avail)
        while len(chosen) < p.k:
            ok = self._allowed(count, avail, p.k - len(chosen))
            if ok is None or not ok.any():
                return None
            i = int(np.argmax(np.where(ok, score, -np.inf)))
            chosen.append(i)
            self._take(i, count, avail)
        if np.any(count < p.qmin) or np.any(count > p.qmax):
            return None
        return np.array(sorted(chosen), dtype=np.int64)
