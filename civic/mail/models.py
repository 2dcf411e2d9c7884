"""The outbox: every e-mail Civic sends is a row here first, and stays here afterwards."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civic import clock
from civic.db import UTCDateTime
from civic.extensions import db


class OutboxStatus(enum.StrEnum):
    """Where a message is in its life. Nothing ever leaves the table."""

    QUEUED = "queued"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by one sender; released again if that sender dies
    SENT = "sent"  # accepted by the SMTP server
    FAILED = "failed"  # refused for good or out of attempts; an admin may retry it


class OutboxMessage(db.Model):  # type: ignore[name-defined,misc]
    """One e-mail. The Message-ID is fixed at enqueue time, so a resend after a crash
    mid-send carries the same id and the receiving side can drop the duplicate."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(60), index=True)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(
            OutboxStatus,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=OutboxStatus.QUEUED,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    # Error text with e-mail addresses removed; never the recipient's address.
    last_error: Mapped[str | None] = mapped_column(String(500))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Random token of the sender holding the claim: a sender that was presumed dead and
    # released cannot overwrite the outcome of the sender that took the message over.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)
