"""Even-share seeding: split the free pool into panels that each meet every rule.

When the number of free people n is a multiple of the free seats k (k minus the must
people), a partition of the free people into L = n / k groups, each a valid panel together
with the must people, gives every free person probability exactly k / n under the uniform
distribution over the L panels. Nobody can do better for the worst-off person (the
probabilities add up to k), so the leximin optimum is then reached at once; the solver
still proves it (the bound in `Leximin.ceiling`).

The partition is found by local search: people sorted by their quota values are dealt out
round-robin (which already balances most quotas), then swaps between groups remove quota
and household violations. The search is a heuristic; when it fails, column generation
does the work alone.
"""

from __future__ import annotations

import numpy as np

from sortition.model import FloatArray, IntArray, Problem

MAX_GROUPS = 400


def _violation(counts: FloatArray, low: FloatArray, high: FloatArray) -> FloatArray:
    # Seats missing below the minimum plus seats above the maximum, summed over the last axis.
    result: FloatArray = (np.maximum(low - counts, 0.0) + np.maximum(counts - high, 0.0)).sum(
        axis=-1
    )
    return result


def even_partition(
    problem: Problem, rng: np.random.Generator, max_steps: int = 0
) -> list[IntArray] | None:
    """Valid panels that together hold every free person exactly once, or None."""
    p = problem
    free = np.flatnonzero(p.free)
    must = np.flatnonzero(p.must)
    seats = p.k - len(must)
    if seats <= 0 or len(free) % seats or not 2 <= len(free) // seats <= MAX_GROUPS:
        return None
    groups = len(free) // seats
    member = p.member[free].astype(np.float64)
    forced = p.member[must].sum(axis=0).astype(np.float64)
    low, high = p.qmin - forced, p.qmax - forced
    average = member.sum(axis=0) / groups
    if np.any(average < low - 1e-9) or np.any(average > high + 1e-9):
        return None  # some quota cannot hold on average, so not in every group
    home = np.full(p.n, -1, dtype=np.int64)
    for h, group in enumerate(p.households):
        if p.must[group].any() and p.free[group].any():
            return None  # a free person shares a home with a must person: never selectable
        home[group] = h
    home = home[free]
    nhomes = max(len(p.households), 1)

    # Deal out people sorted by their quota values (and home), round-robin.
    keys = np.vstack([rng.random(len(free)), home, member[:, ::-1].T])
    order = np.lexsort(keys)  # the last key sorts first
    group_of = np.empty(len(free), dtype=np.int64)
    group_of[order] = np.arange(len(free)) % groups
    counts = np.zeros((groups, len(p.quotas)))
    np.add.at(counts, group_of, member)
    at_home = np.zeros((groups, nhomes))
    in_home = home >= 0
    np.add.at(at_home, (group_of[in_home], home[in_home]), 1.0)

    steps = max_steps or 40 * groups + 400
    for _ in range(steps):
        bad = _violation(counts, low, high) + np.maximum(at_home - 1.0, 0.0).sum(axis=1)
        if not bad.any():
            break
        g = int(rng.choice(np.flatnonzero(bad == bad.max())))
        inside = np.flatnonzero(group_of == g)
        outside = np.flatnonzero(group_of != g)
        h_of = group_of[outside]
        # Quota change of swapping i (in g) with j (in h).
        g_new = counts[g] - member[inside][:, None, :] + member[outside][None, :, :]
        h_new = counts[h_of][None, :, :] - member[outside][None, :, :] + member[inside][:, None, :]
        delta = (
            _violation(g_new, low, high)
            + _violation(h_new, low, high)
            - _violation(counts[g], low, high)
            - _violation(counts[h_of], low, high)[None, :]
        )
        delta += _home_delta(at_home, home, inside, outside, g, h_of)
        delta += rng.random(delta.shape) * 1e-3
        a, b = np.unravel_index(int(np.argmin(delta)), delta.shape)
        i, j = int(inside[a]), int(outside[b])
        h = int(group_of[j])
        for person, old, new in ((i, g, h), (j, h, g)):
            counts[old] -= member[person]
            counts[new] += member[person]
            if home[person] >= 0:
                at_home[old, home[person]] -= 1.0
                at_home[new, home[person]] += 1.0
            group_of[person] = new
    else:
        return None
    panels = [np.sort(np.concatenate([must, free[group_of == g]])) for g in range(groups)]
    if not all(p.is_panel(panel) for panel in panels):
        return None
    return panels


def _home_delta(
    at_home: FloatArray, home: IntArray, inside: IntArray, outside: IntArray, g: int, h_of: IntArray
) -> FloatArray:
    """Change in household clashes (people beyond the first of a home in a group) per swap."""
    a = home[inside][:, None]
    b = home[outside][None, :]
    same = a == b
    a_ok, b_ok = a >= 0, b >= 0
    ai, bi = np.maximum(a, 0), np.maximum(b, 0)
    hh = h_of[None, :]
    leave_g = np.where(a_ok & (at_home[g, ai] >= 2), -1.0, 0.0)
    enter_g = np.where(b_ok & (at_home[g, bi] >= 1), 1.0, 0.0)
    leave_h = np.where(b_ok & (at_home[hh, bi] >= 2), -1.0, 0.0)
    enter_h = np.where(a_ok & (at_home[hh, ai] >= 1), 1.0, 0.0)
    result: FloatArray = np.where(same, 0.0, leave_g + enter_g + leave_h + enter_h)
    return result
