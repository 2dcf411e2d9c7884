"""One-time links: signed (itsdangerous, salted per purpose), expiring and single-use."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select, update

from civic import clock
from civic.accounts.models import AccountToken, TokenPurpose, User
from civic.extensions import db

SALTS = {TokenPurpose.CONFIRM: "civic.accounts.confirm", TokenPurpose.RESET: "civic.accounts.reset"}


class ClockSigner(TimestampSigner):
    """A timestamp signer that reads Civic's clock, so tests can move time."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer(purpose: TokenPurpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=SALTS[purpose], signer=ClockSigner
    )


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _password_mark(user: User) -> str:
    # Binds a reset link to the current password: any password change invalidates it.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def issue(user: User, purpose: TokenPurpose) -> str:
    """Store a fresh nonce for `user` and return the signed token for the link."""
    nonce = secrets.token_urlsafe(24)
    now = clock.now()
    db.session.add(
        AccountToken(
            nonce_hash=_digest(nonce),
            user_id=user.id,
            purpose=purpose,
            created_at=now,
            expires_at=now + current_app.config["TOKEN_MAX_AGE"],
        )
    )
    db.session.flush()
    payload: dict[str, Any] = {"u": user.id, "n": nonce}
    if purpose is TokenPurpose.RESET:
        payload["p"] = _password_mark(user)
    return _serializer(purpose).dumps(payload)


def _load(token: str, purpose: TokenPurpose) -> tuple[AccountToken, User] | None:
    max_age = int(current_app.config["TOKEN_MAX_AGE"].total_seconds())
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("n"), str):
        return None
    row = db.session.scalar(
        select(AccountToken).where(AccountToken.nonce_hash == _digest(payload["n"]))
    )
    if row is None or row.purpose is not purpose or row.user_id != payload.get("u"):
        return None
    if row.used_at is not None or row.expires_at <= clock.now():
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if purpose is TokenPurpose.RESET and payload.get("p") != _password_mark(user):
        return None
    return row, user


def peek(token: str, purpose: TokenPurpose) -> User | None:
    """The user a still-valid token belongs to, without using it up."""
    found = _load(token, purpose)
    return found[1] if found else None


def consume(token: str, purpose: TokenPurpose) -> User | None:
    """Mark a valid token used and return its user; None when invalid, expired or used.

    The conditional UPDATE makes two concurrent uses of one link succeed at most once.
    """
    found = _load(token, purpose)
    if found is None:
        return None
    row, user = found
    claimed = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return user


def revoke_all(user: User, purpose: TokenPurpose) -> None:
    """Use up every open token of `user` for `purpose` (after a password change)."""
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=clock.now())
        .execution_options(synchronize_session=False)
    )


def recently_issued(user: User, purpose: TokenPurpose, seconds: int) -> bool:
    """True when a token for `purpose` was issued to `user` in the last `seconds`."""
    since = clock.now().timestamp() - seconds
    latest = db.session.scalar(
        select(AccountToken.created_at)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose)
        .order_by(AccountToken.created_at.desc())
        .limit(1)
    )
    return latest is not None and latest.timestamp() > since
