"""A public draw: pool and quotas (pseudonymous), the published record, the seed, the result."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civic import clock
from civic.db import UTCDateTime
from civic.extensions import db


class DrawStatus(enum.StrEnum):
    """prepared (only staff see it) → published (record public, no seed yet) → drawn."""

    PREPARED = "prepared"
    PUBLISHED = "published"
    DRAWN = "drawn"


class DrawAlgorithm(enum.StrEnum):
    """How the selection is made: fair stratified lottery, or a plain hash-ticket sample."""

    LEXIMIN = "leximin"
    LEGACY = "legacy"
    SAMPLE = "sample"


def _enum(kind: type[enum.Enum], length: int) -> Enum:
    return Enum(
        kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class Draw(db.Model):  # type: ignore[name-defined,misc]
    """One draw by lot. `pool` holds pseudonyms and feature labels only, never names or
    register ids; `record` is the canonical JSON text whose SHA-256 is published."""

    __tablename__ = "draw"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    k: Mapped[int] = mapped_column(Integer)
    algorithm: Mapped[DrawAlgorithm] = mapped_column(_enum(DrawAlgorithm, 10))
    # [{"feature", "value", "min", "max"}], sorted by feature and value.
    quotas: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{"id", "features": {feature: value}, "household": str | None}], sorted by id.
    pool: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    record: Mapped[str] = mapped_column(Text)
    record_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[DrawStatus] = mapped_column(_enum(DrawStatus, 10), default=DrawStatus.PREPARED)
    seed: Mapped[str | None] = mapped_column(String(200))
    selected: Mapped[list[str] | None] = mapped_column(JSON)
    reserve: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (Index("ix_draw_purpose_subject", "purpose", "subject_id"),)

    @property
    def is_public(self) -> bool:
        return self.status in (DrawStatus.PUBLISHED, DrawStatus.DRAWN)

    @property
    def household_column(self) -> bool:
        """Whether the pool has households (the verify command then names the column)."""
        return any(p.get("household") for p in self.pool)

    def as_audit(self) -> dict[str, Any]:
        """The fields recorded in the audit log."""
        return {
            "purpose": self.purpose,
            "subject_id": self.subject_id,
            "k": self.k,
            "algorithm": self.algorithm.value,
            "status": self.status.value,
            "record_sha256": self.record_sha256,
            "seed": self.seed,
            "selected": self.selected,
        }
