"""What the API publishes of each object: public fields only, built from explicit columns.

Reading named columns (never whole rows) keeps e-mail addresses, register keys and other
personal fields out of reach of the serialisers by construction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from civic import clock
from civic.accounts.models import User
from civic.agencies.models import Agency
from civic.api import draw_records
from civic.api.params import Window
from civic.api.values import agency_ref, count, when
from civic.dashboard import queries
from civic.dashboard.cache import cached
from civic.dashboard.filters import Filters
from civic.errors import NotFound
from civic.extensions import db
from panels.draws import PURPOSE as PANEL_PURPOSE
from panels.models import Panel, PanelQuota, PanelStatus, Wave
from proposals.models import (
    Idea,
    ProgressUpdate,
    Proposal,
    ProposalAnswer,
    ProposalStatus,
    Rating,
)
from proposals.rules import PUBLIC_STATUSES, IdeaStatus
from voting.models import Ballot, Vote
from voting.rules import BallotStatus, Counts

# --- ideas ---------------------------------------------------------------------------------

_author = aliased(User)
IDEA_COLUMNS = (
    Idea.id, Idea.title, Idea.problem, Idea.proposed_change, Idea.service_area, Idea.status,
    Idea.submitted_at, Idea.screened_at, Idea.reject_reason, Idea.reject_text,
    Idea.merged_into_id, Idea.ballot_id, Agency.id, Agency.slug, Agency.name,
    _author.public_name,
)  # fmt: skip


def _idea_query() -> Select[Any]:
    return (
        select(*IDEA_COLUMNS)
        .join(Agency, Agency.id == Idea.agency_id)
        .join(_author, _author.id == Idea.author_id)
        .where(Idea.hidden_at.is_(None), Idea.status.in_(sorted(PUBLIC_STATUSES)))
    )


def _idea(row: Any) -> dict[str, Any]:
    (idea_id, title, problem, change, area, status, submitted, screened, reason, reason_text,
     merged_into, ballot_id, agency_id, slug, agency_name, public_name) = row  # fmt: skip
    return {
        "id": idea_id,
        "title": title,
        "problem": problem,
        "proposed_change": change,
        "service_area": area,
        "status": IdeaStatus(status).value,
        "agency": agency_ref(agency_id, slug, agency_name),
        "author": public_name or None,
        "submitted_at": when(submitted),
        "screened_at": when(screened),
        "reject_reason": reason.value if reason is not None else None,
        "reject_text": reason_text,
        "merged_into_id": merged_into,
        "ballot_id": ballot_id,
    }


def ideas(
    win: Window, status: IdeaStatus | None, area: str | None, agency: str | None
) -> tuple[list[dict[str, Any]], int]:
    """Public ideas, newest first."""
    query = _idea_query()
    if status is not None:
        query = query.where(Idea.status == status)
    if area:
        query = query.where(func.lower(Idea.service_area) == area.casefold())
    if agency:
        query = query.where(Agency.slug == agency)
    rows = db.session.execute(
        query.order_by(Idea.submitted_at.desc(), Idea.id.desc()).limit(win.limit).offset(win.offset)
    ).all()
    return [_idea(r) for r in rows], count(query)


def idea(idea_id: int) -> dict[str, Any]:
    """One public idea, or NotFound (hidden and withdrawn ideas are not public)."""
    row = db.session.execute(_idea_query().where(Idea.id == idea_id)).first()
    if row is None:
        raise NotFound()
    return _idea(row)


# --- ballots -------------------------------------------------------------------------------

BALLOT_COLUMNS = (
    Ballot.id, Ballot.subject_type, Ballot.subject_id, Ballot.opens_at, Ballot.closes_at,
    Ballot.threshold, Ballot.quorum, Ballot.status, Ballot.outcome, Ballot.closed_at,
    Ballot.merged_into_id,
)  # fmt: skip


def _counts(ballot_ids: list[int]) -> dict[int, Counts]:
    if not ballot_ids:
        return {}
    rows = db.session.execute(
        select(Vote.ballot_id, Vote.choice, func.count())
        .where(Vote.ballot_id.in_(ballot_ids))
        .group_by(Vote.ballot_id, Vote.choice)
    ).all()
    grouped: dict[int, list[tuple[Any, int]]] = {}
    for ballot_id, choice, n in rows:
        grouped.setdefault(int(ballot_id), []).append((choice, int(n)))
    return {b: Counts.of(pairs) for b, pairs in grouped.items()}


def _ballot(row: Any, counts: Counts) -> dict[str, Any]:
    (ballot_id, subject_type, subject_id, opens, closes, threshold, quorum, status, outcome,
     closed, merged_into) = row  # fmt: skip
    return {
        "id": ballot_id,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "opens_at": when(opens),
        "closes_at": when(closes),
        "threshold": threshold,
        "quorum": quorum,
        "status": BallotStatus(status).value,
        "outcome": outcome.value if outcome is not None else None,
        "closed_at": when(closed),
        "merged_into_id": merged_into,
        "counts": {
            "yes": counts.yes,
            "no": counts.no,
            "abstain": counts.abstain,
            "total": counts.total,
        },
    }


def ballots(
    win: Window, status: BallotStatus | None, subject_type: str | None
) -> tuple[list[dict[str, Any]], int]:
    """Ballots, newest first, with their counts per choice."""
    query = select(*BALLOT_COLUMNS)
    if status is not None:
        query = query.where(Ballot.status == status)
    if subject_type:
        query = query.where(Ballot.subject_type == subject_type)
    rows = db.session.execute(
        query.order_by(Ballot.id.desc()).limit(win.limit).offset(win.offset)
    ).all()
    counts = _counts([r[0] for r in rows])
    return [_ballot(r, counts.get(r[0], Counts())) for r in rows], count(query)


def ballot(ballot_id: int) -> dict[str, Any]:
    """One ballot with its counts."""
    row = db.session.execute(select(*BALLOT_COLUMNS).where(Ballot.id == ballot_id)).first()
    if row is None:
        raise NotFound()
    return _ballot(row, _counts([ballot_id]).get(ballot_id, Counts()))


# --- proposals -----------------------------------------------------------------------------

PROPOSAL_COLUMNS = (
    Proposal.id, Proposal.origin_type, Proposal.origin_id, Proposal.title, Proposal.summary,
    Proposal.created_at, Proposal.response_due_at, Proposal.status, Agency.id, Agency.slug,
    Agency.name, Proposal.answer_kind, Proposal.answered_at, Proposal.done_at,
)  # fmt: skip


def _answers(ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Published answer versions (drafts and authors stay private)."""
    result: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    query = (
        select(ProposalAnswer)
        .where(ProposalAnswer.proposal_id.in_(ids), ProposalAnswer.published_at.is_not(None))
        .order_by(ProposalAnswer.proposal_id, ProposalAnswer.version)
    )
    for a in db.session.scalars(query):
        result[a.proposal_id].append(
            {
                "version": a.version,
                "kind": a.kind.value,
                "summary": a.summary,
                "explanation": a.explanation,
                "reason": a.reason or None,
                "new_due_at": when(a.new_due_at),
                "published_at": when(a.published_at),
            }
        )
    return result


def _progress(ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Progress updates, oldest first (they are only ever appended)."""
    result: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    query = (
        select(ProgressUpdate)
        .where(ProgressUpdate.proposal_id.in_(ids))
        .order_by(ProgressUpdate.proposal_id, ProgressUpdate.id)
    )
    for u in db.session.scalars(query):
        result[u.proposal_id].append(
            {
                "status": u.status.value,
                "percent": u.percent,
                "milestone": u.milestone,
                "on_date": u.on_date.isoformat(),
                "reported_at": when(u.created_at),
            }
        )
    return result


def _ratings(ids: list[int]) -> dict[int, dict[str, Any]]:
    query = (
        select(Rating.proposal_id, func.avg(Rating.score), func.count())
        .where(Rating.proposal_id.in_(ids))
        .group_by(Rating.proposal_id)
    )
    found = {int(p): (float(a), int(n)) for p, a, n in db.session.execute(query).all()}
    return {
        i: {
            "average": round(found[i][0], 2) if i in found else None,
            "count": found.get(i, (0, 0))[1],
        }
        for i in ids
    }


def _proposals(rows: list[Any], now: datetime) -> list[dict[str, Any]]:
    ids = [r[0] for r in rows]
    answers, updates, ratings = _answers(ids), _progress(ids), _ratings(ids)
    return [
        {**_proposal(r, now), "answers": answers[r[0]], "progress": updates[r[0]],
         "rating": ratings[r[0]]}
        for r in rows
    ]  # fmt: skip


def _proposal(row: Any, now: datetime) -> dict[str, Any]:
    (proposal_id, origin_type, origin_id, title, summary, created, due, status, agency_id,
     slug, agency_name, answer_kind, answered_at, done_at) = row  # fmt: skip
    return {
        "id": proposal_id,
        "origin_type": origin_type.value,
        "origin_id": origin_id,
        "agency": agency_ref(agency_id, slug, agency_name),
        "title": title,
        "summary": summary,
        "created_at": when(created),
        "response_due_at": when(due),
        "status": ProposalStatus(status).value,
        "overdue": status == ProposalStatus.OPEN and now >= due,
        "answer_kind": answer_kind.value if answer_kind is not None else None,
        "answered_at": when(answered_at),
        "done_at": when(done_at),
    }


def _proposal_query() -> Select[Any]:
    return select(*PROPOSAL_COLUMNS).join(Agency, Agency.id == Proposal.agency_id)


def proposals(
    win: Window, status: ProposalStatus | None, agency: str | None
) -> tuple[list[dict[str, Any]], int]:
    """Proposals in the agencies' inboxes, newest first."""
    query = _proposal_query()
    if status is not None:
        query = query.where(Proposal.status == status)
    if agency:
        query = query.where(Agency.slug == agency)
    rows = db.session.execute(
        query.order_by(Proposal.id.desc()).limit(win.limit).offset(win.offset)
    ).all()
    return _proposals(list(rows), clock.now()), count(query)


def proposal(proposal_id: int) -> dict[str, Any]:
    """One proposal."""
    row = db.session.execute(_proposal_query().where(Proposal.id == proposal_id)).first()
    if row is None:
        raise NotFound()
    return _proposals([row], clock.now())[0]


# --- agencies ------------------------------------------------------------------------------


def _all_agency_figures(ids: list[int]) -> dict[int, queries.AgencyFigures]:
    """Figures of every agency (cached); recomputed when an agency is newer than the cache,
    which happens only when rows were written without an audit entry (imports, tests)."""
    now = clock.now()
    filters = Filters()
    figures = cached("agencies", filters.key(now), lambda: queries.agency_figures(filters, now))
    found = {f.id: f for f in figures}
    if not set(ids) <= set(found):
        found = {f.id: f for f in queries.agency_figures(filters, now)}
    return found


def _agency(agency: Agency, figures: queries.AgencyFigures) -> dict[str, Any]:
    return {
        "id": agency.id,
        "slug": agency.slug,
        "name": agency.name,
        "service_areas": agency.service_area_list,
        "response_days": agency.response_days,
        "figures": {
            "ideas": figures.ideas,
            "reached": figures.reached,
            "proposals": figures.proposals,
            "open": figures.open,
            "overdue": figures.overdue,
            "answered": figures.answered,
            "answered_on_time_pct": figures.answered_on_time_pct,
            "median_days_to_answer": figures.median_days_to_answer,
            "adoption_rate_pct": figures.adoption_rate_pct,
            "rating": figures.rating,
        },
    }


def agencies(win: Window) -> tuple[list[dict[str, Any]], int]:
    """Agencies by name, each with its figures."""
    query = select(Agency)
    rows = list(db.session.scalars(query.order_by(Agency.name).limit(win.limit).offset(win.offset)))
    figures = _all_agency_figures([a.id for a in rows])
    return [_agency(a, figures[a.id]) for a in rows], count(query)


def agency(agency_id: int) -> dict[str, Any]:
    """One agency with its figures."""
    found = db.session.get(Agency, agency_id)
    if found is None:
        raise NotFound()
    return _agency(found, _all_agency_figures([found.id])[found.id])


# --- panels --------------------------------------------------------------------------------


def _compositions(ids: list[int]) -> dict[int, queries.PanelComposition]:
    """Compositions of every panel (cached; recomputed as `_all_agency_figures` is)."""
    now = clock.now()
    filters = Filters()
    panels = cached(
        "panels-data", filters.key(now), lambda: queries.panel_compositions(filters, now)
    )
    found = {p.id: p for p in panels}
    if not set(ids) <= set(found):
        found = {p.id: p for p in queries.panel_compositions(filters, now)}
    return found


def _quotas(panel_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    result: dict[int, list[dict[str, Any]]] = {i: [] for i in panel_ids}
    query = select(PanelQuota).where(PanelQuota.panel_id.in_(panel_ids))
    for q in db.session.scalars(query.order_by(PanelQuota.feature, PanelQuota.value)):
        result[q.panel_id].append(
            {
                "feature": q.feature,
                "value": q.value,
                "kind": q.kind.value,
                "min_count": q.min_count,
                "max_count": q.max_count,
                "share_percent": float(q.share_percent) if q.share_percent is not None else None,
                "tolerance_percent": (
                    float(q.tolerance_percent) if q.tolerance_percent is not None else None
                ),
            }
        )
    return result


def _waves(panel_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Invitation waves as public draw records: seed, pool hash, sizes (no person)."""
    result: dict[int, list[dict[str, Any]]] = {i: [] for i in panel_ids}
    query = select(Wave).where(Wave.panel_id.in_(panel_ids)).order_by(Wave.panel_id, Wave.number)
    for w in db.session.scalars(query):
        result[w.panel_id].append(
            {
                "number": w.number,
                "wave_date": w.wave_date.isoformat(),
                "seed": w.seed,
                "requested": w.requested,
                "eligible_count": w.eligible_count,
                "pool_sha256": w.pool_sha256,
                "reply_deadline": when(w.reply_deadline),
            }
        )
    return result


def _panel(
    p: Panel,
    comp: queries.PanelComposition,
    quotas: list[Any],
    waves: list[Any],
    draws: list[Any],
) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "description": p.description,
        "topic_kind": p.topic_kind.value,
        "agency": agency_ref(p.agency_id, p.agency.slug, p.agency.name),
        "status": p.status.value,
        "size": p.size,
        "term_months": p.term_months,
        "rotation_months": p.rotation_months,
        "rotation_percent": p.rotation_percent,
        "created_at": when(p.created_at),
        "members": comp.members,
        "composition": [
            {
                "feature": f.feature,
                "values": [
                    {
                        "value": v.value,
                        "members": v.members,
                        "member_pct": v.member_pct,
                        "population": v.population,
                        "population_pct": v.population_pct,
                    }
                    for v in f.values
                ],
            }
            for f in comp.features
        ],
        "quotas": quotas,
        "invitation_waves": waves,
        "draws": draws,
    }


def _panel_query() -> Select[Any]:
    return select(Panel).where(Panel.status != PanelStatus.DRAFT)


def _panels(found: list[Panel]) -> list[dict[str, Any]]:
    ids = [p.id for p in found]
    comps, quotas, waves = _compositions(ids), _quotas(ids), _waves(ids)
    draws = draw_records.public_draws(PANEL_PURPOSE, ids)
    return [_panel(p, comps[p.id], quotas[p.id], waves[p.id], draws[p.id]) for p in found]


def panels(win: Window) -> tuple[list[dict[str, Any]], int]:
    """Panels past their draft, with composition, quotas and draw records."""
    query = _panel_query()
    found = list(db.session.scalars(query.order_by(Panel.id).limit(win.limit).offset(win.offset)))
    return _panels(found), count(query)


def panel(panel_id: int) -> dict[str, Any]:
    """One panel past its draft."""
    found = db.session.scalars(_panel_query().where(Panel.id == panel_id)).first()
    if found is None:
        raise NotFound()
    return _panels([found])[0]
