"""Digest preferences and the notifications waiting for the next digest."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civic import clock
from civic.db import UTCDateTime, str_enum
from civic.extensions import db


class DigestFrequency(enum.StrEnum):
    """How often a person gets the digest e-mail."""

    IMMEDIATELY = "immediately"
    DAILY = "daily"  # the default, also for people who never chose
    WEEKLY = "weekly"
    NEVER = "never"


class NotificationPreference(db.Model):  # type: ignore[name-defined,misc]
    """A person's digest choice; no row means daily."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    frequency: Mapped[DigestFrequency] = mapped_column(
        str_enum(DigestFrequency, 12), default=DigestFrequency.DAILY
    )
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class NotificationState(enum.StrEnum):
    """A notification waits, went out in a digest, or was dropped (the person chose never)."""

    PENDING = "pending"
    SENT = "sent"
    DROPPED = "dropped"


class Notification(db.Model):  # type: ignore[name-defined,misc]
    """One thing to tell one person in their next digest."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    # Path of the page to read more, relative to PUBLIC_BASE_URL.
    link: Mapped[str] = mapped_column(String(300), default="")
    state: Mapped[NotificationState] = mapped_column(
        str_enum(NotificationState, 10), default=NotificationState.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_notification_user_state", "user_id", "state", "id"),)
