"""The dashboard's figures, each one aggregated by the database (GROUP BY), never in Python.

Functions take the filters and `now` and return plain frozen dataclasses, so the cache can
hold them and the charts, tables, CSV files and the API all show the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, case, func, literal, select, type_coerce

from civic.agencies.models import Agency
from civic.dashboard.filters import Filters, Period
from civic.extensions import db
from panels.models import (
    MembershipStatus,
    Panel,
    PanelMembership,
    PanelStatus,
    RegisterPerson,
    RegisterStatus,
)
from proposals.models import AnswerKind, Idea, OriginType, Proposal, ProposalStatus, Rating
from proposals.rules import IdeaStatus
from voting.models import Vote

ADULT_AGE = 18
# Age bands of the composition charts: (lowest age, label); the last band is open-ended.
AGE_BANDS = ((18, "18-24"), (25, "25-34"), (35, "35-44"), (45, "45-54"), (55, "55-64"),
             (65, "65-74"), (75, "75+"))  # fmt: skip
# Register features shown for every panel; stratification answers not in the register
# (education, digital skills) have no population to compare with.
FEATURES = ("gender", "age", "area")


def _idea_filters(query: Select[Any], filters: Filters, now: datetime, *, dated: bool) -> Any:
    if dated and (since := filters.since(now)) is not None:
        query = query.where(Idea.submitted_at >= since)
    if filters.area:
        query = query.where(func.lower(Idea.service_area) == filters.area.casefold())
    if filters.agency_id is not None:
        query = query.where(Idea.agency_id == filters.agency_id)
    return query


def _public_ideas(query: Select[Any]) -> Select[Any]:
    return query.where(Idea.status != IdeaStatus.WITHDRAWN, Idea.hidden_at.is_(None))


# --- the idea funnel -----------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """One step of the funnel: how many ideas got at least this far."""

    key: str
    count: int


def status_counts(filters: Filters, now: datetime) -> dict[str, int]:
    """Public ideas per status, submitted within the period."""
    query = _public_ideas(select(Idea.status, func.count()).group_by(Idea.status))
    rows = db.session.execute(_idea_filters(query, filters, now, dated=True)).all()
    return {IdeaStatus(status).value: int(n) for status, n in rows}


def answered_ideas(filters: Filters, now: datetime) -> int | None:
    """Reached ideas whose proposal has a published final answer."""
    query = (
        select(func.count())
        .select_from(Idea)
        .join(
            Proposal,
            (Proposal.origin_type == OriginType.IDEA) & (Proposal.origin_id == Idea.id),
        )
        .where(Proposal.answered_at.is_not(None))
    )
    return int(
        db.session.scalar(_public_ideas(_idea_filters(query, filters, now, dated=True))) or 0
    )


def pilot_stages(filters: Filters, now: datetime) -> list[Stage]:
    """Ideas tested in a pilot (past its setup) and ideas whose pilot was rolled out."""
    from proposals.pilot_models import Pilot, PilotStatus

    started = func.sum(case((Pilot.status != PilotStatus.SETUP, 1), else_=0))
    rolled_out = func.sum(case((Pilot.status == PilotStatus.ROLLED_OUT, 1), else_=0))
    query = (
        select(started, rolled_out)
        .select_from(Idea)
        .join(
            Proposal,
            (Proposal.origin_type == OriginType.IDEA) & (Proposal.origin_id == Idea.id),
        )
        .join(Pilot, Pilot.proposal_id == Proposal.id)
    )
    row = db.session.execute(_public_ideas(_idea_filters(query, filters, now, dated=True))).one()
    return [Stage("pilot", int(row[0] or 0)), Stage("rolled_out", int(row[1] or 0))]


@dataclass(frozen=True)
class PilotCount:
    """Pilots in one state (decided ones split by go / no go)."""

    key: str
    pilots: int


def pilot_outcomes(filters: Filters, now: datetime) -> list[PilotCount]:
    """Pilots per state, with decided pilots split into go and no-go."""
    from proposals.pilot_models import Decision, Pilot, PilotStatus

    status = type_coerce(Pilot.status, String)
    after_go = Pilot.status.in_([PilotStatus.ROLLOUT_PLANNED, PilotStatus.ROLLED_OUT])
    key = case(
        (after_go, status), else_=func.coalesce(type_coerce(Decision.outcome, String), status)
    )
    key = key.label("key")
    query = (
        select(key, func.count())
        .select_from(Pilot)
        .outerjoin(Decision, Decision.pilot_id == Pilot.id)
        .group_by(key)
    )
    if (since := filters.since(now)) is not None:
        query = query.where(Pilot.created_at >= since)
    if filters.agency_id is not None:
        query = query.where(Pilot.agency_id == filters.agency_id)
    if filters.area:
        query = (
            query.join(Proposal, Proposal.id == Pilot.proposal_id)
            .join(Idea, (Proposal.origin_type == OriginType.IDEA) & (Idea.id == Proposal.origin_id))
            .where(func.lower(Idea.service_area) == filters.area.casefold())
        )
    counts = {str(k): int(n) for k, n in db.session.execute(query).all()}
    return [PilotCount(k, counts[k]) for k in PILOT_KEYS if k in counts]


PILOT_KEYS = ("setup", "recruiting", "drawn", "running", "evaluating", "go", "no_go",
              "rollout_planned", "rolled_out")  # fmt: skip


def funnel(filters: Filters, now: datetime) -> list[Stage]:
    """Submitted → screened → put to the vote → vote closed → reached → answered → pilot."""
    counts = status_counts(filters, now)
    total = sum(counts.values())
    decided = counts.get("reached", 0) + counts.get("expired", 0)
    stages = [
        Stage("submitted", total),
        Stage("screened", total - counts.get("submitted", 0)),
        Stage("voting", decided + counts.get("voting", 0)),
        Stage("decided", decided),
        Stage("reached", counts.get("reached", 0)),
    ]
    answered = answered_ideas(filters, now)
    if answered is not None:
        stages.append(Stage("answered", answered))
    return stages + pilot_stages(filters, now)


# --- votes over time -----------------------------------------------------------------------


@dataclass(frozen=True)
class VoteBucket:
    """Votes cast in one day or month (UTC) that still stand."""

    bucket: str
    votes: int


def bucket_unit(filters: Filters) -> str:
    """Days for short periods, months otherwise."""
    return "day" if filters.period in (Period.MONTH, Period.QUARTER) else "month"


def _bucket(column: Any, unit: str) -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM-DD" if unit == "day" else "YYYY-MM")
    return func.strftime("%Y-%m-%d" if unit == "day" else "%Y-%m", column)


def votes_over_time(filters: Filters, now: datetime) -> list[VoteBucket]:
    """Votes on ideas per day or month within the period."""
    bucket = _bucket(Vote.cast_at, bucket_unit(filters)).label("bucket")
    query = (
        select(bucket, func.count())
        .select_from(Idea)
        .join(Vote, Vote.ballot_id == Idea.ballot_id)
        .group_by(bucket)
        .order_by(bucket)
    )
    if (since := filters.since(now)) is not None:
        query = query.where(Vote.cast_at >= since)
    query = _idea_filters(query, filters, now, dated=False)
    return [VoteBucket(str(b), int(n)) for b, n in db.session.execute(query).all()]


# --- agencies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyFigures:
    """An agency's public record. Answer figures stay None until answers exist."""

    id: int
    slug: str
    name: str
    ideas: int
    reached: int
    proposals: int
    open: int
    overdue: int
    answered: int = 0
    answered_on_time_pct: float | None = None
    median_days_to_answer: float | None = None
    adoption_rate_pct: float | None = None
    rating: float | None = None


def _agencies(filters: Filters) -> list[Agency]:
    query = select(Agency).order_by(Agency.name)
    if filters.agency_id is not None:
        query = query.where(Agency.id == filters.agency_id)
    agencies = list(db.session.scalars(query))
    if filters.area:
        wanted = filters.area.casefold()
        agencies = [a for a in agencies if wanted in {x.casefold() for x in a.service_area_list}]
    return agencies


def _idea_counts(filters: Filters, now: datetime) -> dict[int, tuple[int, int]]:
    reached = func.sum(case((Idea.status == IdeaStatus.REACHED, 1), else_=0))
    query = _public_ideas(select(Idea.agency_id, func.count(), reached).group_by(Idea.agency_id))
    rows = db.session.execute(_idea_filters(query, filters, now, dated=True)).all()
    return {int(a): (int(n), int(r or 0)) for a, n, r in rows}


def _proposal_counts(filters: Filters, now: datetime) -> dict[int, tuple[int, int, int]]:
    is_open = Proposal.status == ProposalStatus.OPEN
    query = select(
        Proposal.agency_id,
        func.count(),
        func.sum(case((is_open, 1), else_=0)),
        func.sum(case((is_open & (Proposal.response_due_at < now), 1), else_=0)),
    ).group_by(Proposal.agency_id)
    if (since := filters.since(now)) is not None:
        query = query.where(Proposal.created_at >= since)
    if filters.area:  # only proposals from ideas carry a service area
        query = query.join(
            Idea, (Proposal.origin_type == OriginType.IDEA) & (Idea.id == Proposal.origin_id)
        ).where(func.lower(Idea.service_area) == filters.area.casefold())
    rows = db.session.execute(query).all()
    return {int(a): (int(n), int(o or 0), int(d or 0)) for a, n, o, d in rows}


def _days(later: Any, earlier: Any) -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def _proposal_scope(query: Select[Any], filters: Filters, now: datetime) -> Select[Any]:
    if (since := filters.since(now)) is not None:
        query = query.where(Proposal.created_at >= since)
    if filters.agency_id is not None:
        query = query.where(Proposal.agency_id == filters.agency_id)
    if filters.area:  # only proposals from ideas carry a service area
        query = query.join(
            Idea, (Proposal.origin_type == OriginType.IDEA) & (Idea.id == Proposal.origin_id)
        ).where(func.lower(Idea.service_area) == filters.area.casefold())
    return query


def _median_days(filters: Filters, now: datetime) -> dict[int, float]:
    """Median days from proposal to first final answer, per agency (window functions)."""
    days = _days(Proposal.answered_at, Proposal.created_at).label("days")
    ranked = _proposal_scope(
        select(
            Proposal.agency_id.label("agency_id"),
            days,
            func.row_number().over(partition_by=Proposal.agency_id, order_by=days).label("rn"),
            func.count().over(partition_by=Proposal.agency_id).label("n"),
        ).where(Proposal.answered_at.is_not(None)),
        filters,
        now,
    ).subquery()
    middle = (ranked.c.rn == (ranked.c.n + 1) / 2) | (ranked.c.rn == (ranked.c.n + 2) / 2)
    query = select(ranked.c.agency_id, func.avg(ranked.c.days)).where(middle)
    rows = db.session.execute(query.group_by(ranked.c.agency_id)).all()
    return {int(a): round(float(d), 1) for a, d in rows}


def _ratings(filters: Filters, now: datetime) -> dict[int, float]:
    query = _proposal_scope(
        select(Proposal.agency_id, func.avg(Rating.score))
        .join(Rating, Rating.proposal_id == Proposal.id)
        .group_by(Proposal.agency_id),
        filters,
        now,
    )
    return {int(a): round(float(r), 2) for a, r in db.session.execute(query).all()}


def answer_figures(filters: Filters, now: datetime) -> dict[int, dict[str, Any]]:
    """Per agency: answered, answered_on_time_pct, median_days_to_answer, adoption_rate_pct,
    rating (None where nothing was answered or rated)."""
    answered = Proposal.answered_at.is_not(None)
    on_time = answered & (Proposal.answered_at <= Proposal.response_due_at)
    adopted = Proposal.answer_kind.in_([AnswerKind.ADOPTED, AnswerKind.ADOPTED_IN_PART])
    query = _proposal_scope(
        select(
            Proposal.agency_id,
            func.sum(case((answered, 1), else_=0)),
            func.sum(case((on_time, 1), else_=0)),
            func.sum(case((answered & adopted, 1), else_=0)),
        ).group_by(Proposal.agency_id),
        filters,
        now,
    )
    medians, ratings = _median_days(filters, now), _ratings(filters, now)
    result: dict[int, dict[str, Any]] = {}
    for agency_id, n_answered, n_on_time, n_adopted in db.session.execute(query).all():
        n = int(n_answered or 0)
        result[int(agency_id)] = {
            "answered": n,
            "answered_on_time_pct": _pct(int(n_on_time or 0), n) if n else None,
            "median_days_to_answer": medians.get(int(agency_id)),
            "adoption_rate_pct": _pct(int(n_adopted or 0), n) if n else None,
            "rating": ratings.get(int(agency_id)),
        }
    return result


def agency_figures(filters: Filters, now: datetime) -> list[AgencyFigures]:
    """Every agency (within the filters) with its counts."""
    ideas = _idea_counts(filters, now)
    proposals = _proposal_counts(filters, now)
    answers = answer_figures(filters, now)
    return [
        AgencyFigures(
            a.id,
            a.slug,
            a.name,
            *ideas.get(a.id, (0, 0)),
            *proposals.get(a.id, (0, 0, 0)),
            **answers.get(a.id, {}),
        )
        for a in _agencies(filters)
    ]


# --- panels: composition against the population --------------------------------------------


@dataclass(frozen=True)
class ValueShare:
    """One feature value: seated members and adult residents in the register."""

    value: str
    members: int
    member_pct: float
    population: int
    population_pct: float


@dataclass(frozen=True)
class FeatureComposition:
    """A panel's composition on one feature."""

    feature: str
    values: tuple[ValueShare, ...]


@dataclass(frozen=True)
class PanelComposition:
    """A panel and its composition per feature."""

    id: int
    title: str
    agency_id: int
    agency_name: str
    status: str
    size: int
    members: int
    features: tuple[FeatureComposition, ...]


def _feature_expr(feature: str, year: int) -> Any:
    if feature == "gender":
        return RegisterPerson.gender
    if feature == "area":
        return RegisterPerson.area
    age = literal(year) - RegisterPerson.birth_year
    bands = [(age < low, label) for (low, _), (_, label) in zip(AGE_BANDS[1:], AGE_BANDS[:-1],
                                                                 strict=True)]  # fmt: skip
    return case(*bands, else_=AGE_BANDS[-1][1])


def population_counts(feature: str, now: datetime) -> dict[str, int]:
    """Active adult residents per value of `feature`.

    The population side of every composition chart; the members side is `member_counts`."""
    value = _feature_expr(feature, now.year).label("value")
    query = (
        select(value, func.count())
        .where(
            RegisterPerson.status == RegisterStatus.ACTIVE,
            RegisterPerson.birth_year <= now.year - ADULT_AGE,
        )
        .group_by(value)
    )
    return {str(v): int(n) for v, n in db.session.execute(query).all()}


def member_counts(feature: str, panel_ids: list[int], now: datetime) -> dict[int, dict[str, int]]:
    """Seated members per panel and value of `feature`."""
    if not panel_ids:
        return {}
    value = _feature_expr(feature, now.year).label("value")
    query = (
        select(PanelMembership.panel_id, value, func.count())
        .join(RegisterPerson, RegisterPerson.id == PanelMembership.person_id)
        .where(
            PanelMembership.status == MembershipStatus.SERVING,
            PanelMembership.panel_id.in_(panel_ids),
        )
        .group_by(PanelMembership.panel_id, value)
    )
    result: dict[int, dict[str, int]] = {}
    for panel_id, v, n in db.session.execute(query).all():
        result.setdefault(int(panel_id), {})[str(v)] = int(n)
    return result


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _shares(members: dict[str, int], population: dict[str, int]) -> tuple[ValueShare, ...]:
    seated, people = sum(members.values()), sum(population.values())
    values = sorted(set(members) | set(population))
    return tuple(
        ValueShare(
            v,
            members.get(v, 0),
            _pct(members.get(v, 0), seated),
            population.get(v, 0),
            _pct(population.get(v, 0), people),
        )
        for v in values
    )


def panel_compositions(filters: Filters, now: datetime) -> list[PanelComposition]:
    """Every panel past its draft (of the agency filter): its members against the population."""
    query = select(Panel).where(Panel.status != PanelStatus.DRAFT).order_by(Panel.id)
    if filters.agency_id is not None:
        query = query.where(Panel.agency_id == filters.agency_id)
    panels = list(db.session.scalars(query))
    ids = [p.id for p in panels]
    population = {f: population_counts(f, now) for f in FEATURES}
    members = {f: member_counts(f, ids, now) for f in FEATURES}
    return [
        PanelComposition(
            p.id,
            p.title,
            p.agency_id,
            p.agency.name,
            p.status.value,
            p.size,
            sum(members["gender"].get(p.id, {}).values()),
            tuple(
                FeatureComposition(f, _shares(members[f].get(p.id, {}), population[f]))
                for f in FEATURES
            ),
        )
        for p in panels
    ]
