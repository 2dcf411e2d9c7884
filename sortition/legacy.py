"""The legacy method, kept as a baseline: fill the panel one random person at a time.

Each run walks the pool in a random order (from a numpy generator seeded with SHA-256 of
the seed text) and takes every person who keeps all quotas reachable. The empirical
distribution of `runs` such panels is returned, so it can feed the same lottery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence

import numpy as np

from sortition.errors import SortitionError
from sortition.feasibility import ensure_feasible
from sortition.greedy import GreedyBuilder
from sortition.model import Person, Quota, compile_problem
from sortition.result import Distribution, build_distribution


def legacy(
    people: Sequence[Person],
    quotas: Sequence[Quota],
    k: int,
    *,
    seed: str = "legacy",
    runs: int = 1000,
    must: Collection[str] = (),
    must_not: Collection[str] = (),
) -> Distribution:
    """Empirical distribution of `runs` greedy one-by-one draws (deterministic given `seed`).

    Raises InfeasibleQuotas when no panel exists, SortitionError when the greedy walk keeps
    getting stuck although panels exist.
    """
    problem = compile_problem(people, quotas, k, must, must_not)
    ensure_feasible(problem)
    state = int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:8], "big")
    rng = np.random.default_rng(state)
    builder = GreedyBuilder(problem)
    counts: dict[tuple[int, ...], int] = {}
    failures = 0
    while sum(counts.values()) < runs:
        panel = builder.build(rng.random(problem.n))
        if panel is None:
            failures += 1
            if failures > 20 * runs:
                raise SortitionError("The legacy method keeps getting stuck on these quotas.")
            continue
        key = tuple(int(i) for i in panel)
        counts[key] = counts.get(key, 0) + 1
    panels = list(counts)
    return build_distribution(
        "legacy", k, problem.ids, panels, [counts[p] / runs for p in panels], list(problem.free)
    )
