"""Pure decisions of panels: eligibility, wave size per area, replies, deferral, reminders.

No database, no request, no clock: every function gets `now` or a date.
"""

from __future__ import annotations

import calendar
import enum
import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

ADULT_AGE = 18
DEFER_MONTHS = 12
MAX_AREA_FACTOR = 3.0


class Ineligible(enum.StrEnum):
    """Why a person cannot be invited in a wave."""

    NOT_ACTIVE = "not_active"
    MINOR = "minor"
    SERVING = "serving"
    RESTING = "resting"
    RECENTLY_INVITED = "recently_invited"


@dataclass(frozen=True)
class PersonFacts:
    """What eligibility needs to know about one person."""

    person_id: int
    household: str
    birth_year: int
    active: bool
    serving: bool = False
    last_served_until: date | None = None
    last_invited_on: date | None = None


@functools.lru_cache(maxsize=4096)  # eligibility asks the same question for every person
def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def is_adult(birth_year: int, on: date) -> bool:
    """Certainly 18 or older on `on`. The register holds birth years only, so a person counts
    as adult from 1 January after the year of their 18th birthday (never a minor by mistake)."""
    return on.year - birth_year - 1 >= ADULT_AGE


def ineligibility(facts: PersonFacts, on: date, rest_months: int) -> Ineligible | None:
    """The first reason `facts` cannot be invited on `on`, or None when eligible."""
    rest_start = add_months(on, -rest_months)
    if not facts.active:
        return Ineligible.NOT_ACTIVE
    if not is_adult(facts.birth_year, on):
        return Ineligible.MINOR
    if facts.serving:
        return Ineligible.SERVING
    if facts.last_served_until is not None and facts.last_served_until > rest_start:
        return Ineligible.RESTING
    if facts.last_invited_on is not None and facts.last_invited_on > rest_start:
        return Ineligible.RECENTLY_INVITED
    return None


def allocate_by_area(
    total: int, households: Mapping[str, int], factors: Mapping[str, float] | None = None
) -> dict[str, int]:
    """Split `total` invitations over areas in proportion to households × factor (largest
    remainder, ties by area name), never more than an area's households; capped areas give
    their surplus to the others. The result sums to min(total, all households)."""
    factors = factors or {}
    left = {a: n for a, n in households.items() if n > 0}
    result = dict.fromkeys(households, 0)
    remaining = min(total, sum(left.values()))
    while remaining > 0 and left:
        weights = {a: n * max(float(factors.get(a, 1.0)), 0.0) for a, n in left.items()}
        if not any(weights.values()):
            weights = dict.fromkeys(left, 1.0)
        weight_sum = sum(weights.values())
        shares = {a: remaining * w / weight_sum for a, w in weights.items()}
        given = {a: min(int(s), left[a]) for a, s in shares.items()}
        spare = remaining - sum(given.values())
        order = sorted(left, key=lambda a: (-(shares[a] - int(shares[a])), a))
        for area in order:
            if spare == 0:
                break
            if given[area] < left[area]:
                given[area] += 1
                spare -= 1
        for area, n in given.items():
            result[area] += n
            left[area] -= n
            remaining -= n
        left = {a: n for a, n in left.items() if n > 0}
        if not any(given.values()):
            break
    return result


def area_factors(
    history: Mapping[str, tuple[int, int]], max_factor: float = MAX_AREA_FACTOR
) -> dict[str, float]:
    """Oversampling factors from earlier waves: area -> (invited, replied). An area that
    replied less than average gets average/area rate (at most `max_factor`); others get 1."""
    invited = sum(i for i, _r in history.values())
    replied = sum(r for _i, r in history.values())
    if invited == 0 or replied == 0:
        return {}
    average = replied / invited
    factors: dict[str, float] = {}
    for area, (n, r) in sorted(history.items()):
        if n == 0:
            continue
        rate = r / n
        factor = max_factor if rate == 0 else min(max_factor, average / rate)
        if factor > 1.0:
            factors[area] = round(factor, 2)
    return factors


def one_per_household(
    ordered: Iterable[tuple[str, str]], wanted: int, taken: set[str]
) -> list[str]:
    """The first `wanted` ids in `ordered` (id, household) whose household is not yet in
    `taken`; adds the chosen households to `taken`."""
    chosen: list[str] = []
    for ident, household in ordered:
        if len(chosen) >= wanted:
            break
        if household in taken:
            continue
        taken.add(household)
        chosen.append(ident)
    return chosen


class ReplyRefusal(enum.StrEnum):
    """Why a reply cannot be accepted."""

    ALREADY_REPLIED = "already_replied"
    DEADLINE_PASSED = "deadline_passed"
    DEFER_USED = "defer_used"
    DEFER_OUT_OF_RANGE = "defer_out_of_range"


REPLY_ANSWERS = ("yes", "no", "deferred", "excused")


def reply_refusal(
    status: str,
    answer: str,
    now: datetime,
    deadline: datetime,
    *,
    already_deferred: bool,
) -> ReplyRefusal | None:
    """Whether a pending invitation may take `answer` now; None when it may."""
    if answer not in REPLY_ANSWERS:
        raise ValueError(f"unknown answer {answer!r}")
    if status != "pending":
        return ReplyRefusal.ALREADY_REPLIED
    if now >= deadline:
        return ReplyRefusal.DEADLINE_PASSED
    if answer == "deferred" and already_deferred:
        return ReplyRefusal.DEFER_USED
    return None


def deferral_months(wave_date: date, today: date) -> list[date]:
    """First days of the months a person may defer to: after this month, at most
    DEFER_MONTHS after the wave."""
    latest = add_months(wave_date, DEFER_MONTHS)
    month = add_months(today.replace(day=1), 1)
    options = []
    while month <= latest:
        options.append(month)
        month = add_months(month, 1)
    return options


def deferral_window(wave_date: date, not_before: date, today: date) -> tuple[date, date] | None:
    """The (not_before, until) window of a deferral, or None when `not_before` is not offered."""
    if not_before not in deferral_months(wave_date, today):
        return None
    return not_before, add_months(wave_date, DEFER_MONTHS)


def deferral_applies(not_before: date, until: date, wave_date: date) -> bool:
    """True when a wave on `wave_date` should re-invite a deferred person."""
    return not_before <= wave_date <= until


def reminder_due(deadline: datetime, now: datetime, days_before: int) -> bool:
    """True inside the reminder window: from `days_before` days before the deadline to it."""
    return deadline - timedelta(days=days_before) <= now < deadline


def rotation_seats(size: int, percent: int) -> int:
    """Seats replaced per rotation: `percent` of `size`, rounded half up, at least 1 if > 0."""
    if percent <= 0:
        return 0
    return max(1, min(size, (size * percent + 50) // 100))


def check_panel_numbers(
    size: int, term_months: int, rotation_months: int, rotation_percent: int, rest_months: int
) -> list[str]:
    """Names of the panel fields that break a rule (empty when all are fine)."""
    bad = []
    if size < 1:
        bad.append("size")
    if term_months < 1:
        bad.append("term_months")
    if rotation_months < 0 or (rotation_months and rotation_months > term_months):
        bad.append("rotation_months")
    if not 0 <= rotation_percent <= 100:
        bad.append("rotation_percent")
    if rest_months < 0:
        bad.append("rest_months")
    return bad


def quota_problem(
    kind: str,
    min_count: int | None,
    max_count: int | None,
    share: float | None,
    tolerance: float | None,
    size: int,
) -> str | None:
    """A code for what is wrong with one quota row, or None."""
    if kind == "count":
        if min_count is None or max_count is None:
            return "count_missing"
        if not 0 <= min_count <= max_count <= size:
            return "count_range"
        return None
    if share is None or tolerance is None:
        return "share_missing"
    if not 0 <= share <= 100 or not 0 <= tolerance <= 100:
        return "share_range"
    return None


# --- The panel draw, rotation and the journey map (points 5-8) ---------------------------------

UNKNOWN = "unknown"
AGE_GROUPS = ((18, 34), (35, 49), (50, 64), (65, None))


def age_group(birth_year: int, year: int) -> str:
    """The age band of a birth year in `year` (age as year - birth year), e.g. "35-49"."""
    age = year - birth_year
    for low, high in AGE_GROUPS:
        if high is None or age <= high:
            return f"{low}-{high}" if high is not None else f"{low}+"
    return UNKNOWN  # pragma: no cover - the last band is open


def share_to_counts(share: float, tolerance: float, size: int) -> tuple[int, int]:
    """Seat counts (min, max) for a population share ± tolerance (percentage points) of
    `size` seats: the lower bound rounded down, the upper bound up (never stricter than
    asked), both clipped to 0..size."""
    low = max(0.0, share - tolerance) * size / 100
    high = min(100.0, share + tolerance) * size / 100
    return max(0, math.floor(low + 1e-9)), min(size, math.ceil(high - 1e-9))


def open_quotas(
    named: Iterable[tuple[str, str]], values: Iterable[tuple[str, str]], size: int
) -> list[tuple[str, str, int, int]]:
    """A 0..size quota for every (feature, value) in the pool that no quota names, so that
    everyone can be drawn (the engine needs a quota for every value of a quota feature)."""
    known = set(named)
    return [(f, v, 0, size) for f, v in sorted(set(values) - known)]


def quotas_hold(
    counts: Mapping[tuple[str, str], int], quotas: Iterable[tuple[str, str, int, int]]
) -> bool:
    """True when every quota (feature, value, min, max) holds for the member counts."""
    return all(lo <= counts.get((f, v), 0) <= hi for f, v, lo, hi in quotas)


def rotation_date(seated_on: date, rotation_months: int, done: int) -> date | None:
    """When the next rotation is due, after `done` rotations; None without rotation."""
    if rotation_months <= 0:
        return None
    return add_months(seated_on, rotation_months * (done + 1))


def term_end(started_on: date, term_months: int) -> date:
    """The day a seat taken on `started_on` ends by its term."""
    return add_months(started_on, term_months)


def rating_band(average: float | None) -> str:
    """A word for an average step rating (1-5), so colour never carries meaning alone."""
    if average is None:
        return "none"
    if average < 2:
        return "very_poor"
    if average < 3:
        return "poor"
    if average < 4:
        return "fair"
    if average < 4.5:
        return "good"
    return "very_good"
