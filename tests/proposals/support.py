"""Helpers of the ideas tests (importable, unlike conftest)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from civic.audit.models import AuditEntry
from civic.extensions import db
from civic.mail.models import OutboxMessage
from proposals.models import Proposal

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def audit_count(action: str) -> int:
    query = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    return int(db.session.scalar(query) or 0)


def proposals() -> list[Proposal]:
    return list(db.session.scalars(select(Proposal).order_by(Proposal.id)))


def outbox(kind: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )
