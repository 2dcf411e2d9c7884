"""Ideas, their public timeline, follows and reports; proposals in an agency's inbox."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
    """A proposal's state in the agency inbox (extended by the inbox)."""

    OPEN = "open"


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

    agency = relationship("Agency", lazy="joined")

    # One inbox item per origin, whatever runs twice.
    __table_args__ = (UniqueConstraint("origin_type", "origin_id"),)


from proposals.similarity import attach_index  # noqa: E402

attach_index(Idea.__table__)
