"""Replies to invitations: by the invitee with the letter code, or by a clerk on their behalf."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from civic import audit, clock
from civic.accounts.models import User
from civic.errors import Conflict, InvalidInput, NotFound
from civic.extensions import db
from panels import rules
from panels.models import (
    Deferral,
    ExcuseReason,
    Invitation,
    InvitationStatus,
    Reply,
    ReplyChannel,
    Wave,
)
from panels.questions import reply_questions
from panels.verification import (
    REPLY_LIMIT,
    CodeRejected,
    find_code,
    ip_key,
    person_by_register_id,
)

CLERK_LIMIT = 200  # wrong codes per clerk per hour
REFUSALS = {
    rules.ReplyRefusal.ALREADY_REPLIED: _l("This invitation has already been answered."),
    rules.ReplyRefusal.DEADLINE_PASSED: _l("The reply deadline of this invitation has passed."),
    rules.ReplyRefusal.DEFER_USED: _l(
        "This invitation was already deferred once; it cannot be deferred again."
    ),
}


@dataclass(frozen=True)
class ReplyData:
    """A reply as entered: the answer and what that answer needs."""

    answer: InvitationStatus
    answers: dict[str, str] = field(default_factory=dict)
    availability: str | None = None
    access_needs: str | None = None
    excuse_reason: ExcuseReason | None = None
    excuse_text: str | None = None
    defer_to: date | None = None


def _invitation_of(code_invitation_id: int | None) -> Invitation:
    if code_invitation_id is None:
        raise CodeRejected(
            _l("This code is not an invitation code. Log in and use it to verify your account.")
        )
    invitation = db.session.get(Invitation, code_invitation_id)
    if invitation is None:
        raise NotFound()
    return invitation


def invitation_by_code(text: str, ip: str | None) -> Invitation:
    """The invitation behind a letter code typed on the reply page (throttled per IP)."""
    return _invitation_of(find_code(text, "reply", ip_key(ip), REPLY_LIMIT).invitation_id)


def clerk_invitation_by_code(clerk: User, text: str) -> Invitation:
    """The invitation behind a code a clerk was given by phone or on paper."""
    return _invitation_of(find_code(text, "clerk", f"user:{clerk.id}", CLERK_LIMIT).invitation_id)


def invitations_for_register_id(register_id: str) -> list[Invitation]:
    """A person's invitations, newest first, found by their clear register id."""
    person = person_by_register_id(register_id)
    return list(
        db.session.scalars(
            select(Invitation)
            .join(Wave, Wave.id == Invitation.wave_id)
            .where(Invitation.person_id == person.id)
            .order_by(Wave.wave_date.desc(), Invitation.id.desc())
        )
    )


def get_invitation(invitation_id: int) -> Invitation:
    """The invitation, or NotFound."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound()
    return invitation


def can_defer(invitation: Invitation) -> bool:
    """True unless this invitation already fulfils a deferral."""
    return invitation.deferred_from_id is None


def defer_options(invitation: Invitation) -> list[date]:
    """Months the invitee may defer to."""
    return rules.deferral_months(invitation.wave.wave_date, clock.local(clock.now()).date())


def _check_yes(data: ReplyData) -> dict[str, str]:
    answers = {}
    for question in reply_questions():
        value = data.answers.get(question.key)
        if value not in {v for v, _label in question.options}:
            raise InvalidInput(_l("Please answer every question."), field=question.key)
        answers[question.key] = value
    return answers


def _check(invitation: Invitation, data: ReplyData) -> dict[str, Any]:
    """Validate the answer-specific part; returns what the audit row may show."""
    if data.answer == InvitationStatus.YES:
        _check_yes(data)
        return {}
    if data.answer == InvitationStatus.EXCUSED:
        if data.excuse_reason is None:
            raise InvalidInput(_l("Choose the reason you cannot take part."), field="reason")
        if data.excuse_reason == ExcuseReason.OTHER and not (data.excuse_text or "").strip():
            raise InvalidInput(_l("Please describe the reason."), field="reason_text")
        return {"reason": data.excuse_reason.value}
    if data.answer == InvitationStatus.DEFERRED:
        today = clock.local(clock.now()).date()
        window = (
            rules.deferral_window(invitation.wave.wave_date, data.defer_to, today)
            if data.defer_to is not None
            else None
        )
        if window is None:
            raise InvalidInput(
                _l("Choose a month within 12 months of the invitation."), field="defer_to"
            )
        return {"defer_from": window[0].isoformat(), "defer_until": window[1].isoformat()}
    if data.answer != InvitationStatus.NO:
        raise InvalidInput(_l("Choose an answer."), field="answer")
    return {}


def record_reply(
    invitation: Invitation, data: ReplyData, *, channel: ReplyChannel, actor: User | None
) -> Reply:
    """Record the one reply to a pending invitation before its deadline (audited; the
    actor is the clerk for phone and paper replies, "invitee" on the web)."""
    now = clock.now()
    refusal = rules.reply_refusal(
        invitation.status.value,
        data.answer.value,
        now,
        invitation.wave.reply_deadline,
        already_deferred=not can_defer(invitation),
    )
    if refusal is not None:
        raise Conflict(REFUSALS[refusal])
    details = _check(invitation, data)
    taken = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.status == InvitationStatus.PENDING)
        .values(status=data.answer, replied_at=now)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(REFUSALS[rules.ReplyRefusal.ALREADY_REPLIED])
    db.session.refresh(invitation)
    reply = _store(invitation, data, channel, actor, now)
    if data.answer == InvitationStatus.DEFERRED:
        not_before, until = details["defer_from"], details["defer_until"]
        db.session.add(
            Deferral(
                invitation_id=invitation.id,
                panel_id=invitation.wave.panel_id,
                person_id=invitation.person_id,
                not_before=date.fromisoformat(not_before),
                until=date.fromisoformat(until),
            )
        )
    db.session.flush()
    after = {"status": data.answer.value, "channel": channel.value, **details}
    audit.record(actor or "invitee", "invitation.replied", invitation, {"status": "pending"}, after)
    return reply


def _store(
    invitation: Invitation,
    data: ReplyData,
    channel: ReplyChannel,
    actor: User | None,
    now: Any,
) -> Reply:
    yes = data.answer == InvitationStatus.YES
    excused = data.answer == InvitationStatus.EXCUSED
    reply = Reply(
        invitation_id=invitation.id,
        answer=data.answer,
        channel=channel,
        recorded_by_id=actor.id if actor is not None else None,
        excuse_reason=data.excuse_reason if excused else None,
        excuse_text=(data.excuse_text or "").strip() or None if excused else None,
        answers=json.dumps(_check_yes(data) if yes else {}, sort_keys=True),
        availability=(data.availability or "").strip() or None if yes else None,
        access_needs=(data.access_needs or "").strip() or None if yes else None,
        created_at=now,
    )
    db.session.add(reply)
    return reply


def reply_of(invitation: Invitation) -> Reply | None:
    """The reply to an invitation, if any."""
    return db.session.scalar(select(Reply).where(Reply.invitation_id == invitation.id))
