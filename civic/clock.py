"""The one clock of Civic: UTC in storage, Europe/Amsterdam on screen; tests can move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Europe/Amsterdam")
_offset = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """Current time as an aware UTC datetime, honouring a test's frozen time or offset."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def freeze(at: datetime) -> None:
    """Stop the clock at `at` (tests only)."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = at.astimezone(UTC)


def move(by: timedelta) -> None:
    """Move the clock forward (or back) by `by` (tests only)."""
    global _offset, _frozen
    if _frozen is not None:
        _frozen = _frozen + by
    else:
        _offset = _offset + by


def reset() -> None:
    """Back to real time."""
    global _offset, _frozen
    _offset = timedelta(0)
    _frozen = None


def local(moment: datetime) -> datetime:
    """Convert a stored UTC moment to Amsterdam time for display."""
    return moment.astimezone(LOCAL_ZONE)
