"""Helpers of the voting tests (importable, unlike conftest)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from civic.accounts.models import User
from civic.audit.models import AuditEntry
from civic.extensions import db
from voting.models import Ballot, Vote

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def user(user_id: int) -> User:
    return db.session.get_one(User, user_id)


def vote_rows(ballot_id: int) -> int:
    return int(
        db.session.scalar(select(func.count()).select_from(Vote).where(Vote.ballot_id == ballot_id))
        or 0
    )


def tally(ballot_id: int) -> int:
    return int(db.session.scalar(select(Ballot.tally).where(Ballot.id == ballot_id)) or 0)


def audit_count(action: str, ballot_id: int | None = None) -> int:
    query = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    if ballot_id is not None:
        query = query.where(
            AuditEntry.object_type == "Ballot", AuditEntry.object_id == str(ballot_id)
        )
    return int(db.session.scalar(query) or 0)
