"""Server-side login sessions behind Flask-Login's cookie."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import delete, select
from werkzeug.wrappers import Response

from civic import clock
from civic.accounts.models import LoginSession, User
from civic.extensions import db, login_manager

SEEN_UPDATE_INTERVAL = timedelta(minutes=5)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """Create a session row and return its token (what the cookie carries)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    db.session.add(
        LoginSession(
            token_hash=_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    db.session.flush()
    user.session_token = token  # type: ignore[attr-defined]
    return token


def end_session(token: str | None) -> None:
    """Delete the session row, so the old cookie no longer logs anybody in."""
    if token:
        db.session.execute(delete(LoginSession).where(LoginSession.token_hash == _digest(token)))


def end_all_sessions(user: User, keep: str | None = None) -> int:
    """Log the user out everywhere (after a password reset), except the session `keep`."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep:
        query = query.where(LoginSession.token_hash != _digest(keep))
    result = db.session.execute(query)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """Find the live session for a cookie token and return its user."""
    session_row = db.session.scalar(
        select(LoginSession).where(LoginSession.token_hash == _digest(token))
    )
    now = clock.now()
    if session_row is None or session_row.expires_at <= now:
        return None
    user = db.session.get(User, session_row.user_id)
    if user is None or not user.active:
        return None
    user.session_token = token  # type: ignore[attr-defined]
    return user


@login_manager.unauthorized_handler
def ask_to_log_in() -> Response:
    """Send anonymous visitors of a protected page to the log-in form, then back."""
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        abort(401)
    flash(_("Please log in to see this page."), "warning")
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("accounts.login", next=target))
