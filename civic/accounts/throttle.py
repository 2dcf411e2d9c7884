"""Login throttling: failures per account key and per IP address within a window."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute

from civic import clock
from civic.accounts.models import LoginAttempt
from civic.accounts.rules import ThrottleRule, retry_after
from civic.errors import Throttled
from civic.extensions import db


def account_key(email: str) -> str:
    """A keyed hash of the lower-cased e-mail: the same for known and unknown addresses."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def ip_pseudonym(ip: str | None) -> str:
    """A short keyed hash of an IP address for the audit log: repeated attempts from one
    address stay recognisable, but the log never holds the address itself."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"ip:" + (ip or "").encode(), hashlib.sha256).hexdigest()[:16]


def _rules() -> tuple[ThrottleRule, ThrottleRule]:
    config = current_app.config
    window = config["LOGIN_WINDOW"]
    return (
        ThrottleRule(int(config["LOGIN_FAILURES_PER_ACCOUNT"]), window),
        ThrottleRule(int(config["LOGIN_FAILURES_PER_IP"]), window),
    )


def _failures(column: InstrumentedAttribute[str], value: str, since: datetime) -> list[datetime]:
    query = select(LoginAttempt.at).where(column == value, LoginAttempt.at > since)
    return list(db.session.scalars(query))


def check(key: str, ip: str) -> None:
    """Raise Throttled (with `retry_after` seconds) when the account or the IP is over limit."""
    now = clock.now()
    per_account, per_ip = _rules()
    since = now - max(per_account.window, per_ip.window)
    wait = max(
        retry_after(_failures(LoginAttempt.account_key, key, since), per_account, now),
        retry_after(_failures(LoginAttempt.ip, ip, since), per_ip, now),
    )
    if wait:
        raise Throttled(retry_after=wait)


def record_failure(key: str, ip: str) -> None:
    """Count one failed attempt."""
    db.session.add(LoginAttempt(at=clock.now(), account_key=key, ip=ip[:45]))
    db.session.flush()


def clear_account(key: str) -> None:
    """A successful log-in forgives the account's failures (not the IP's)."""
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.account_key == key))


def purge_before(moment: datetime) -> int:
    """Delete attempts older than `moment`; returns how many."""
    result = db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < moment))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
