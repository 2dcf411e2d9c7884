"""E-mails to invitees who have a verified account: the invitation and the reminder."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy import select

from civic import clock
from civic.accounts.models import User
from civic.extensions import db
from panels.models import Invitation, LetterCode, ResidentLink


def recipient(person_id: int) -> User | None:
    """The verified account linked to a register person, if any (and active)."""
    user = db.session.scalar(
        select(User)
        .join(ResidentLink, ResidentLink.user_id == User.id)
        .where(ResidentLink.person_id == person_id)
    )
    return user if user is not None and user.active else None


def recipients(person_ids: Iterable[int]) -> dict[int, User]:
    """Verified active accounts by register person, for many people in one query."""
    wanted = list(person_ids)
    found: dict[int, User] = {}
    for start in range(0, len(wanted), 500):  # stay below SQLite's bound-parameter limit
        rows = db.session.execute(
            select(ResidentLink.person_id, User)
            .join(User, ResidentLink.user_id == User.id)
            .where(ResidentLink.person_id.in_(wanted[start : start + 500]), User.active.is_(True))
        )
        found.update((int(pid), user) for pid, user in rows)
    return found


def _code_for(invitation: Invitation) -> str:
    from panels.verification import clear_code

    row = db.session.scalar(select(LetterCode).where(LetterCode.invitation_id == invitation.id))
    return clear_code(row) if row is not None else ""


def _context(invitation: Invitation) -> dict[str, Any]:
    from panels.waves import reply_url

    wave = invitation.wave
    return {
        "panel": wave.panel.title,
        "code": _code_for(invitation),
        "url": reply_url(),
        "deadline": format_datetime(wave.reply_deadline, "long"),
    }


def _locale(user: User) -> str:
    return user.locale or str(current_app.config["BABEL_DEFAULT_LOCALE"])


def send_invitation_mail(invitation: Invitation, user: User, actor: Any) -> None:
    """Queue the invitation e-mail to the person's verified account."""
    from civic.mail.services import enqueue

    with force_locale(_locale(user)):
        context = _context(invitation)
        subject = _("Invitation: join the citizens' panel on %(panel)s", panel=context["panel"])
        body = _(
            "You have been drawn by lot to be invited to the citizens' panel on %(panel)s.\n\n"
            "Please reply before %(deadline)s at %(url)s with this code: %(code)s\n\n"
            "You can say yes, no, ask to be invited later (once), or tell us why you cannot "
            "take part. You can also reply by post or by phone; see your letter.",
            **context,
        )
    enqueue(to=user.email, subject=subject, body_text=body, kind="panels.invitation", actor=actor)
    invitation.emailed_at = clock.now()


def send_reminder_mail(invitation: Invitation) -> bool:
    """Queue the reminder e-mail when the person has a verified account."""
    from civic.mail.services import enqueue

    user = recipient(invitation.person_id)
    if user is None:
        return False
    with force_locale(_locale(user)):
        context = _context(invitation)
        subject = _(
            "Reminder: please reply to your invitation for %(panel)s", panel=context["panel"]
        )
        body = _(
            "We have not yet received your reply to the invitation for the citizens' panel "
            "on %(panel)s.\n\nPlease reply before %(deadline)s at %(url)s with this code: "
            "%(code)s\n\nIf we hear nothing, we record that you did not reply.",
            **context,
        )
    enqueue(to=user.email, subject=subject, body_text=body, kind="panels.reminder")
    return True
