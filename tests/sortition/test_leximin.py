"""Leximin: valid panels, consistent probabilities, optimality against brute force."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sortition as s
from tests.sortition.brute import all_panels, leximin_vector, valid


def _check_distribution(dist: s.Distribution, people, quotas, k) -> None:
    assert abs(sum(dist.weights) - 1) < 1e-9
    assert abs(sum(dist.probabilities.values()) - k) < 1e-6
    for panel in dist.panels:
        assert len(panel) == k and valid(panel, people, quotas)
    for pid, prob in dist.probabilities.items():
        from_panels = sum(w for p, w in zip(dist.panels, dist.weights, strict=True) if pid in p)
        assert abs(prob - from_panels) < 1e-9


def test_hand_solvable_instance_has_exact_leximin_vector():
    people = [s.Person(f"a{i}", {"g": "a"}) for i in range(3)] + [s.Person("b1", {"g": "b"})]
    quotas = [s.Quota("g", "a", 1, 1), s.Quota("g", "b", 1, 1)]
    dist = s.leximin(people, quotas, 2)
    assert dist.probabilities["b1"] == pytest.approx(1.0)
    for i in range(3):
        assert dist.probabilities[f"a{i}"] == pytest.approx(1 / 3)
    assert dist.min_probability == pytest.approx(1 / 3)


def test_second_level_is_maximised_too():
    # Two groups: "x" people can only fill one seat of two; leximin lifts "y" after "x".
    people = [s.Person(f"x{i}", {"g": "x"}) for i in range(4)]
    people += [s.Person(f"y{i}", {"g": "y"}) for i in range(2)]
    quotas = [s.Quota("g", "x", 1, 1), s.Quota("g", "y", 1, 1)]
    dist = s.leximin(people, quotas, 2)
    got = [dist.probabilities[p.id] for p in people]
    assert got == pytest.approx([0.25] * 4 + [0.5] * 2, abs=1e-7)


def test_households_are_never_together():
    people = [s.Person(f"p{i}", {"g": "v"}, household=f"h{i // 2}") for i in range(8)]
    dist = s.leximin(people, [s.Quota("g", "v", 0, 4)], 4)
    homes = {p.id: p.household for p in people}
    for panel in dist.panels:
        assert len({homes[pid] for pid in panel}) == 4
    assert dist.min_probability == pytest.approx(0.5)


def test_must_and_must_not():
    people = [s.Person(f"p{i}", {"g": "v"}) for i in range(6)]
    dist = s.leximin(people, [s.Quota("g", "v", 0, 3)], 3, must={"p0"}, must_not={"p5"})
    assert dist.probabilities["p0"] == pytest.approx(1.0)
    assert dist.probabilities["p5"] == 0.0
    assert dist.min_probability == pytest.approx(0.5)
    assert all("p0" in panel and "p5" not in panel for panel in dist.panels)


def test_progress_is_reported():
    people = [s.Person(f"p{i}", {"g": "v"}) for i in range(6)]
    seen: list[s.Progress] = []
    s.leximin(people, [s.Quota("g", "v", 0, 3)], 3, progress=seen.append)
    assert seen and seen[-1].fixed == seen[-1].people == 6


def test_legacy_meets_quotas_and_is_reproducible():
    people = [s.Person(f"p{i}", {"g": "ab"[i % 2]}) for i in range(8)]
    quotas = [s.Quota("g", "a", 1, 2), s.Quota("g", "b", 1, 2)]
    first = s.legacy(people, quotas, 3, seed="x", runs=200)
    _check_distribution(first, people, quotas, 3)
    assert first == s.legacy(people, quotas, 3, seed="x", runs=200)


def test_invalid_input_is_named():
    people = [s.Person("p", {"g": "v"}), s.Person("p", {"g": "v"})]
    with pytest.raises(s.InvalidInput, match="p appears more than once"):
        s.leximin(people, [s.Quota("g", "v", 0, 1)], 1)
    with pytest.raises(s.InvalidInput, match="has no quota"):
        s.leximin([s.Person("p", {"g": "w"})], [s.Quota("g", "v", 0, 1)], 1)


@st.composite
def instances(draw):
    n = draw(st.integers(2, 8))
    k = draw(st.integers(1, min(4, n)))
    nfeat = draw(st.integers(1, 2))
    people = []
    for i in range(n):
        feats = {f"f{f}": draw(st.sampled_from("ab")) for f in range(nfeat)}
        home = draw(st.one_of(st.none(), st.sampled_from(["h1", "h2"])))
        people.append(s.Person(f"p{i}", feats, home))
    quotas = []
    for f in range(nfeat):
        for v in "ab":
            low = draw(st.integers(0, k))
            quotas.append(s.Quota(f"f{f}", v, low, draw(st.integers(low, k))))
    return people, quotas, k


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_matches_brute_force(instance):
    people, quotas, k = instance
    panels = all_panels(people, quotas, k)
    if not panels:
        with pytest.raises(s.InfeasibleQuotas) as info:
            s.leximin(people, quotas, k)
        assert info.value.conflicts
        return
    dist = s.leximin(people, quotas, k)
    _check_distribution(dist, people, quotas, k)
    ids = sorted(p.id for p in people)
    expected = leximin_vector(panels, ids)
    got = sorted(dist.probabilities[i] for i in ids)
    assert got == pytest.approx(expected, abs=1e-6)
    assert dist.min_probability == pytest.approx(expected[0], abs=1e-6)
