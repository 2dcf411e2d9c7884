"""Comply-or-explain answers: drafted, then published as an immutable version; ratings.

A published answer is never changed: a revision is a new draft published as the next
version, and every version stays public. "Needs more time" moves the deadline, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from civic import audit, clock
from civic.accounts.models import User
from civic.errors import Conflict, InvalidInput, NotAllowed
from civic.extensions import db
from proposals.inbox import may_rate, notify_stakeholders
from proposals.models import (
    AnswerKind,
    Idea,
    OriginType,
    Proposal,
    ProposalAnswer,
    ProposalStatus,
    Rating,
)

SUMMARY_MAX = 200
TEXT_MAX = 10000
COMMENT_MAX = 2000
FINAL_KINDS = frozenset(AnswerKind) - {AnswerKind.NEEDS_MORE_TIME}
ADOPTED_KINDS = frozenset({AnswerKind.ADOPTED, AnswerKind.ADOPTED_IN_PART})
# Progress can be reported once the agency decided to act.
ACTING_KINDS = frozenset({AnswerKind.ADOPTED, AnswerKind.ADOPTED_IN_PART, AnswerKind.TO_PILOT})

KIND_LABELS = {
    AnswerKind.ADOPTED: _l("Adopted"),
    AnswerKind.ADOPTED_IN_PART: _l("Adopted in part"),
    AnswerKind.TO_PILOT: _l("To a pilot first"),
    AnswerKind.REJECTED: _l("Rejected"),
    AnswerKind.NEEDS_MORE_TIME: _l("Needs more time"),
}


class AnswerInvalid(InvalidInput):
    """An answer breaking a rule; `field` names the form field."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(message, field=field)


class NoDraft(Conflict):
    code = "no_draft"
    default_message = _l("There is no draft answer to publish. Save a draft first.")


class AnswerChanged(Conflict):
    code = "answer_changed"
    default_message = _l(
        "Someone else changed or published this answer at the same moment. Please reload."
    )


class AlreadyRated(Conflict):
    code = "already_rated"
    default_message = _l("You have already rated this answer.")


@dataclass(frozen=True)
class AnswerData:
    """What an officer enters."""

    kind: AnswerKind
    summary: str
    explanation: str
    reason: str = ""
    new_due_at: datetime | None = None


# --- pure rules ---


def answer_problem(
    data: AnswerData, *, now: datetime, due_at: datetime, extended: bool, answered: bool
) -> tuple[str, Any] | None:
    """The first rule the answer breaks, as (field, message), or None. Pure."""
    summary, explanation = data.summary.strip(), data.explanation.strip()
    if not summary:
        return "summary", _l("Write a summary of the answer.")
    if len(summary) > SUMMARY_MAX:
        return "summary", _l("Keep the summary to %(n)s characters at most.", n=SUMMARY_MAX)
    if not explanation:
        return "explanation", _l("Explain the answer in plain language.")
    if len(explanation) > TEXT_MAX or len(data.reason) > TEXT_MAX:
        return "explanation", _l("Use at most %(n)s characters.", n=TEXT_MAX)
    if data.kind != AnswerKind.ADOPTED and not data.reason.strip():
        return "reason", _l("Give the reason: it is required for every answer except 'adopted'.")
    if data.kind == AnswerKind.NEEDS_MORE_TIME:
        return _more_time_problem(data.new_due_at, now, due_at, extended, answered)
    return None


def _more_time_problem(
    new_due_at: datetime | None, now: datetime, due_at: datetime, extended: bool, answered: bool
) -> tuple[str, Any] | None:
    if answered:
        return "kind", _l("This proposal has been answered; more time is no longer possible.")
    if extended:
        return "kind", _l("More time can be asked only once; this proposal already had it.")
    if new_due_at is None:
        return "new_due_at", _l("Enter the new date by which you will answer.")
    if new_due_at <= max(now, due_at):
        return "new_due_at", _l("The new date must be later than the current deadline.")
    return None


# --- reading ---


def published_answers(proposal: Proposal) -> list[ProposalAnswer]:
    """Every published version, oldest first (the public history)."""
    return list(
        db.session.scalars(
            select(ProposalAnswer)
            .where(
                ProposalAnswer.proposal_id == proposal.id, ProposalAnswer.published_at.isnot(None)
            )
            .order_by(ProposalAnswer.version)
        )
    )


def draft_of(proposal: Proposal) -> ProposalAnswer | None:
    """The unpublished draft, if any (staff only)."""
    return db.session.scalar(
        select(ProposalAnswer).where(
            ProposalAnswer.proposal_id == proposal.id, ProposalAnswer.published_at.is_(None)
        )
    )


def _extended(proposal: Proposal) -> bool:
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(ProposalAnswer)
            .where(
                ProposalAnswer.proposal_id == proposal.id,
                ProposalAnswer.published_at.isnot(None),
                ProposalAnswer.kind == AnswerKind.NEEDS_MORE_TIME,
            )
        )
    )


def _check(proposal: Proposal, data: AnswerData, now: datetime) -> None:
    problem = answer_problem(
        data,
        now=now,
        due_at=proposal.response_due_at,
        extended=_extended(proposal),
        answered=proposal.answer_kind is not None,
    )
    if problem is not None:
        raise AnswerInvalid(*problem)


# --- drafting and publishing ---


def save_draft(actor: User, proposal: Proposal, data: AnswerData) -> ProposalAnswer:
    """Create or change the proposal's one draft; nothing is public yet."""
    now = clock.now()
    _check(proposal, data, now)
    actor_id = actor.id
    values = {
        "kind": data.kind,
        "summary": data.summary.strip(),
        "explanation": data.explanation.strip(),
        "reason": data.reason.strip() or None,
        "new_due_at": data.new_due_at if data.kind == AnswerKind.NEEDS_MORE_TIME else None,
        "updated_at": now,
        "author_id": actor_id,
    }
    draft = draft_of(proposal)
    before = draft.as_audit() if draft else None
    if draft is None:
        draft = ProposalAnswer(proposal_id=proposal.id, created_at=now, **values)
        db.session.add(draft)
        try:
            db.session.flush()
        except IntegrityError:  # another officer started a draft at the same moment
            raise AnswerChanged() from None
    else:
        # Conditional: a draft published meanwhile by someone else is never changed.
        _claim_draft(draft, values)
    audit.record(actor, "proposal.answer_drafted", draft, before, draft.as_audit())
    return draft


def _claim_draft(draft: ProposalAnswer, values: dict[str, Any]) -> None:
    """Update the draft only while it is still unpublished; AnswerChanged otherwise."""
    changed = db.session.scalar(
        update(ProposalAnswer)
        .where(ProposalAnswer.id == draft.id, ProposalAnswer.published_at.is_(None))
        .values(**values)
        .returning(ProposalAnswer.id)
        .execution_options(synchronize_session=False)
    )
    if changed is None:
        raise AnswerChanged()
    db.session.refresh(draft)


def _data_of(answer: ProposalAnswer) -> AnswerData:
    return AnswerData(
        answer.kind, answer.summary, answer.explanation, answer.reason or "", answer.new_due_at
    )


def publish(actor: User, proposal: Proposal) -> ProposalAnswer:
    """Publish the draft as the next version: the deadline moves (needs more time) or the
    proposal is answered; stakeholders are told; an idea's timeline shows it."""
    now = clock.now()
    draft = draft_of(proposal)
    if draft is None:
        raise NoDraft()
    _check(proposal, _data_of(draft), now)  # the rules may have changed since drafting
    before = {"status": proposal.status.value, "due": proposal.response_due_at.isoformat()}
    latest = db.session.scalar(
        select(func.max(ProposalAnswer.version)).where(ProposalAnswer.proposal_id == proposal.id)
    )
    version = (latest or 0) + 1
    _claim_draft(draft, {"version": version, "published_at": now, "published_by_id": actor.id})
    _apply(proposal, draft, now)
    db.session.flush()
    audit.record(
        actor,
        "proposal.answer_published",
        proposal,
        before,
        {**draft.as_audit(), "status": proposal.status.value},
    )
    _add_idea_event(proposal, draft, now)
    notify_stakeholders(proposal, "answer", f"{KIND_LABELS[draft.kind]}: {draft.summary}")
    return draft


def _apply(proposal: Proposal, answer: ProposalAnswer, now: datetime) -> None:
    if answer.kind == AnswerKind.NEEDS_MORE_TIME:
        assert answer.new_due_at is not None
        proposal.response_due_at = answer.new_due_at
        return
    proposal.answer_kind = answer.kind
    if proposal.answered_at is None:
        proposal.answered_at = now
    if proposal.status == ProposalStatus.OPEN:
        proposal.status = ProposalStatus.ANSWERED


def _add_idea_event(proposal: Proposal, answer: ProposalAnswer, now: datetime) -> None:
    """The idea's public journey shows the published answer (idea origins only)."""
    if proposal.origin_type != OriginType.IDEA:
        return
    from proposals.ideas import add_event
    from proposals.rules import EventKind

    kind = getattr(EventKind, "ANSWERED", None)
    idea = db.session.get(Idea, proposal.origin_id)
    if kind is None or idea is None:
        return
    add_event(
        idea,
        kind,
        now,
        proposal=proposal.id,
        version=answer.version,
        answer=answer.kind.value,
        summary=answer.summary,
    )


# --- ratings ---


def rating_summary(proposal: Proposal) -> tuple[float | None, int]:
    """The public average and the number of ratings."""
    row = db.session.execute(
        select(func.avg(Rating.score), func.count(Rating.id)).where(
            Rating.proposal_id == proposal.id
        )
    ).one()
    return (float(row[0]) if row[0] is not None else None), int(row[1])


def my_rating(proposal: Proposal, user: User | None) -> Rating | None:
    """The user's rating, if any."""
    if user is None:
        return None
    return db.session.scalar(
        select(Rating).where(Rating.proposal_id == proposal.id, Rating.user_id == user.id)
    )


def can_rate(proposal: Proposal, user: User | None) -> bool:
    """A final answer is published and the user has a stake (and has not rated)."""
    return (
        proposal.answer_kind is not None
        and may_rate(proposal, user)
        and my_rating(proposal, user) is None
    )


def rate(actor: User, proposal: Proposal, score: int, comment: str = "") -> Rating:
    """Rate the published answer 1-5, once (the unique constraint decides a double post)."""
    if proposal.answer_kind is None:
        raise Conflict(_l("There is no published answer to rate yet."))
    if not may_rate(proposal, actor):
        raise NotAllowed(_l("Only people who voted for the idea or sit on the panel can rate."))
    if score not in range(1, 6):
        raise AnswerInvalid("score", _l("Choose a score from 1 to 5."))
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise AnswerInvalid("comment", _l("Use at most %(n)s characters.", n=COMMENT_MAX))
    if my_rating(proposal, actor) is not None:
        raise AlreadyRated()
    rating = Rating(
        proposal_id=proposal.id,
        user_id=actor.id,
        score=score,
        comment=comment or None,
        created_at=clock.now(),
    )
    db.session.add(rating)
    try:
        db.session.flush()
    except IntegrityError:  # a concurrent request rated first; the caller rolls back
        raise AlreadyRated() from None
    audit.record(actor, "proposal.rated", proposal, after={"score": score})
    return rating
