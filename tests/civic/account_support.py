"""Helpers for the account, admin and authorization tests."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from civic.extensions import db
from tests.support import csrf_token

LINK_RE = re.compile(r"https?://[^/\s]+(/account/(?:confirm|reset)/[A-Za-z0-9._\-]+)")
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="[^"]+"|value="[^"]+"[^>]*name="csrf_token"')
PASSWORD = "a long and unusual passphrase"


def post(client: FlaskClient, url: str, data: dict[str, Any], form_page: str | None = None) -> Any:
    """POST `data` with a fresh CSRF token taken from `form_page` (default: `url`)."""
    token = csrf_token(client, form_page or url)
    return client.post(url, data={"csrf_token": token, **data})


def outbox(kind: str | None = None, to: str | None = None) -> list[Any]:
    """Outbox messages, oldest first, optionally of one kind and recipient."""
    from civic.mail.models import OutboxMessage

    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    if to:
        query = query.where(OutboxMessage.to_address == to)
    db.session.expire_all()
    return list(db.session.scalars(query))


def link_path(text: str) -> str:
    """The path of the first confirmation or reset link in a mail body."""
    match = LINK_RE.search(text)
    assert match, f"no account link in: {text!r}"
    return match.group(1)


def audit_rows(action: str | None = None) -> list[Any]:
    """Audit entries, oldest first, optionally of one action."""
    from civic.audit.models import AuditEntry

    db.session.expire_all()
    query = select(AuditEntry).order_by(AuditEntry.seq)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


def without_tokens(html: str) -> str:
    """Page text with the (time-stamped) CSRF tokens removed, for comparing two answers."""
    return TOKEN_RE.sub("csrf", html)


def signup(client: FlaskClient, email: str, password: str = PASSWORD, name: str = "") -> Any:
    """Fill in the sign-up form."""
    return post(
        client,
        "/account/signup",
        {"email": email, "password": password, "display_name": name},
    )


def log_in(client: FlaskClient, email: str, password: str = PASSWORD, **kwargs: Any) -> Any:
    """Fill in the log-in form."""
    token = csrf_token(client, "/account/login")
    return client.post(
        "/account/login",
        data={"csrf_token": token, "email": email, "password": password},
        **kwargs,
    )


def confirm_via_outbox(client: FlaskClient, email: str) -> Any:
    """Follow the newest confirmation link sent to `email` and press the button."""
    path = link_path(outbox("account.confirm", email)[-1].body_text)
    return post(client, path, {})
