"""One row per job and time slot: inserting it is how a scheduler claims the slot."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civic.db import UTCDateTime
from civic.extensions import db


class RunStatus(enum.StrEnum):
    """Outcome of one job run."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class JobRun(db.Model):  # type: ignore[name-defined,misc]
    """A job's run for one slot. The unique (job, slot) pair makes a slot run once across
    every scheduler process, whichever inserts first; the others skip it."""

    __tablename__ = "job_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(80))
    slot: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[RunStatus] = mapped_column(
        Enum(
            RunStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
        ),
        default=RunStatus.RUNNING,
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("job", "slot"),)
