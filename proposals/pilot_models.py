"""Pilots: a reached idea (or any proposal) tried out by testers drawn by lot, judged against
success criteria written before recruitment, then go / no-go and rollout. See docs/pilots.md."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic import clock
from civic.db import UTCDateTime
from civic.extensions import db

DEFAULT_TESTERS = 200
DEFAULT_WEEKS = 5


class PilotStatus(enum.StrEnum):
    """setup → recruiting → drawn → running → evaluating → decided → rollout_planned →
    rolled_out (a no-go decision ends at decided)."""

    SETUP = "setup"
    RECRUITING = "recruiting"
    DRAWN = "drawn"
    RUNNING = "running"
    EVALUATING = "evaluating"
    DECIDED = "decided"
    ROLLOUT_PLANNED = "rollout_planned"
    ROLLED_OUT = "rolled_out"


class Outcome(enum.StrEnum):
    """The agency's decision after the evaluation."""

    GO = "go"
    NO_GO = "no_go"


class Verdict(enum.StrEnum):
    """A tester's answer on one success criterion."""

    MET = "met"
    PARTLY = "partly"
    NOT_MET = "not_met"


def _enum(kind: type[enum.Enum], length: int) -> Enum:
    return Enum(
        kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class Pilot(db.Model):  # type: ignore[name-defined,misc]
    """A pilot of one proposal, run by the proposal's agency."""

    __tablename__ = "pilot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    testers: Mapped[int] = mapped_column(Integer, default=DEFAULT_TESTERS)
    duration_weeks: Mapped[int] = mapped_column(Integer, default=DEFAULT_WEEKS)
    status: Mapped[PilotStatus] = mapped_column(
        _enum(PilotStatus, 20), default=PilotStatus.SETUP, index=True
    )
    # Quotas for a stratified draw: [{"feature", "value", "min", "max"}]; empty = plain draw.
    quotas: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("draw.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recruiting_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    evaluating_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    agency = relationship("Agency", lazy="joined")
    proposal = relationship("Proposal", lazy="joined")
    draw = relationship("Draw", lazy="select")
    criteria = relationship(
        "SuccessCriterion", order_by="SuccessCriterion.position", lazy="selectin"
    )

    def as_audit(self) -> dict[str, Any]:
        """The fields recorded in the audit log."""
        return {
            "status": self.status.value,
            "testers": self.testers,
            "duration_weeks": self.duration_weeks,
            "quotas": self.quotas,
            "draw_id": self.draw_id,
        }


class SuccessCriterion(db.Model):  # type: ignore[name-defined,misc]
    """A measurable statement with a target, written before recruitment; frozen after."""

    __tablename__ = "pilot_criterion"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    statement: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(String(200))
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TesterVolunteer(db.Model):  # type: ignore[name-defined,misc]
    """A resident who offers to test; the pool of the draw (pseudonym V<id>)."""

    __tablename__ = "pilot_volunteer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (UniqueConstraint("pilot_id", "user_id"),)

    @property
    def pseudonym(self) -> str:
        return f"V{self.id}"


class Tester(db.Model):  # type: ignore[name-defined,misc]
    """A volunteer drawn by lot."""

    __tablename__ = "pilot_tester"
    __test__ = False  # not a pytest test class, despite the name

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("pilot_volunteer.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (UniqueConstraint("pilot_id", "user_id"),)


class Feedback(db.Model):  # type: ignore[name-defined,misc]
    """A tester's note during the pilot (seen by the agency, not public)."""

    __tablename__ = "pilot_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id"), index=True)
    tester_id: Mapped[int] = mapped_column(ForeignKey("pilot_tester.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class EvaluationAnswer(db.Model):  # type: ignore[name-defined,misc]
    """A tester's verdict on one criterion at the end; one per tester and criterion."""

    __tablename__ = "pilot_evaluation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("pilot_criterion.id"))
    tester_id: Mapped[int] = mapped_column(ForeignKey("pilot_tester.id"))
    verdict: Mapped[Verdict] = mapped_column(_enum(Verdict, 10))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (UniqueConstraint("criterion_id", "tester_id"),)


class Decision(db.Model):  # type: ignore[name-defined,misc]
    """The agency's go / no-go, once per pilot."""

    __tablename__ = "pilot_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id"), unique=True)
    outcome: Mapped[Outcome] = mapped_column(_enum(Outcome, 10))
    summary: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    reasons = relationship("DecisionReason", lazy="selectin", order_by="DecisionReason.id")


class DecisionReason(db.Model):  # type: ignore[name-defined,misc]
    """The decision's reason against one criterion: met or not, and why."""

    __tablename__ = "pilot_decision_reason"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("pilot_decision.id"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("pilot_criterion.id"))
    met: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("decision_id", "criterion_id"),)


class Rollout(db.Model):  # type: ignore[name-defined,misc]
    """After a go: the planned date, then the day it was done."""

    __tablename__ = "pilot_rollout"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id"), unique=True)
    planned_for: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
