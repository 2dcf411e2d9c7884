"""Retention: personal data kept for a purpose is deleted when the purpose has passed.

IP addresses of failed log-ins, and the keyed hashes of IP addresses that count wrong letter
codes, serve throttling (minutes to a day); after RETENTION_IP_DAYS (default 30) they are gone
whatever else happens, even if the throttling sweeps stopped running or their windows were
set longer. Housekeeping, not a change of anyone's account: no audit rows.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete

from civic import clock
from civic.accounts.models import LoginAttempt
from civic.extensions import db

DEFAULT_IP_DAYS = 30
SWEEP_SECONDS = 3600
CODE_ATTEMPTS = "letter_code_attempt"


def ip_cutoff(now: datetime) -> datetime:
    """Records with an IP address from before this moment must be gone."""
    config = current_app.config.get("RETENTION_IP_DAYS")
    days = int(config or os.environ.get("RETENTION_IP_DAYS") or DEFAULT_IP_DAYS)
    return now - timedelta(days=days)


def purge_ip_addresses(now: datetime | None = None) -> int:
    """Delete failed log-ins (IP address) and wrong letter codes (keyed hash of the IP
    address) older than the retention period; idempotent. Returns how many rows went (the
    runner commits)."""
    cutoff = ip_cutoff(now or clock.now())
    removed = db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff)).rowcount
    # The panels package owns this table; civic may not import it, so go by the table.
    code_attempts = db.metadata.tables.get(CODE_ATTEMPTS)
    if code_attempts is not None:
        statement = delete(code_attempts).where(code_attempts.c.at < cutoff)
        removed += db.session.execute(statement).rowcount  # type: ignore[attr-defined]
    return int(removed or 0)


def register_jobs() -> None:
    """Register the retention sweeps with the scheduler (safe to call more than once)."""
    from civic.scheduling import register_job

    register_job("retention.purge_ip_addresses", purge_ip_addresses, seconds=SWEEP_SECONDS)
