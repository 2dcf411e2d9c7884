"""What the API publishes of pilots: what the public pilot page shows, in figures.

Testers appear only as counts and the evaluation only as verdict counts per criterion: no
tester, volunteer or officer, no feedback text and no evaluation comment (those are for the
agency only). Criteria appear once recruitment has fixed them, the evaluation once it began.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from civic.agencies.models import Agency
from civic.api.draw_records import PUBLIC, draw_ref
from civic.api.params import Window
from civic.api.values import agency_ref, count, when
from civic.draws.models import Draw
from civic.errors import NotFound
from civic.extensions import db
from proposals.pilot_models import (
    Decision,
    EvaluationAnswer,
    Pilot,
    PilotStatus,
    Rollout,
    Tester,
    TesterVolunteer,
    Verdict,
)

EVALUATED = {
    PilotStatus.EVALUATING,
    PilotStatus.DECIDED,
    PilotStatus.ROLLOUT_PLANNED,
    PilotStatus.ROLLED_OUT,
}


def _per_pilot(column: Any, ids: list[int]) -> dict[int, int]:
    """Rows per pilot of the table `column` belongs to (volunteers, testers)."""
    rows = db.session.execute(
        select(column, func.count()).where(column.in_(ids)).group_by(column)
    ).all()
    return {int(p): int(n) for p, n in rows}


def _verdicts(ids: list[int]) -> dict[int, dict[str, int]]:
    """Verdict counts per criterion, summed in the database."""
    rows = db.session.execute(
        select(EvaluationAnswer.criterion_id, EvaluationAnswer.verdict, func.count())
        .where(EvaluationAnswer.pilot_id.in_(ids))
        .group_by(EvaluationAnswer.criterion_id, EvaluationAnswer.verdict)
    ).all()
    result: dict[int, dict[str, int]] = {}
    for criterion_id, verdict, n in rows:
        result.setdefault(int(criterion_id), {})[Verdict(verdict).value] = int(n)
    return result


def _evaluation(found: dict[str, int]) -> dict[str, int]:
    counts = {v.value: found.get(v.value, 0) for v in Verdict}
    return {**counts, "total": sum(counts.values())}


def _criteria(pilot: Pilot, verdicts: dict[int, dict[str, int]]) -> list[dict[str, Any]]:
    if pilot.status == PilotStatus.SETUP:
        return []  # still being written; public once recruitment fixes them
    evaluated = pilot.status in EVALUATED
    return [
        {
            "id": c.id,
            "position": c.position,
            "statement": c.statement,
            "target": c.target,
            "evaluation": _evaluation(verdicts.get(c.id, {})) if evaluated else None,
        }
        for c in pilot.criteria
    ]


def _decision(decision: Decision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        "outcome": decision.outcome.value,
        "summary": decision.summary,
        "decided_at": when(decision.decided_at),
        "reasons": [
            {"criterion_id": r.criterion_id, "met": r.met, "reason": r.reason}
            for r in decision.reasons
        ],
    }


def _rollout(rollout: Rollout | None) -> dict[str, Any] | None:
    if rollout is None:
        return None
    return {
        "planned_for": rollout.planned_for.isoformat(),
        "note": rollout.note,
        "planned_at": when(rollout.planned_at),
        "done_at": when(rollout.done_at),
    }


def _by_pilot(model: Any, ids: list[int]) -> dict[int, Any]:
    return {
        row.pilot_id: row
        for row in db.session.scalars(select(model).where(model.pilot_id.in_(ids)))
    }


def _draws(found: list[Pilot]) -> dict[int, dict[str, Any]]:
    """References to the tester draws that are public."""
    ids = [p.draw_id for p in found if p.draw_id is not None]
    rows = db.session.execute(
        select(Draw.id, Draw.status).where(Draw.id.in_(ids), Draw.status.in_(PUBLIC))
    ).all()
    return {int(draw_id): draw_ref(draw_id, status) for draw_id, status in rows}


def _pilots(found: list[Pilot]) -> list[dict[str, Any]]:
    ids = [p.id for p in found]
    volunteers = _per_pilot(TesterVolunteer.pilot_id, ids)
    testers = _per_pilot(Tester.pilot_id, ids)
    verdicts = _verdicts(ids)
    decisions, rollouts = _by_pilot(Decision, ids), _by_pilot(Rollout, ids)
    draws = _draws(found)
    return [
        {
            "id": p.id,
            "title": p.title,
            "description": p.description,
            "status": p.status.value,
            "agency": agency_ref(p.agency.id, p.agency.slug, p.agency.name),
            "proposal_id": p.proposal_id,
            "testers": p.testers,
            "duration_weeks": p.duration_weeks,
            "volunteers": volunteers.get(p.id, 0),
            "testers_drawn": testers.get(p.id, 0),
            "created_at": when(p.created_at),
            "recruiting_at": when(p.recruiting_at),
            "starts_at": when(p.starts_at),
            "ends_at": when(p.ends_at),
            "evaluating_at": when(p.evaluating_at),
            "criteria": _criteria(p, verdicts),
            "decision": _decision(decisions.get(p.id)),
            "rollout": _rollout(rollouts.get(p.id)),
            "draw": draws.get(p.draw_id) if p.draw_id is not None else None,
        }
        for p in found
    ]


def _pilot_query() -> Select[Any]:
    return select(Pilot).join(Agency, Agency.id == Pilot.agency_id)


def pilots(
    win: Window, status: PilotStatus | None, agency: str | None
) -> tuple[list[dict[str, Any]], int]:
    """Every pilot (the public pilot pages list them all), newest first."""
    query = _pilot_query()
    if status is not None:
        query = query.where(Pilot.status == status)
    if agency:
        query = query.where(Agency.slug == agency)
    found = db.session.scalars(query.order_by(Pilot.id.desc()).limit(win.limit).offset(win.offset))
    return _pilots(list(found.unique())), count(query)


def pilot(pilot_id: int) -> dict[str, Any]:
    """One pilot."""
    found = db.session.scalars(_pilot_query().where(Pilot.id == pilot_id)).unique().first()
    if found is None:
        raise NotFound()
    return _pilots([found])[0]
