"""Infeasible quotas: named conflicts, amounts, and the least relaxation."""

from __future__ import annotations

import pytest

import sortition as s
from tests.sortition.brute import all_panels


def _people():
    return [s.Person(f"p{i}", {"g": "ab"[i % 2], "h": "xy"[i // 2 % 2]}) for i in range(8)]


def test_minimums_above_size_answer_at_once():
    quotas = [s.Quota("g", "a", 3, 4), s.Quota("g", "b", 3, 4)]
    quotas += [s.Quota("h", "x", 0, 4), s.Quota("h", "y", 0, 4)]
    with pytest.raises(s.InfeasibleQuotas) as info:
        s.leximin(_people(), quotas, 4)
    conflict = info.value.conflicts[0]
    assert conflict.kind == "minimums_above_size"
    assert conflict.amount == 2
    assert conflict.quotas == (("g", "a"), ("g", "b"))
    assert sum(c.size for c in info.value.relaxation) == 2
    assert "add up to 6, 2 more than the panel size 4" in str(info.value)


def test_value_with_too_few_people():
    people = [s.Person(f"p{i}", {"g": "a" if i else "b"}) for i in range(5)]
    quotas = [s.Quota("g", "a", 0, 3), s.Quota("g", "b", 2, 3)]
    with pytest.raises(s.InfeasibleQuotas) as info:
        s.check_feasible(people, quotas, 3)
    kinds = {(c.kind, c.amount) for c in info.value.conflicts}
    assert ("too_few_people", 1) in kinds
    change = info.value.relaxation[0]
    assert (change.feature, change.value, change.new_min) == ("g", "b", 1)


def test_joint_conflict_gets_least_relaxation():
    # Every "x" person is "a": two x and two b cannot both be met on a panel of 2.
    people = [
        s.Person("1", {"f": "x", "g": "a"}),
        s.Person("2", {"f": "x", "g": "a"}),
        s.Person("3", {"f": "y", "g": "b"}),
        s.Person("4", {"f": "y", "g": "b"}),
    ]
    quotas = [s.Quota("f", "x", 2, 2), s.Quota("f", "y", 0, 2)]
    quotas += [s.Quota("g", "a", 0, 2), s.Quota("g", "b", 2, 2)]
    with pytest.raises(s.InfeasibleQuotas) as info:
        s.leximin(people, quotas, 2)
    err = info.value
    assert err.conflicts[0].kind == "quotas_conflict"
    assert err.conflicts[0].amount == 2
    assert sum(c.size for c in err.relaxation) == 2
    relaxed = {(c.feature, c.value): c for c in err.relaxation}
    fixed = [
        s.Quota(
            q.feature,
            q.value,
            relaxed[(q.feature, q.value)].new_min,
            relaxed[(q.feature, q.value)].new_max,
        )
        if (q.feature, q.value) in relaxed
        else q
        for q in quotas
    ]
    assert all_panels(people, fixed, 2)


def test_households_too_few():
    people = [s.Person(f"p{i}", {"g": "v"}, household="same") for i in range(4)]
    with pytest.raises(s.InfeasibleQuotas) as info:
        s.leximin(people, [s.Quota("g", "v", 0, 2)], 2)
    assert info.value.conflicts[0].kind == "too_few_households"
    assert info.value.relaxation == ()
    assert "No change of the quotas alone" in info.value.explain()
