"""Pure digest rules: when a person's next digest is due. No db, no clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from civic.notifications.models import DigestFrequency

PERIODS = {
    DigestFrequency.IMMEDIATELY: timedelta(0),
    DigestFrequency.DAILY: timedelta(days=1),
    DigestFrequency.WEEKLY: timedelta(days=7),
}


def digest_due(frequency: DigestFrequency, last_sent: datetime | None, now: datetime) -> bool:
    """True when a digest may go out now: at most one per period, never for 'never'."""
    if frequency == DigestFrequency.NEVER:
        return False
    return last_sent is None or now >= last_sent + PERIODS[frequency]
