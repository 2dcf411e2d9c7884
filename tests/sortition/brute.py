"""Brute force over all panels of tiny instances, to check the engine against."""

from __future__ import annotations

from itertools import combinations

import numpy as np
from scipy.optimize import linprog

from sortition import Person, Quota


def valid(panel: tuple[str, ...], people: list[Person], quotas: list[Quota]) -> bool:
    chosen = [p for p in people if p.id in panel]
    for q in quotas:
        count = sum(1 for p in chosen if p.features[q.feature] == q.value)
        if not q.min <= count <= q.max:
            return False
    homes = [p.household for p in chosen if p.household is not None]
    return len(homes) == len(set(homes))


def all_panels(people: list[Person], quotas: list[Quota], k: int) -> list[tuple[str, ...]]:
    ids = sorted(p.id for p in people)
    return [c for c in combinations(ids, k) if valid(c, people, quotas)]


def _best(panels, ids, target, floors, z_for):
    """max of target (z or a person's probability) given floors; returns value."""
    npan = len(panels)
    # variables: x_P..., z
    c = np.zeros(npan + 1)
    if target is None:
        c[-1] = -1
    else:
        c[:npan] = [-(target in p) for p in panels]
    a_ub, b_ub = [], []
    for pid in ids:
        row = [-(pid in p) for p in panels]
        if pid in floors:
            a_ub.append(row + [0])
            b_ub.append(-floors[pid])
        else:
            a_ub.append(row + [1 if z_for is None else 0])
            b_ub.append(0 if z_for is None else -z_for)
    res = linprog(
        c,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=[[1] * npan + [0]],
        b_eq=[1],
        bounds=[(0, None)] * npan + [(0, 1)],
        method="highs",
    )
    return -res.fun


def leximin_vector(panels: list[tuple[str, ...]], ids: list[str]) -> list[float]:
    """The exact leximin probabilities (sorted) by repeated LPs over all panels."""
    fixed: dict[str, float] = {}
    while len(fixed) < len(ids):
        z = _best(panels, ids, None, fixed, None)
        free = [i for i in ids if i not in fixed]
        tight = [i for i in free if _best(panels, ids, i, fixed, z) <= z + 1e-7]
        for i in tight or free:
            fixed[i] = z
    return sorted(fixed.values())
