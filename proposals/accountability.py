"""Public accountability per agency, computed in SQL: open items, share answered on time,
median response days, adoption rate, the overdue list, average rating."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, select

from civic import clock
from civic.extensions import db
from proposals.answers import ADOPTED_KINDS
from proposals.inbox import days_late
from proposals.models import Proposal, ProposalStatus, Rating


@dataclass(frozen=True)
class OverdueItem:
    """A late proposal as shown in public."""

    proposal: Proposal
    days_late: int


@dataclass(frozen=True)
class Figures:
    """An agency's public figures; None where there is nothing to compute yet."""

    total: int
    open_items: int
    answered: int
    on_time_share: float | None
    median_response_days: float | None
    adoption_rate: float | None
    average_rating: float | None
    ratings: int
    overdue: list[OverdueItem]


def _days(later: Any, earlier: Any) -> Any:
    """Days between two timestamp columns, as a float, in this database's dialect."""
    if db.engine.dialect.name == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return cast(func.extract("epoch", later - earlier), Float) / 86400.0


def _share(numerator: Any, denominator: Any) -> float | None:
    return float(numerator) / float(denominator) if denominator else None


def _counts(agency_id: int, now: datetime) -> Any:
    overdue = and_(Proposal.status == ProposalStatus.OPEN, Proposal.response_due_at < now)
    on_time = and_(
        Proposal.answered_at.isnot(None), Proposal.answered_at <= Proposal.response_due_at
    )
    return db.session.execute(
        select(
            func.count(Proposal.id),
            func.count(case((Proposal.status == ProposalStatus.OPEN, 1))),
            func.count(Proposal.answered_at),
            func.count(case((on_time, 1))),
            func.count(case((overdue, 1))),
            func.count(Proposal.answer_kind),
            func.count(case((Proposal.answer_kind.in_(sorted(ADOPTED_KINDS)), 1))),
        ).where(Proposal.agency_id == agency_id)
    ).one()


def _median_response_days(agency_id: int) -> float | None:
    days = _days(Proposal.answered_at, Proposal.created_at).label("d")
    ranked = (
        select(
            days,
            func.row_number().over(order_by=days).label("rn"),
            func.count().over().label("cnt"),
        )
        .where(Proposal.agency_id == agency_id, Proposal.answered_at.isnot(None))
        .subquery()
    )
    middle = ranked.c.rn.in_([(ranked.c.cnt + 1) // 2, (ranked.c.cnt + 2) // 2])
    value = db.session.scalar(select(func.avg(ranked.c.d)).where(middle))
    return round(float(value), 1) if value is not None else None


def _ratings(agency_id: int) -> tuple[float | None, int]:
    row = db.session.execute(
        select(func.avg(Rating.score), func.count(Rating.id))
        .join(Proposal, Proposal.id == Rating.proposal_id)
        .where(Proposal.agency_id == agency_id)
    ).one()
    return (round(float(row[0]), 1) if row[0] is not None else None), int(row[1])


def overdue_list(agency_id: int, now: datetime) -> list[OverdueItem]:
    """Open proposals past their deadline, the latest first."""
    late = db.session.scalars(
        select(Proposal)
        .where(
            Proposal.agency_id == agency_id,
            Proposal.status == ProposalStatus.OPEN,
            Proposal.response_due_at < now,
        )
        .order_by(Proposal.response_due_at, Proposal.id)
    )
    return [OverdueItem(p, days_late(p.response_due_at, now)) for p in late]


def figures(agency_id: int, now: datetime | None = None) -> Figures:
    """Every public figure of one agency at `now`."""
    now = now or clock.now()
    total, open_items, answered, on_time, overdue, final, adopted = _counts(agency_id, now)
    average, ratings = _ratings(agency_id)
    return Figures(
        total=int(total),
        open_items=int(open_items),
        answered=int(answered),
        # Answered on time among all that were due: answered ones plus overdue open ones.
        on_time_share=_share(on_time, answered + overdue),
        median_response_days=_median_response_days(agency_id),
        adoption_rate=_share(adopted, final),
        average_rating=average,
        ratings=ratings,
        overdue=overdue_list(agency_id, now),
    )


def recent(agency_id: int, limit: int = 50) -> list[Proposal]:
    """The agency's proposals, newest first, for the public page."""
    return list(
        db.session.scalars(
            select(Proposal)
            .where(Proposal.agency_id == agency_id)
            .order_by(Proposal.created_at.desc(), Proposal.id.desc())
            .limit(limit)
        )
    )
