"""Scheduled sweep: forget expired login sessions, old failed log-ins and spent links.

Housekeeping of security bookkeeping, not a change of anyone's account, so no audit rows.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_

from civic import clock
from civic.accounts import throttle
from civic.accounts.models import AccountToken, LoginSession
from civic.extensions import db

KEEP_SPENT_TOKENS = timedelta(days=30)


def purge_expired() -> dict[str, int]:
    """Delete what can no longer matter; idempotent. Returns the counts (the runner commits)."""
    now = clock.now()
    attempts = throttle.purge_before(now - current_app.config["LOGIN_WINDOW"])
    sessions = db.session.execute(delete(LoginSession).where(LoginSession.expires_at <= now))
    cutoff = now - KEEP_SPENT_TOKENS
    tokens = db.session.execute(
        delete(AccountToken).where(
            or_(AccountToken.expires_at <= cutoff, AccountToken.used_at <= cutoff)
        )
    )
    return {
        "attempts": attempts,
        "sessions": int(sessions.rowcount or 0),  # type: ignore[attr-defined]
        "tokens": int(tokens.rowcount or 0),  # type: ignore[attr-defined]
    }
