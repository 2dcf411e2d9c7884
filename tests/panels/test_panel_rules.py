"""Pure rules of panels: eligibility, allocation per area, replies, deferral, codes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from panels import codes, rules
from panels.rules import Ineligible, PersonFacts

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


def facts(**kw: object) -> PersonFacts:
    base: dict[str, object] = {
        "person_id": 1,
        "household": "h",
        "birth_year": 1980,
        "active": True,
    }
    base.update(kw)
    return PersonFacts(**base)  # type: ignore[arg-type]


@given(birth_year=st.integers(1900, 2100), on=days)
def test_never_a_minor(birth_year: int, on: date) -> None:
    verdict = rules.ineligibility(facts(birth_year=birth_year), on, 0)
    born_latest = date(birth_year, 12, 31)
    certainly_adult = born_latest.replace(year=born_latest.year + 18) <= on
    if verdict is None:
        assert certainly_adult  # nobody who could still be 17 is invited
    if on.year - birth_year >= 20:
        assert verdict is None


@given(on=days, rest=st.integers(0, 60), gap=st.integers(0, 2000))
def test_rest_period_after_an_invitation(on: date, rest: int, gap: int) -> None:
    invited = on - timedelta(days=gap)
    verdict = rules.ineligibility(facts(last_invited_on=invited), on, rest)
    inside = invited > rules.add_months(on, -rest)
    assert (verdict == Ineligible.RECENTLY_INVITED) == inside


@given(on=days, rest=st.integers(0, 60), gap=st.integers(0, 2000))
def test_rest_period_after_serving(on: date, rest: int, gap: int) -> None:
    ended = on - timedelta(days=gap)
    verdict = rules.ineligibility(facts(last_served_until=ended), on, rest)
    assert (verdict == Ineligible.RESTING) == (ended > rules.add_months(on, -rest))


@given(on=days, serving=st.booleans(), active=st.booleans())
def test_serving_and_inactive_people_are_never_invited(
    on: date, serving: bool, active: bool
) -> None:
    verdict = rules.ineligibility(facts(serving=serving, active=active), on, 12)
    assert (verdict is None) == (active and not serving)


@given(day=days, months=st.integers(-240, 240))
def test_add_months_keeps_the_day_where_possible(day: date, months: int) -> None:
    moved = rules.add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day == day.day or moved.day < day.day


areas = st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 50), min_size=1)


@given(total=st.integers(0, 400), households=areas, data=st.data())
def test_allocation_sums_and_caps(
    total: int, households: dict[str, int], data: st.DataObject
) -> None:
    factors = data.draw(
        st.dictionaries(st.sampled_from(sorted(households)), st.floats(0.5, 3.0)), label="factors"
    )
    result = rules.allocate_by_area(total, households, factors)
    assert sum(result.values()) == min(total, sum(households.values()))
    assert all(0 <= result[a] <= households[a] for a in households)


def test_allocation_follows_factors() -> None:
    assert rules.allocate_by_area(30, {"a": 100, "b": 100}) == {"a": 15, "b": 15}
    assert rules.allocate_by_area(30, {"a": 100, "b": 100}, {"b": 2.0}) == {"a": 10, "b": 20}
    assert rules.allocate_by_area(30, {"a": 10, "b": 100}, {"a": 3.0}) == {"a": 7, "b": 23}
    assert rules.allocate_by_area(30, {"a": 5, "b": 100}, {"a": 30.0}) == {"a": 5, "b": 25}


def test_area_factors_favour_areas_that_replied_less() -> None:
    factors = rules.area_factors({"north": (100, 20), "south": (100, 60), "east": (50, 0)})
    assert factors["north"] == pytest.approx(1.6)
    assert factors["east"] == rules.MAX_AREA_FACTOR
    assert "south" not in factors
    assert rules.area_factors({}) == {}


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 8)), max_size=40), st.integers(0, 20))
def test_one_per_household(pairs: list[tuple[int, int]], wanted: int) -> None:
    ordered = [(f"p{p}", f"h{h}") for p, h in dict(pairs).items()]
    taken: set[str] = {"h0"}
    chosen = rules.one_per_household(ordered, wanted, taken)
    homes = [dict(ordered)[c] for c in chosen]
    assert len(homes) == len(set(homes)) and "h0" not in homes
    assert len(chosen) <= wanted


NOW = datetime(2026, 3, 10, tzinfo=UTC)
DEADLINE = datetime(2026, 3, 23, tzinfo=UTC)


def test_reply_transitions() -> None:
    refusal = rules.reply_refusal
    assert refusal("pending", "yes", NOW, DEADLINE, already_deferred=False) is None
    assert refusal("yes", "no", NOW, DEADLINE, already_deferred=False) == "already_replied"
    assert refusal("no_reply", "yes", NOW, DEADLINE, already_deferred=False) == "already_replied"
    assert refusal("pending", "no", DEADLINE, DEADLINE, already_deferred=False) == (
        "deadline_passed"
    )
    assert refusal("pending", "deferred", NOW, DEADLINE, already_deferred=True) == "defer_used"
    assert refusal("pending", "excused", NOW, DEADLINE, already_deferred=True) is None
    with pytest.raises(ValueError):
        refusal("pending", "maybe", NOW, DEADLINE, already_deferred=False)


def test_deferral_window_is_within_twelve_months() -> None:
    options = rules.deferral_months(date(2026, 3, 2), date(2026, 3, 10))
    assert options[0] == date(2026, 4, 1) and options[-1] == date(2027, 3, 1)
    assert len(options) == 12
    assert rules.deferral_window(date(2026, 3, 2), date(2026, 5, 1), date(2026, 3, 10)) == (
        date(2026, 5, 1),
        date(2027, 3, 2),
    )
    assert rules.deferral_window(date(2026, 3, 2), date(2027, 4, 1), date(2026, 3, 10)) is None
    assert rules.deferral_applies(date(2026, 5, 1), date(2027, 3, 2), date(2026, 6, 1))
    assert not rules.deferral_applies(date(2026, 5, 1), date(2027, 3, 2), date(2026, 4, 30))


def test_reminder_window() -> None:
    assert rules.reminder_due(DEADLINE, DEADLINE - timedelta(days=7), 7)
    assert not rules.reminder_due(DEADLINE, DEADLINE - timedelta(days=8), 7)
    assert not rules.reminder_due(DEADLINE, DEADLINE, 7)


def test_rotation_seats() -> None:
    assert rules.rotation_seats(24, 33) == 8
    assert rules.rotation_seats(24, 0) == 0
    assert rules.rotation_seats(5, 1) == 1


@given(st.binary(min_size=1, max_size=16))
def test_codes_round_trip(nonce: bytes) -> None:
    code = codes.derive_code(b"key", nonce.hex())
    shown = codes.display(code)
    assert len(code) == 12 and shown.count("-") == 2
    assert codes.normalize(shown.lower()) == code
    assert codes.normalize(f" {shown[:7]} {shown[7:]} ") == code
    assert codes.code_hash(b"key", code) != codes.code_hash(b"other", code)


def test_code_normalize_refuses_bad_input() -> None:
    assert codes.normalize("ABCD-EFGH-JKL") is None
    assert codes.normalize("ABCD-EFGH-JKL0") is None  # 0 is not in the alphabet
    assert codes.normalize("") is None
