"""The agency inbox: proposals, their deadlines, assignment, internal notes, escalation.

A proposal is created once per origin (a reached idea, a panel recommendation). Origins say
who is notified and who may rate through `register_stakeholders` and `register_raters`.
Answers are in proposals.answers, progress in proposals.progress; see docs/inbox.md.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from civic import audit, clock
from civic.accounts.models import Role, User
from civic.agencies.models import Agency
from civic.errors import InvalidInput, NotFound
from civic.extensions import db
from proposals.models import Follow, Idea, InternalNote, OriginType, Proposal, ProposalStatus

ESCALATE_EVERY = timedelta(days=7)
NOTE_MAX = 5000

# --- who cares about a proposal: hooks per origin ---

Stakeholders = Callable[[Proposal], Iterable[int]]
Raters = Callable[[Proposal, User], bool]
_STAKEHOLDERS: dict[str, Stakeholders] = {}
_RATERS: dict[str, Raters] = {}


def register_stakeholders(origin_type: str, fn: Stakeholders) -> None:
    """`fn(proposal)` gives the ids of the people told of answers, overdue and progress."""
    _STAKEHOLDERS[str(origin_type)] = fn


def register_raters(origin_type: str, fn: Raters) -> None:
    """`fn(proposal, user)` says whether `user` may rate the proposal's answer."""
    _RATERS[str(origin_type)] = fn


def stakeholders(proposal: Proposal) -> list[int]:
    """Everyone to notify about `proposal`, each once."""
    fn = _STAKEHOLDERS.get(proposal.origin_type.value)
    return sorted(set(fn(proposal))) if fn else []


def may_rate(proposal: Proposal, user: User | None) -> bool:
    """Whether `user` has a stake that lets them rate (voters, panel members)."""
    fn = _RATERS.get(proposal.origin_type.value)
    return user is not None and fn is not None and bool(fn(proposal, user))


def _idea_voters(idea: Idea) -> set[int]:
    from voting.models import Vote

    if idea.ballot_id is None:
        return set()
    return set(db.session.scalars(select(Vote.voter_id).where(Vote.ballot_id == idea.ballot_id)))


def _idea_stakeholders(proposal: Proposal) -> set[int]:
    idea = db.session.get(Idea, proposal.origin_id)
    if idea is None:
        return set()
    followers = set(db.session.scalars(select(Follow.user_id).where(Follow.idea_id == idea.id)))
    return {idea.author_id} | followers | _idea_voters(idea)


def _idea_rater(proposal: Proposal, user: User) -> bool:
    """Residents who (still) vote for the idea; a withdrawn vote is no vote."""
    idea = db.session.get(Idea, proposal.origin_id)
    return idea is not None and user.id in _idea_voters(idea)


register_stakeholders(OriginType.IDEA, _idea_stakeholders)
register_raters(OriginType.IDEA, _idea_rater)


def notify_stakeholders(proposal: Proposal, kind: str, text: str = "") -> None:
    """Queue a digest notification for everyone with a stake in `proposal`."""
    from civic.notifications.services import notify

    link = f"/agencies/{proposal.agency.slug}/proposals/{proposal.id}"
    notify(stakeholders(proposal), kind, proposal.title, text, link)


# --- deadlines: pure ---


def is_overdue(status: ProposalStatus, due_at: datetime, now: datetime) -> bool:
    """Past the deadline without a published final answer."""
    return status == ProposalStatus.OPEN and now > due_at


def days_late(due_at: datetime, now: datetime) -> int:
    """Whole days past the deadline, at least 1 once late; 0 when not late."""
    if now <= due_at:
        return 0
    return max(1, (now - due_at).days)


def escalation_due(last_escalated_at: datetime | None, now: datetime) -> bool:
    """At most one escalation e-mail per item per week."""
    return last_escalated_at is None or now - last_escalated_at >= ESCALATE_EVERY


# --- creating ---


def proposal_for(origin_type: OriginType, origin_id: int) -> Proposal | None:
    """The proposal made from this origin, if any."""
    return db.session.scalar(
        select(Proposal).where(Proposal.origin_type == origin_type, Proposal.origin_id == origin_id)
    )


def create_proposal(
    origin_type: OriginType,
    origin_id: int,
    *,
    agency: Agency,
    title: str,
    summary: str,
    actor: Any,
    now: datetime | None = None,
) -> Proposal:
    """Put a proposal in `agency`'s inbox, answer due after the agency's response days.

    Once per origin: an existing proposal is returned unchanged (the unique constraint on
    origin decides a race, rolling the losing transaction back)."""
    existing = proposal_for(origin_type, origin_id)
    if existing is not None:
        return existing
    now = now or clock.now()
    proposal = Proposal(
        origin_type=origin_type,
        origin_id=origin_id,
        agency_id=agency.id,
        title=title[:200],
        summary=summary,
        created_at=now,
        response_due_at=now + timedelta(days=agency.response_days),
        status=ProposalStatus.OPEN,
    )
    db.session.add(proposal)
    db.session.flush()
    audit.record(
        actor,
        "proposal.created",
        proposal,
        after={
            "origin": f"{origin_type.value}:{origin_id}",
            "agency_id": agency.id,
            "status": proposal.status.value,
            "response_due_at": proposal.response_due_at.isoformat(),
        },
    )
    return proposal


# --- reading the inbox ---


class Sort(enum.StrEnum):
    """Orders of the inbox list."""

    DUE = "due"  # earliest deadline first
    OLDEST = "oldest"
    NEWEST = "newest"


@dataclass(frozen=True)
class InboxFilter:
    """What the officer asked to see."""

    status: ProposalStatus | None = None
    origin: OriginType | None = None
    assignee: str = ""  # "", "me", "none"
    overdue: bool = False
    sort: Sort = Sort.DUE


def list_inbox(agency_id: int, f: InboxFilter, viewer: User, now: datetime) -> list[Proposal]:
    """One agency's proposals, filtered and sorted."""
    query = select(Proposal).where(Proposal.agency_id == agency_id)
    if f.status is not None:
        query = query.where(Proposal.status == f.status)
    if f.origin is not None:
        query = query.where(Proposal.origin_type == f.origin)
    if f.assignee == "me":
        query = query.where(Proposal.assignee_id == viewer.id)
    elif f.assignee == "none":
        query = query.where(Proposal.assignee_id.is_(None))
    if f.overdue:
        query = query.where(Proposal.status == ProposalStatus.OPEN, Proposal.response_due_at < now)
    order = {
        Sort.DUE: (Proposal.response_due_at, Proposal.id),
        Sort.OLDEST: (Proposal.created_at, Proposal.id),
        Sort.NEWEST: (Proposal.created_at.desc(), Proposal.id.desc()),
    }[f.sort]
    return list(db.session.scalars(query.order_by(*order)))


def get_proposal(proposal_id: int) -> Proposal:
    """The proposal, else NotFound (callers check the agency)."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound()
    return proposal


def officers_of(agency_id: int) -> list[User]:
    """Active officers of an agency, by e-mail."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.agency_id == agency_id, User.role == Role.OFFICER, User.active)
            .order_by(User.email)
        )
    )


def notes(proposal: Proposal) -> list[InternalNote]:
    """Internal notes, oldest first (staff only)."""
    return list(
        db.session.scalars(
            select(InternalNote)
            .where(InternalNote.proposal_id == proposal.id)
            .order_by(InternalNote.id)
        )
    )


# --- assignment and notes ---


class InboxInvalid(InvalidInput):
    """Inbox input breaking a rule; `field` names the form field."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(message, field=field)


def assign(actor: User, proposal: Proposal, assignee_id: int | None) -> Proposal:
    """Give the proposal to an officer of its own agency (or to nobody)."""
    assignee = db.session.get(User, assignee_id) if assignee_id else None
    if assignee_id and (
        assignee is None
        or assignee.role != Role.OFFICER
        or assignee.agency_id != proposal.agency_id
        or not assignee.active
    ):
        raise InboxInvalid("assignee", _l("Choose an officer of this agency."))
    before = proposal.assignee_id
    if before == assignee_id:
        return proposal
    proposal.assignee_id = assignee_id
    db.session.flush()
    audit.record(
        actor, "proposal.assigned", proposal, {"assignee_id": before}, {"assignee_id": assignee_id}
    )
    return proposal


def add_note(actor: User, proposal: Proposal, body: str) -> InternalNote:
    """Add an internal note; its text stays out of public pages, open data and the audit."""
    body = (body or "").strip()
    if not body:
        raise InboxInvalid("body", _l("Write the note."))
    if len(body) > NOTE_MAX:
        raise InboxInvalid("body", _l("Use at most %(n)s characters.", n=NOTE_MAX))
    note = InternalNote(
        proposal_id=proposal.id, author_id=actor.id, body=body, created_at=clock.now()
    )
    db.session.add(note)
    db.session.flush()
    audit.record(actor, "proposal.note_added", proposal, after={"note_id": note.id})
    return note


# --- overdue: escalation sweep ---


def _claim_escalation(proposal: Proposal, now: datetime) -> bool:
    """Conditional update: of two sweeps racing, one escalates."""
    cutoff = now - ESCALATE_EVERY
    changed = db.session.scalar(
        update(Proposal)
        .where(
            Proposal.id == proposal.id,
            Proposal.status == ProposalStatus.OPEN,
            or_(Proposal.last_escalated_at.is_(None), Proposal.last_escalated_at <= cutoff),
        )
        .values(last_escalated_at=now)
        .returning(Proposal.id)
        .execution_options(synchronize_session=False)
    )
    return changed is not None


def _escalation_mail(proposal: Proposal, late: int) -> None:
    from civic.mail.services import enqueue

    lead = proposal.agency.lead_email
    if not lead:
        return
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    with force_locale(str(current_app.config["BABEL_DEFAULT_LOCALE"])):
        subject = _("Overdue: %(title)s (%(n)s days late)", title=proposal.title, n=late)
        body = "\n\n".join(
            [
                _(
                    'The proposal "%(title)s" should have been answered by %(date)s. It is now '
                    "%(n)s days late and shown as overdue in public.",
                    title=proposal.title,
                    date=clock.local(proposal.response_due_at).strftime("%d-%m-%Y"),
                    n=late,
                ),
                _("Answer it in the inbox:") + f"\n{base}/inbox/{proposal.id}",
                _("You get this e-mail once a week while the answer is overdue."),
            ]
        )
    enqueue(to=lead, subject=subject, body_text=body + "\n", kind="proposal.escalation")


def escalate_overdue(now: datetime | None = None) -> list[Proposal]:
    """Escalate every overdue proposal not escalated in the past week: an e-mail to the
    agency's lead and, the first time, a notification to the stakeholders. Idempotent."""
    now = now or clock.now()
    cutoff = now - ESCALATE_EVERY
    due = db.session.scalars(
        select(Proposal)
        .where(
            Proposal.status == ProposalStatus.OPEN,
            Proposal.response_due_at < now,
            or_(Proposal.last_escalated_at.is_(None), Proposal.last_escalated_at <= cutoff),
        )
        .order_by(Proposal.id)
    ).all()
    done = []
    for proposal in due:
        first = proposal.last_escalated_at is None
        if not _claim_escalation(proposal, now):
            continue
        db.session.refresh(proposal)
        late = days_late(proposal.response_due_at, now)
        _escalation_mail(proposal, late)
        audit.record(
            "scheduler",
            "proposal.escalated",
            proposal,
            after={"days_late": late, "lead_mailed": bool(proposal.agency.lead_email)},
        )
        if first:
            notify_stakeholders(proposal, "overdue")
        done.append(proposal)
    return done


def escalate_job() -> int:
    """Scheduler entry point; the scheduler commits."""
    return len(escalate_overdue())


def register_jobs() -> None:
    """Register the escalation sweep (safe to call more than once)."""
    from civic.scheduling.services import register_job

    register_job("proposals.escalate_overdue", escalate_job, seconds=3600)
