"""Retention of letter codes: a code nobody used is deleted a while after it expired.

An unused code ties a register person to a nonce from which the code can be derived again;
once it can no longer be used (RETENTION_LETTER_CODE_DAYS, default 90, after its expiry)
nothing needs it. Redeemed codes stay: the resident link points at them, and the link is
what keeps one register person to one account (see docs/privacy.md).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete

from civic import audit, clock
from civic.extensions import db
from civic.privacy.export import table

DEFAULT_LETTER_CODE_DAYS = 90
SWEEP_SECONDS = 6 * 3600


def letter_code_cutoff(now: datetime) -> datetime:
    """Unused codes that expired before this moment must be gone."""
    setting = current_app.config.get("RETENTION_LETTER_CODE_DAYS")
    days = int(
        setting
        if setting is not None
        else os.environ.get("RETENTION_LETTER_CODE_DAYS") or DEFAULT_LETTER_CODE_DAYS
    )
    return now - timedelta(days=days)


def purge_letter_codes(now: datetime | None = None) -> int:
    """Delete unused codes past the retention period; idempotent. One audit row per sweep
    that deleted something (codes were issued with an audit row, so their end is recorded
    too). Returns how many went; the runner commits."""
    now = now or clock.now()
    cutoff = letter_code_cutoff(now)
    codes = table("letter_code")
    result = db.session.execute(
        delete(codes).where(codes.c.redeemed_at.is_(None), codes.c.expires_at < cutoff)
    )
    removed = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if removed:
        audit.record(
            "scheduler",
            "letter_codes.purged",
            None,
            after={"deleted": removed, "expired_before": cutoff.isoformat()},
            object_type="LetterCode",
            object_id="retention",
        )
    return removed


def register_jobs() -> None:
    """Register the sweep with the scheduler (safe to call more than once)."""
    from civic.scheduling import register_job

    register_job("privacy.purge_letter_codes", purge_letter_codes, seconds=SWEEP_SECONDS)
