"""Cheap pricing: improve a known panel by swapping one or two seats (no integer program).

Panels in the master LP's basis are worth exactly the dual price of a panel; any swap that
raises their value gives a new improving panel. Two kinds of swap are tried:

- one seat from unit a to unit b, when every quota stays within its range;
- two seats (a1, a2) to (b1, b2) where b1 and b2 recombine the quota values of a1 and a2
  feature by feature, so every quota count stays exactly the same (this is what works
  when quotas are exact).

Seats only move to units outside households (a unit in a household is one person, whose
housemates would need checking); every panel returned is checked in full.
"""

from __future__ import annotations

from itertools import product

import numpy as np

from sortition.model import FloatArray, IntArray, Problem
from sortition.units import Units

MAX_CODES = 1 << 20


class Neighbours:
    """Local search over compositions (seats per unit)."""

    def __init__(self, problem: Problem, units: Units) -> None:
        self.p = problem
        self.u = units
        self.member = units.member.astype(np.int64)
        in_home = np.zeros(units.count, dtype=bool)
        for group in units.households:
            in_home[group] = True
        self.movable = ~in_home & (units.upper > units.lower)
        radix = [len(problem.feature_rows(f)) for f in problem.features]
        self.ncodes = int(np.prod(radix)) if radix else 1
        self.recombine = len(radix) >= 2 and self.ncodes <= MAX_CODES
        # value[u, f]: which value of feature f unit u has; code: mixed-radix number of them.
        value = np.zeros((units.count, len(radix)), dtype=np.int64)
        for f, feature in enumerate(problem.features):
            rows = problem.feature_rows(feature)
            value[:, f] = np.argmax(units.member[:, rows], axis=1)
        self.weight = np.cumprod([1, *radix[:-1]]).astype(np.int64)
        self.value = value
        # row[u, f]: the quota row of unit u's value of feature f.
        self.row = np.zeros_like(value)
        for f, feature in enumerate(problem.features):
            self.row[:, f] = np.array(problem.feature_rows(feature), dtype=np.int64)[value[:, f]]
        self.code = value @ self.weight
        half = 1 << (len(radix) - 1) if radix else 1
        # Masks choosing which features b1 takes from a2 (the rest from a1); a mask and its
        # complement give the same pair, so the last feature always comes from a1.
        masks = np.array(list(product([0, 1], repeat=len(radix)))[1:half], dtype=bool)
        self.masks = masks.reshape(-1, len(radix))

    def _best_by_code(self, seat: FloatArray, counts: IntArray) -> tuple[IntArray, FloatArray]:
        room = self.movable & (counts < self.u.upper)
        best = np.full(self.ncodes, -1, dtype=np.int64)
        value = np.full(self.ncodes, -np.inf)
        cand = np.flatnonzero(room)
        order = cand[np.argsort(seat[cand], kind="stable")]
        # Later writes win: after sorting ascending, each code keeps its most valuable unit.
        best[self.code[order]] = order
        value[self.code[order]] = seat[order]
        return best, value

    def _moves(self, counts: IntArray, seat: FloatArray) -> list[tuple[float, IntArray]]:
        u, p = self.u, self.p
        out: list[tuple[float, IntArray]] = []
        quota = counts @ self.member
        takers = np.flatnonzero(counts > u.lower)
        room = np.flatnonzero(self.movable & (counts < u.upper))
        if len(takers) and len(room):
            # Moving a seat from a to b changes only the quotas where their values differ:
            # a's value loses one (needs slack above its minimum), b's gains one.
            may_lose = (quota > p.qmin)[self.row[takers]]
            may_gain = (quota < p.qmax)[self.row[room]]
            va, vb = self.value[takers][:, None, :], self.value[room][None, :, :]
            ok = np.all((va == vb) | (may_lose[:, None, :] & may_gain[None, :, :]), axis=2)
            gain = np.where(ok, seat[room][None, :] - seat[takers][:, None], -np.inf)
            a, b = np.unravel_index(int(np.argmax(gain)), gain.shape)
            if gain[a, b] > 0:
                new = counts.copy()
                new[takers[a]] -= 1
                new[room[b]] += 1
                out.append((float(gain[a, b]), new))
        if self.recombine and len(takers):
            seats = np.repeat(takers, counts[takers] - u.lower[takers])
            i, j = np.triu_indices(len(seats), 1)
            a1, a2 = seats[i], seats[j]
            keep = self.code[a1] != self.code[a2]
            a1, a2 = a1[keep], a2[keep]
            if len(a1):
                best, value = self._best_by_code(seat, counts)
                step = (self.value[a2] - self.value[a1]) * self.weight
                c1 = self.code[a1][None, :] + self.masks.astype(np.int64) @ step.T
                c2 = (self.code[a1] + self.code[a2])[None, :] - c1
                gain = value[c1] + value[c2] - (seat[a1] + seat[a2])[None, :]
                r, c = np.unravel_index(int(np.argmax(gain)), gain.shape)
                if np.isfinite(gain[r, c]) and gain[r, c] > 0:
                    new = counts.copy()
                    new[[a1[c], a2[c]]] -= 1
                    new[[best[c1[r, c]], best[c2[r, c]]]] += 1
                    out.append((float(gain[r, c]), new))
        return out

    def improve(self, counts: IntArray, seat: FloatArray, steps: int = 4) -> list[IntArray]:
        """Panels reached from `counts` by the best swaps, each better than the one before."""
        found: list[IntArray] = []
        current = counts
        for _ in range(steps):
            moves = sorted(self._moves(current, seat), key=lambda m: -m[0])
            valid = [new for _, new in moves if self._valid(new)]
            if not valid:
                break
            found.extend(valid)
            current = valid[0]
        return found

    def _valid(self, counts: IntArray) -> bool:
        u, p = self.u, self.p
        quota = counts @ self.member
        return (
            int(counts.sum()) == p.k
            and bool(np.all(counts >= u.lower) and np.all(counts <= u.upper))
            and bool(np.all(quota >= p.qmin) and np.all(quota <= p.qmax))
            and all(int(counts[g].sum()) <= 1 for g in u.households)
        )
