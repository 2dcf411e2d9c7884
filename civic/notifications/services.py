"""Notification use cases: queue, choose how often, unsubscribe, send digests. Flush only."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from civic import audit, clock
from civic.accounts.models import User
from civic.errors import NotFound
from civic.extensions import db
from civic.notifications import rules
from civic.notifications.models import (
    DigestFrequency,
    Notification,
    NotificationPreference,
    NotificationState,
)

UNSUBSCRIBE_SALT = "civic.notifications.unsubscribe"
FREQUENCY_LABELS = {
    DigestFrequency.IMMEDIATELY: _l("Immediately (at most one e-mail every few minutes)"),
    DigestFrequency.DAILY: _l("Once a day"),
    DigestFrequency.WEEKLY: _l("Once a week"),
    DigestFrequency.NEVER: _l("Never"),
}
# What a notification is about; unknown kinds are shown by their title only.
KIND_LABELS = {
    "answer": _l("New answer"),
    "overdue": _l("Answer overdue"),
    "progress": _l("Progress"),
}


# --- preferences ---


def frequency_of(user_id: int) -> DigestFrequency:
    """The person's choice; daily when they never chose."""
    pref = db.session.get(NotificationPreference, user_id)
    return pref.frequency if pref else DigestFrequency.DAILY


def set_frequency(actor: Any, user: User, frequency: DigestFrequency) -> NotificationPreference:
    """Store the choice (one audit entry when it changes)."""
    pref = db.session.get(NotificationPreference, user.id)
    before = pref.frequency if pref else DigestFrequency.DAILY
    if pref is None:
        pref = NotificationPreference(user_id=user.id, frequency=before)
        db.session.add(pref)
    if before != frequency:
        pref.frequency = frequency
        pref.updated_at = clock.now()
        db.session.flush()
        audit.record(
            actor,
            "notifications.frequency_changed",
            pref,
            {"frequency": before.value},
            {"frequency": frequency.value},
            object_type="NotificationPreference",
            object_id=str(user.id),
        )
    db.session.flush()
    return pref


def unsubscribe_token(user_id: int) -> str:
    """The signed token of a person's unsubscribe link (no expiry, no login needed)."""
    signer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)
    return str(signer.dumps(user_id))


def user_for_token(token: str) -> User:
    """The person a genuine unsubscribe token belongs to, else NotFound."""
    signer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)
    try:
        user_id = signer.loads(token)
    except BadSignature:
        raise NotFound() from None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise NotFound()
    return user


def unsubscribe(token: str) -> User:
    """Set the token's owner to 'never' (acting as themselves: the link proves who it is)."""
    user = user_for_token(token)
    set_frequency(user, user, DigestFrequency.NEVER)
    return user


# --- queueing ---


def notify(
    user_ids: Iterable[int], kind: str, title: str, text: str = "", link: str = ""
) -> list[Notification]:
    """Queue one notification per person (each once) for their next digest; people who
    chose 'never' and inactive accounts are skipped. The caller commits."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return []
    never = set(
        db.session.scalars(
            select(NotificationPreference.user_id).where(
                NotificationPreference.user_id.in_(wanted),
                NotificationPreference.frequency == DigestFrequency.NEVER,
            )
        )
    )
    active = set(db.session.scalars(select(User.id).where(User.id.in_(wanted), User.active)))
    now = clock.now()
    rows = [
        Notification(
            user_id=uid, kind=kind, title=title[:200], text=text, link=link[:300], created_at=now
        )
        for uid in wanted
        if uid in active and uid not in never
    ]
    db.session.add_all(rows)
    db.session.flush()
    return rows


# --- digests ---


def _pending(user_id: int) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id, Notification.state == NotificationState.PENDING)
            .order_by(Notification.id)
        )
    )


def _mark(items: list[Notification], state: NotificationState, now: datetime) -> None:
    db.session.execute(
        update(Notification)
        .where(
            Notification.id.in_([n.id for n in items]),
            Notification.state == NotificationState.PENDING,
        )
        .values(state=state, sent_at=now)
        .execution_options(synchronize_session=False)
    )


def _digest_mail(user: User, items: list[Notification]) -> None:
    from civic.mail.services import enqueue

    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    locale = user.locale or str(current_app.config["BABEL_DEFAULT_LOCALE"])
    token = unsubscribe_token(user.id)
    with force_locale(locale):
        entries = [
            {
                "label": str(KIND_LABELS.get(n.kind, "")),
                "title": n.title,
                "text": n.text,
                "url": f"{base}{n.link}" if n.link else "",
            }
            for n in items
        ]
        body = render_template(
            "notifications/digest.txt",
            entries=entries,
            preferences_url=f"{base}/notifications/preferences",
            unsubscribe_url=f"{base}/notifications/unsubscribe/{token}",
        )
        subject = _("Civic: %(n)s update(s) on proposals you follow", n=len(items))
    enqueue(
        to=user.email,
        subject=subject,
        body_text=body.rstrip("\n") + "\n",
        kind="notifications.digest",
        actor="scheduler",
    )


def send_digests(now: datetime | None = None) -> int:
    """Send every due digest: one e-mail per person with everything pending; returns how
    many were queued. Idempotent: what was sent is marked, so a second run sends nothing."""
    now = now or clock.now()
    user_ids = list(
        db.session.scalars(
            select(Notification.user_id)
            .where(Notification.state == NotificationState.PENDING)
            .distinct()
            .order_by(Notification.user_id)
        )
    )
    sent = 0
    for user_id in user_ids:
        pref = db.session.get(NotificationPreference, user_id)
        frequency = pref.frequency if pref else DigestFrequency.DAILY
        items = _pending(user_id)
        user = db.session.get(User, user_id)
        if frequency == DigestFrequency.NEVER or user is None or not user.active:
            _mark(items, NotificationState.DROPPED, now)
            continue
        if not rules.digest_due(frequency, pref.last_digest_at if pref else None, now):
            continue
        _digest_mail(user, items)
        _mark(items, NotificationState.SENT, now)
        if pref is None:
            pref = NotificationPreference(user_id=user_id, frequency=frequency)
            db.session.add(pref)
        pref.last_digest_at = now
        sent += 1
    db.session.flush()
    return sent
