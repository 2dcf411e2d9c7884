"""Models of the panels area: the population register and its imports."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civic import clock
from civic.db import UTCDateTime
from civic.extensions import db


def _enum(kind: type[enum.Enum], length: int) -> Enum:
    return Enum(
        kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class RegisterStatus(enum.StrEnum):
    """Where a person stands in the register (only `active` adults can be invited)."""

    ACTIVE = "active"
    MOVED_AWAY = "moved_away"
    DECEASED = "deceased"
    INELIGIBLE = "ineligible"
    ABSENT = "absent_from_latest_extract"


class ImportStatus(enum.StrEnum):
    """A completed import changed the register; a rejected one changed nothing."""

    COMPLETED = "completed"
    REJECTED = "rejected"


class RegisterImport(db.Model):  # type: ignore[name-defined,misc]
    """One upload of a register extract, with what it did (or why it was refused)."""

    __tablename__ = "register_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # None when run from the command line (the audit row then names "cli").
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    # None only when the file was refused before it was read (too large).
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    marked_absent: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[ImportStatus] = mapped_column(_enum(ImportStatus, 20))

    def counts(self) -> dict[str, int]:
        """The row counts, as recorded in the audit log."""
        return {
            "total_rows": self.total_rows,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "marked_absent": self.marked_absent,
            "error_count": self.error_count,
        }


class RegisterPerson(db.Model):  # type: ignore[name-defined,misc]
    """A person in the register. The clear register id is never stored, only its HMAC.

    People are never deleted: service history (memberships, invitations) points at these
    ids, so a person missing from a later extract only changes status.
    """

    __tablename__ = "register_person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register_key: Mapped[str] = mapped_column(String(64), unique=True)
    household_key: Mapped[str] = mapped_column(String(64), index=True)
    birth_year: Mapped[int] = mapped_column(SmallInteger)
    gender: Mapped[str] = mapped_column(String(20))
    area: Mapped[str] = mapped_column(String(80), index=True)
    # JSON object (sorted keys) of the configured extra stratification fields.
    extra: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[RegisterStatus] = mapped_column(
        _enum(RegisterStatus, 30), default=RegisterStatus.ACTIVE, index=True
    )
    first_import_id: Mapped[int] = mapped_column(ForeignKey("register_import.id"))
    # The import that last created or changed this person.
    last_import_id: Mapped[int] = mapped_column(ForeignKey("register_import.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
