"""Ideas, their public timeline, follows and reports; proposals in an agency's inbox."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic import clock
from civic.db import UTCDateTime
from civic.extensions import db
from proposals.rules import EventKind, IdeaStatus, RejectReason


def _enum(kind: type[enum.Enum], length: int) -> Enum:
    return Enum(
        kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class Idea(db.Model):  # type: ignore[name-defined,misc]
    """An idea of a resident for a public service; see proposals.rules for its states."""

    __tablename__ = "idea"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    problem: Mapped[str] = mapped_column(Text)
    proposed_change: Mapped[str] = mapped_column(Text)
    service_area: Mapped[str] = mapped_column(String(80), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[IdeaStatus] = mapped_column(
        _enum(IdeaStatus, 20), default=IdeaStatus.SUBMITTED, index=True
    )
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    screening_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    screened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    screened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reject_reason: Mapped[RejectReason | None] = mapped_column(_enum(RejectReason, 20))
    reject_text: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("idea.id"))
    ballot_id: Mapped[int | None] = mapped_column(ForeignKey("ballot.id"))
    # Set when reports by distinct residents hid the idea; cleared when a moderator restores.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    agency = relationship("Agency", lazy="joined")
    author = relationship("User", foreign_keys=[author_id], lazy="joined")
    ballot = relationship("Ballot", lazy="joined")
    merged_into = relationship("Idea", remote_side=[id], lazy="select")

    __table_args__ = (Index("ix_idea_status_due", "status", "screening_due_at"),)

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None

    def as_audit(self) -> dict[str, Any]:
        """The fields recorded in the audit log."""
        return {
            "status": self.status.value,
            "title": self.title,
            "service_area": self.service_area,
            "agency_id": self.agency_id,
            "hidden": self.hidden,
        }


class IdeaEvent(db.Model):  # type: ignore[name-defined,misc]
    """One entry of an idea's public timeline; rows are only ever added.

    The audit log is the accountability record (actors, before/after, not public); this is
    the public journey without personal data, cheap to read per idea.
    """

    __tablename__ = "idea_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id"))
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, 20))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    # Public details: reason code and text, other idea's id, threshold, deadline, tally.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_idea_event_idea_id", "idea_id", "id"),)


class Follow(db.Model):  # type: ignore[name-defined,misc]
    """A resident follows an idea and hears of its milestones."""

    __tablename__ = "idea_follow"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (UniqueConstraint("idea_id", "user_id"),)


class IdeaReport(db.Model):  # type: ignore[name-defined,misc]
    """A resident reports abusive content; one report per resident per idea."""

    __tablename__ = "idea_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    # Set when a moderator decided on the idea; resolved reports no longer count.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("idea_id", "reporter_id"),)


class OriginType(enum.StrEnum):
    """Where a proposal comes from."""

    IDEA = "idea"
    PANEL = "panel"


class ProposalStatus(enum.StrEnum):
    """A proposal's state in the agency inbox (see docs/inbox.md)."""

    OPEN = "open"  # no final answer published yet ("needs more time" keeps it open)
    ANSWERED = "answered"  # a final answer is published; revisions keep this state
    DONE = "done"  # a progress update at 100 % marked it done


class AnswerKind(enum.StrEnum):
    """The comply-or-explain answer to a proposal."""

    ADOPTED = "adopted"
    ADOPTED_IN_PART = "adopted_in_part"
    TO_PILOT = "to_pilot"
    REJECTED = "rejected"
    NEEDS_MORE_TIME = "needs_more_time"  # a new deadline, once, with a reason


class Proposal(db.Model):  # type: ignore[name-defined,misc]
    """An item in an agency's inbox: a reached idea or an adopted panel recommendation."""

    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin_type: Mapped[OriginType] = mapped_column(_enum(OriginType, 10))
    origin_id: Mapped[int] = mapped_column(Integer)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    response_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[ProposalStatus] = mapped_column(
        _enum(ProposalStatus, 20), default=ProposalStatus.OPEN
    )
    # The inbox (proposals.inbox, proposals.answers, proposals.progress) keeps these.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # Kind of the newest published final answer (never "needs more time").
    answer_kind: Mapped[AnswerKind | None] = mapped_column(_enum(AnswerKind, 20))
    # When the first final answer was published (on time: answered_at <= response_due_at).
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last escalation e-mail to the agency's lead (at most one per week per item).
    last_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    agency = relationship("Agency", lazy="joined")
    assignee = relationship("User", foreign_keys=[assignee_id], lazy="joined")

    # One inbox item per origin, whatever runs twice.
    __table_args__ = (UniqueConstraint("origin_type", "origin_id"),)


from proposals.similarity import attach_index  # noqa: E402

attach_index(Idea.__table__)


# --- the agency inbox: answers, internal notes, progress, ratings (see docs/inbox.md) ---


class ProgressStatus(enum.StrEnum):
    """Where the implementation of an answered proposal stands."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DELAYED = "delayed"
    DONE = "done"  # only with 100 %


class ProposalAnswer(db.Model):  # type: ignore[name-defined,misc]
    """An agency's answer to a proposal: a draft (no version) until published.

    Published answers are never changed: a revision is a new row with the next version, and
    every published version stays public (see `_refuse_published_changes`)."""

    __tablename__ = "proposal_answer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"))
    version: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[AnswerKind] = mapped_column(_enum(AnswerKind, 20))
    summary: Mapped[str] = mapped_column(String(200))
    explanation: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    new_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (
        UniqueConstraint("proposal_id", "version"),
        # At most one draft per proposal.
        Index(
            "uq_proposal_answer_draft",
            "proposal_id",
            unique=True,
            sqlite_where=text("published_at IS NULL"),
            postgresql_where=text("published_at IS NULL"),
        ),
    )

    @property
    def published(self) -> bool:
        return self.published_at is not None

    def as_audit(self) -> dict[str, Any]:
        """The fields recorded in the audit log."""
        return {
            "version": self.version,
            "kind": self.kind.value,
            "summary": self.summary,
            "reason": self.reason,
            "new_due_at": self.new_due_at.isoformat() if self.new_due_at else None,
        }


class InternalNote(db.Model):  # type: ignore[name-defined,misc]
    """A note of the agency's staff on a proposal; never shown in public or in open data."""

    __tablename__ = "proposal_note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    author = relationship("User", lazy="joined")


class ProgressUpdate(db.Model):  # type: ignore[name-defined,misc]
    """One progress report after adoption; rows are only ever added."""

    __tablename__ = "proposal_progress"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"))
    status: Mapped[ProgressStatus] = mapped_column(_enum(ProgressStatus, 20))
    percent: Mapped[int] = mapped_column(Integer)
    milestone: Mapped[str] = mapped_column(Text)
    on_date: Mapped[date] = mapped_column(Date)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (
        CheckConstraint("percent >= 0 AND percent <= 100", name="percent_range"),
        CheckConstraint("status <> 'done' OR percent = 100", name="done_at_100"),
        Index("ix_proposal_progress_proposal_id", "proposal_id", "id"),
    )


class Rating(db.Model):  # type: ignore[name-defined,misc]
    """A stakeholder's rating of a proposal's published answer: 1-5, once per person."""

    __tablename__ = "proposal_rating"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (
        UniqueConstraint("proposal_id", "user_id"),
        CheckConstraint("score >= 1 AND score <= 5", name="score_range"),
    )


@event.listens_for(ProposalAnswer, "before_update")
def _refuse_published_changes(mapper: Any, connection: Any, target: ProposalAnswer) -> None:
    """A published answer is immutable, whatever code tries to change it."""
    state = inspect(target)
    before = state.committed_state.get("published_at", target.published_at)
    if isinstance(before, datetime):
        raise ValueError("a published answer is never changed; publish a new version")


@event.listens_for(ProposalAnswer, "before_delete")
def _refuse_published_delete(mapper: Any, connection: Any, target: ProposalAnswer) -> None:
    if target.published_at is not None:
        raise ValueError("a published answer is never deleted")
