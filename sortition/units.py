"""Agent types: interchangeable people merged into one unit, and back to person panels.

People with the same quota values who are free (not forced in or out) and live alone (no
household of two or more) are interchangeable: swapping two of them maps every valid panel
to a valid panel. The leximin problem is convex and its optimum is unique as a vector, so
that optimum gives all of them the same probability. The solvers therefore work on units:
one unit per such type (an integer count of seats between 0 and its size) and one unit per
other person (a household member, a must or a must-not person). A panel becomes a
composition: how many seats each unit gets.

`expand` turns a composition with a weight into person panels in which every member of a
unit gets exactly the same share (systematic sampling over rotations of its members).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd

import numpy as np

from sortition.model import BoolArray, IntArray, Problem

Composition = tuple[tuple[int, int], ...]
"""A panel over units: sorted (unit, seats) pairs with seats > 0."""


@dataclass(frozen=True)
class Units:
    """The units of a problem (see the module docstring).

    `members[u]` are the people of unit u (sorted), `size[u]` their number, `lower[u]` and
    `upper[u]` the seats it may take, `member[u, q]` whether it counts towards quota q,
    `households` the unit groups of which at most one seat may be taken, `free[u]` whether
    its probability is optimised (neither forced in nor out).
    """

    members: tuple[IntArray, ...]
    size: IntArray
    lower: IntArray
    upper: IntArray
    member: BoolArray
    households: tuple[IntArray, ...]
    free: BoolArray
    unit_of: IntArray

    @property
    def count(self) -> int:
        """Number of units."""
        return len(self.members)


def build_units(problem: Problem, merge: bool = True) -> Units:
    """Group interchangeable people into units (every person alone when `merge` is False)."""
    in_household = np.zeros(problem.n, dtype=bool)
    for group in problem.households:
        in_household[group] = True
    groups: dict[bytes, list[int]] = {}
    singles: list[list[int]] = []
    for i in range(problem.n):
        if merge and problem.free[i] and not in_household[i]:
            groups.setdefault(problem.member[i].tobytes(), []).append(i)
        else:
            singles.append([i])
    # Units in order of their first member, so the result does not depend on dict order.
    lists = sorted([*groups.values(), *singles], key=lambda g: g[0])
    members = tuple(np.array(g, dtype=np.int64) for g in lists)
    unit_of = np.empty(problem.n, dtype=np.int64)
    for u, g in enumerate(members):
        unit_of[g] = u
    first = np.array([g[0] for g in members], dtype=np.int64)
    size = np.array([len(g) for g in members], dtype=np.int64)
    lower = np.where(problem.must[first], size, 0).astype(np.int64)
    upper = np.where(problem.must_not[first], 0, size).astype(np.int64)
    return Units(
        members=members,
        size=size,
        lower=lower,
        upper=upper,
        member=problem.member[first],
        households=tuple(unit_of[h] for h in problem.households),
        free=problem.free[first].copy(),
        unit_of=unit_of,
    )


def composition_of(units: Units, panel: IntArray) -> Composition:
    """The composition of a person panel."""
    counts = np.bincount(units.unit_of[panel], minlength=units.count)
    return tuple((int(u), int(counts[u])) for u in np.flatnonzero(counts))


def counts_to_composition(counts: IntArray) -> Composition:
    """A composition from a vector of seats per unit."""
    return tuple((int(u), int(counts[u])) for u in np.flatnonzero(counts > 0))


def expand(units: Units, composition: Composition, weight: float) -> dict[tuple[int, ...], float]:
    """Person panels (sorted index tuples) with weights that realise `composition`.

    A unit of size s with c seats takes members floor((t + i) * s / c), i < c, at "time" t in
    [0, 1): every member is chosen for exactly c / s of the time. The time axis is cut where
    any unit's choice changes; each piece becomes one panel with weight * its length.
    """
    fixed: list[int] = []
    rotating: list[tuple[IntArray, int]] = []
    cuts = {Fraction(0), Fraction(1)}
    for u, c in composition:
        people = units.members[u]
        s = len(people)
        if c == s:
            fixed.extend(int(i) for i in people)
            continue
        rotating.append((people, c))
        steps = s // gcd(c, s)
        cuts.update(Fraction(j, steps) for j in range(1, steps))
    ordered = sorted(cuts)
    out: dict[tuple[int, ...], float] = {}
    for start, end in zip(ordered, ordered[1:], strict=False):
        t = (start + end) / 2
        chosen = list(fixed)
        for people, c in rotating:
            s = len(people)
            chosen.extend(int(people[int((t + i) * s // c)]) for i in range(c))
        key = tuple(sorted(chosen))
        out[key] = out.get(key, 0.0) + weight * float(end - start)
    return out
