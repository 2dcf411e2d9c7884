"""Ballots and votes. One vote per voter per ballot is a database constraint, not a check."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from civic import clock
from civic.db import UTCDateTime, str_enum
from civic.extensions import db
from voting.rules import BallotStatus, Choice, Outcome


class Ballot(db.Model):  # type: ignore[name-defined,misc]
    """A vote on one subject (an idea, a recommendation ...) within a window.

    `tally` is the number of vote rows, changed in the same transaction as each vote or
    withdrawal; `reconcile_tallies` recounts and repairs any drift. `threshold` is None
    for majority ballots (panels), which may set a `quorum` instead.
    """

    __tablename__ = "ballot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    threshold: Mapped[int | None] = mapped_column(Integer)
    quorum: Mapped[int | None] = mapped_column(Integer)
    # Who may vote, as a key the caller understands ("verified_residents", "panel:12").
    electorate: Mapped[str] = mapped_column(String(80))
    status: Mapped[BallotStatus] = mapped_column(
        str_enum(BallotStatus, 10), default=BallotStatus.OPEN
    )
    outcome: Mapped[Outcome | None] = mapped_column(str_enum(Outcome, 20))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    tally: Mapped[int] = mapped_column(Integer, default=0)
    # Bit i set: MILESTONES[i] has been announced (once, even if withdrawals dip below it).
    milestones_notified: Mapped[int] = mapped_column(Integer, default=0)
    # Set when the ballot closed as MERGED: the ballot that received its votes.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("ballot.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (
        CheckConstraint("tally >= 0", name="tally_not_negative"),
        CheckConstraint("closes_at > opens_at", name="window"),
        CheckConstraint("threshold IS NULL OR threshold > 0", name="threshold_positive"),
        CheckConstraint("quorum IS NULL OR quorum > 0", name="quorum_positive"),
        Index("ix_ballot_subject", "subject_type", "subject_id"),
        # The deadline sweep reads open ballots by closing time.
        Index("ix_ballot_status_closes_at", "status", "closes_at"),
        # At most one open ballot per subject.
        Index(
            "uq_ballot_open_subject",
            "subject_type",
            "subject_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    def as_audit(self) -> dict[str, object]:
        """The fields recorded in the audit log."""
        return {
            "subject": f"{self.subject_type}:{self.subject_id}",
            "opens_at": self.opens_at.isoformat(),
            "closes_at": self.closes_at.isoformat(),
            "threshold": self.threshold,
            "quorum": self.quorum,
            "electorate": self.electorate,
            "status": str(self.status),
            "tally": self.tally,
        }


class Vote(db.Model):  # type: ignore[name-defined,misc]
    """A voter's current vote on a ballot. A withdrawal deletes the row; the audit log keeps
    the history (vote.cast / vote.withdrawn), so `ballot.tally == count(vote rows)` holds."""

    __tablename__ = "vote"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballot.id"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    choice: Mapped[Choice] = mapped_column(str_enum(Choice, 10), default=Choice.YES)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (
        UniqueConstraint("ballot_id", "voter_id"),
        Index("ix_vote_ballot_cast_at", "ballot_id", "cast_at"),
    )
