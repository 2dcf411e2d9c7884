"""Agent types (units), their expansion to person panels, even partitions and swap pricing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sortition as s
from sortition.model import compile_problem
from sortition.neighbours import Neighbours
from sortition.partition import even_partition
from sortition.search import PanelSearch
from sortition.units import build_units, counts_to_composition, expand
from tests.sortition.brute import all_panels, leximin_vector


def _pool(n: int, homes: dict[int, str] | None = None) -> list[s.Person]:
    homes = homes or {}
    return [
        s.Person(f"p{i:02d}", {"g": "ab"[i % 2], "h": "xyz"[i % 3]}, homes.get(i)) for i in range(n)
    ]


QUOTAS = [
    s.Quota("g", "a", 2, 3),
    s.Quota("g", "b", 2, 3),
    s.Quota("h", "x", 1, 2),
    s.Quota("h", "y", 1, 2),
    s.Quota("h", "z", 1, 2),
]


def test_units_merge_only_interchangeable_people():
    people = _pool(12, homes={0: "home", 6: "home"})
    problem = compile_problem(people, QUOTAS, 5, must={"p01"}, must_not={"p07"})
    units = build_units(problem)
    # p00 and p06 share a home, p01 is a must, p07 a must-not: each is a unit of its own.
    alone = [int(m[0]) for m in units.members if len(m) == 1]
    assert {0, 1, 6, 7} <= set(alone)
    # The others have 6 feature combinations, two people each (p(i) and p(i+6)).
    merged = sorted(tuple(int(i) for i in m) for m in units.members if len(m) > 1)
    assert merged == [(2, 8), (3, 9), (4, 10), (5, 11)]
    assert units.lower[units.unit_of[1]] == 1 and units.upper[units.unit_of[7]] == 0
    assert [sorted(int(u) for u in h) for h in units.households] == [
        sorted([int(units.unit_of[0]), int(units.unit_of[6])])
    ]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 7), st.integers(0, 7)), min_size=1, max_size=4))
def test_expand_gives_every_member_the_same_share(spec):
    people = [s.Person(f"p{i}", {"g": "v"}) for i in range(sum(size for size, _ in spec))]
    problem = compile_problem(people, [s.Quota("g", "v", 0, len(people))], 1)
    units = build_units(problem, merge=False)
    # Build units by hand: consecutive blocks of people.
    members, start, composition = [], 0, []
    for size, seats in spec:
        members.append(np.arange(start, start + size, dtype=np.int64))
        if min(seats, size):
            composition.append((len(members) - 1, min(seats, size)))
        start += size
    units = units.__class__(
        members=tuple(members),
        size=np.array([len(m) for m in members]),
        lower=np.zeros(len(members), dtype=np.int64),
        upper=np.array([len(m) for m in members]),
        member=np.ones((len(members), 1), dtype=bool),
        households=(),
        free=np.ones(len(members), dtype=bool),
        unit_of=np.concatenate([np.full(len(m), u) for u, m in enumerate(members)]),
    )
    panels = expand(units, tuple(composition), 0.3)
    assert sum(panels.values()) == pytest.approx(0.3)
    share = np.zeros(start)
    for panel, weight in panels.items():
        assert len(panel) == len(set(panel)) == sum(c for _, c in composition)
        share[list(panel)] += weight
    seats = dict(composition)
    for u, m in enumerate(members):
        assert share[m] == pytest.approx(0.3 * seats.get(u, 0) / len(m), abs=1e-12)


def test_even_partition_splits_the_pool_into_valid_panels():
    homes = {0: "h1", 3: "h1", 5: "h2", 8: "h2", 10: "h3", 11: "h3"}
    people = _pool(30, homes)
    problem = compile_problem(people, QUOTAS, 5)
    panels = even_partition(problem, np.random.default_rng(3))
    assert panels is not None and len(panels) == 6
    assert sorted(int(i) for p in panels for i in p) == list(range(30))
    assert all(problem.is_panel(p) for p in panels)


def test_even_share_is_reached_with_households_and_must():
    homes = {i: f"h{i // 3}" for i in range(0, 12)}
    people = _pool(25, homes)
    quotas = [*QUOTAS[:2], *(s.Quota("h", v, 1, 3) for v in "xyz")]
    dist = s.leximin(people, quotas, 5, must={"p24"})
    for pid, prob in dist.probabilities.items():
        assert prob == pytest.approx(1.0 if pid == "p24" else 4 / 24, abs=1e-9)
    home = {p.id: p.household for p in people}
    for panel in dist.panels:
        assert "p24" in panel
        shared = [home[i] for i in panel if home[i] is not None]
        assert len(shared) == len(set(shared))


def test_even_partition_declines_when_a_quota_cannot_hold_on_average():
    problem = compile_problem(_pool(30), [*QUOTAS[:2], *QUOTAS[2:4], s.Quota("h", "z", 0, 0)], 5)
    assert even_partition(problem, np.random.default_rng(0)) is None


def test_swaps_keep_panels_valid_and_improve():
    people = _pool(18)
    quotas = [s.Quota("g", "a", 3, 3), s.Quota("g", "b", 3, 3)]
    quotas += [s.Quota("h", v, 2, 2) for v in "xyz"]
    problem = compile_problem(people, quotas, 6)
    units = build_units(problem)
    search = PanelSearch(problem, units)
    rng = np.random.default_rng(5)
    near = Neighbours(problem, units)
    for _ in range(20):
        seat = rng.random(units.count)
        start = search.best(rng.random(units.count))
        assert start is not None
        value = float(seat @ start[0])
        for counts in near.improve(start[0], seat):
            assert search.is_counts(counts)
            assert float(seat @ counts) > value
        assert counts_to_composition(start[0])


def test_types_match_brute_force_on_a_pool_with_many_twins():
    people = _pool(10, homes={0: "h", 1: "h"})
    quotas = [s.Quota("g", "a", 2, 2), s.Quota("g", "b", 1, 2), s.Quota("h", "x", 1, 3)]
    quotas += [s.Quota("h", "y", 0, 1), s.Quota("h", "z", 0, 3)]
    dist = s.leximin(people, quotas, 4)
    ids = sorted(p.id for p in people)
    expected = leximin_vector(all_panels(people, quotas, 4), ids)
    assert sorted(dist.probabilities[i] for i in ids) == pytest.approx(expected, abs=1e-6)
