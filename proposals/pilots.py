"""Pilot use cases: set up, criteria, recruitment, the tester draw, feedback, evaluation,
go / no-go, rollout. Services flush, never commit; the views check that the actor is an
officer of the pilot's agency. See docs/pilots.md."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

import sortition
from civic import audit, clock
from civic.accounts.models import User
from civic.draws import services as draws
from civic.draws.models import Draw, DrawStatus
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.extensions import db
from proposals import ideas
from proposals.models import Idea, OriginType, Proposal
from proposals.pilot_models import (
    Decision,
    DecisionReason,
    EvaluationAnswer,
    Feedback,
    Outcome,
    Pilot,
    PilotStatus,
    Rollout,
    SuccessCriterion,
    Tester,
    TesterVolunteer,
    Verdict,
)
from proposals.rules import EventKind

S = PilotStatus
MAX_TESTERS = 10_000
MAX_WEEKS = 104
TEXT_MAX = 5000
FEATURES = ("area", "gender", "age")
UNKNOWN = "unknown"
# Age bands of the register's birth year at the time of the draw.
AGE_BANDS = ((16, 29), (30, 44), (45, 64), (65, 200))


class PilotInvalid(InvalidInput):
    """Pilot input breaking a rule; `field` names the form field."""

    def __init__(self, field: str | None, message: Any) -> None:
        super().__init__(message, field=field)


class PilotWrongState(Conflict):
    code = "pilot_wrong_state"
    default_message = _l("This is not possible at this stage of the pilot. Please reload.")


class NotVerifiedVolunteer(NotAllowed):
    code = "not_verified"
    default_message = _l(
        "Only verified residents can volunteer as testers. Verify your account with the code "
        "from the letter of the municipality."
    )


class NotATester(NotAllowed):
    code = "not_a_tester"
    default_message = _l("Only the testers drawn for this pilot can do this.")


# --- pure rules ---


def age_band(birth_year: int, year: int) -> str:
    """The age band ('16-29', '30-44', '45-64', '65+') of someone born in `birth_year`."""
    age = year - birth_year
    for low, high in AGE_BANDS:
        if low <= age <= high:
            return f"{low}+" if high >= 200 else f"{low}-{high}"
    return UNKNOWN


def parse_quotas(text: str, k: int) -> list[sortition.Quota]:
    """Quotas from lines 'feature,value,min,max' (the features.csv format, header optional)."""
    quotas: dict[tuple[str, str], sortition.Quota] = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.lower().replace(" ", "") == "feature,value,min,max":
            continue
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != 4 or not cells[0] or not cells[1]:
            raise PilotInvalid("quotas", _l("Line %(n)s: write feature,value,min,max.", n=number))
        feature, value = cells[0].lower(), cells[1]
        if feature not in FEATURES:
            raise PilotInvalid(
                "quotas",
                _l("Line %(n)s: the feature must be area, gender or age.", n=number),
            )
        if not (cells[2].isdigit() and cells[3].isdigit()):
            raise PilotInvalid("quotas", _l("Line %(n)s: min and max are whole numbers.", n=number))
        low, high = int(cells[2]), int(cells[3])
        if low > high or high > k:
            raise PilotInvalid(
                "quotas",
                _l("Line %(n)s: min must not exceed max, nor max the testers.", n=number),
            )
        if (feature, value) in quotas:
            raise PilotInvalid(
                "quotas", _l("Line %(n)s: this value has a quota already.", n=number)
            )
        quotas[(feature, value)] = sortition.Quota(feature, value, low, high)
    return list(quotas.values())


def with_open_quotas(
    quotas: Sequence[sortition.Quota], pool: Sequence[sortition.Person], k: int
) -> list[sortition.Quota]:
    """Add a quota 0..k for every value in the pool that the quotas do not name (e.g.
    'unknown' for volunteers not linked to the register), so that everyone can be drawn."""
    named = {(q.feature, q.value) for q in quotas}
    features = sorted({q.feature for q in quotas})
    extra = {(f, p.features[f]) for p in pool for f in features if (f, p.features[f]) not in named}
    return [*quotas, *(sortition.Quota(f, v, 0, k) for f, v in sorted(extra))]


TRANSITIONS = {
    "recruit": (S.SETUP, S.RECRUITING),
    "draw": (S.RECRUITING, S.DRAWN),
    "start": (S.DRAWN, S.RUNNING),
    "end": (S.RUNNING, S.EVALUATING),
    "decide": (S.EVALUATING, S.DECIDED),
    "plan": (S.DECIDED, S.ROLLOUT_PLANNED),
    "done": (S.ROLLOUT_PLANNED, S.ROLLED_OUT),
}


# --- reading ---


def get_pilot(pilot_id: int) -> Pilot:
    """The pilot, or NotFound."""
    pilot = db.session.get(Pilot, pilot_id)
    if pilot is None:
        raise NotFound()
    return pilot


def pilot_for(proposal_id: int) -> Pilot | None:
    """The pilot of a proposal, if any."""
    return db.session.scalar(select(Pilot).where(Pilot.proposal_id == proposal_id))


def list_pilots(agency_id: int | None = None) -> list[Pilot]:
    """Pilots, newest first (of one agency when given)."""
    query = select(Pilot).order_by(Pilot.id.desc())
    if agency_id is not None:
        query = query.where(Pilot.agency_id == agency_id)
    return list(db.session.scalars(query))


def volunteer_of(pilot: Pilot, user: User | None) -> TesterVolunteer | None:
    if user is None:
        return None
    return db.session.scalar(
        select(TesterVolunteer).where(
            TesterVolunteer.pilot_id == pilot.id, TesterVolunteer.user_id == user.id
        )
    )


def tester_of(pilot: Pilot, user: User | None) -> Tester | None:
    if user is None:
        return None
    return db.session.scalar(
        select(Tester).where(Tester.pilot_id == pilot.id, Tester.user_id == user.id)
    )


def volunteer_count(pilot: Pilot) -> int:
    query = select(func.count()).where(TesterVolunteer.pilot_id == pilot.id)
    return db.session.scalar(query) or 0


def tester_count(pilot: Pilot) -> int:
    return db.session.scalar(select(func.count()).where(Tester.pilot_id == pilot.id)) or 0


def feedback_list(pilot: Pilot) -> list[Feedback]:
    return list(
        db.session.scalars(
            select(Feedback).where(Feedback.pilot_id == pilot.id).order_by(Feedback.id)
        )
    )


def has_evaluated(pilot: Pilot, tester: Tester | None) -> bool:
    if tester is None:
        return False
    found = db.session.scalar(
        select(EvaluationAnswer.id).where(EvaluationAnswer.tester_id == tester.id).limit(1)
    )
    return found is not None


def evaluation_summary(pilot: Pilot) -> list[dict[str, Any]]:
    """Per criterion: how many testers answered met, partly, not met."""
    rows = db.session.execute(
        select(EvaluationAnswer.criterion_id, EvaluationAnswer.verdict, func.count())
        .where(EvaluationAnswer.pilot_id == pilot.id)
        .group_by(EvaluationAnswer.criterion_id, EvaluationAnswer.verdict)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for criterion_id, verdict, n in rows:
        counts.setdefault(criterion_id, {})[Verdict(verdict).value] = n
    return [
        {"criterion": c, **{v.value: counts.get(c.id, {}).get(v.value, 0) for v in Verdict}}
        for c in pilot.criteria
    ]


def decision_of(pilot: Pilot) -> Decision | None:
    return db.session.scalar(select(Decision).where(Decision.pilot_id == pilot.id))


def rollout_of(pilot: Pilot) -> Rollout | None:
    return db.session.scalar(select(Rollout).where(Rollout.pilot_id == pilot.id))


# --- shared ---


def _move(pilot: Pilot, action: str, **values: Any) -> PilotStatus:
    """Conditional status update (a concurrent change wins); returns the status before."""
    before, after = TRANSITIONS[action]
    changed = db.session.scalar(
        update(Pilot)
        .where(Pilot.id == pilot.id, Pilot.status == before)
        .values(status=after, **values)
        .returning(Pilot.id)
        .execution_options(synchronize_session=False)
    )
    if changed is None:
        raise PilotWrongState()
    db.session.refresh(pilot)
    return before


def _require(pilot: Pilot, *statuses: PilotStatus) -> None:
    if pilot.status not in statuses:
        raise PilotWrongState()


def _timeline(pilot: Pilot, step: str, now: datetime, **data: Any) -> None:
    """Append the step to the public timeline of the idea the proposal came from."""
    proposal = pilot.proposal
    if proposal.origin_type != OriginType.IDEA:
        return
    idea = db.session.get(Idea, proposal.origin_id)
    if idea is not None:
        ideas.add_event(idea, EventKind.PILOT, now, step=step, pilot=pilot.id, **data)


def event_text(data: Mapping[str, Any]) -> str:
    """The idea timeline's text for a pilot step (data as written by `_timeline`)."""
    step = data.get("step")
    texts = {
        "setup": _(
            "The agency is setting up a pilot: %(testers)s testers for %(weeks)s weeks.",
            testers=data.get("testers"),
            weeks=data.get("weeks"),
        ),
        "recruiting": _("Pilot: success criteria set; residents can volunteer as testers."),
        "drawn": _(
            "Pilot: %(n)s testers drawn by lot (public draw %(draw)s).",
            n=data.get("testers"),
            draw=data.get("draw"),
        ),
        "running": _("Pilot started."),
        "evaluating": _("Pilot ended; the testers evaluate it against the criteria."),
        "go": _("Pilot decision: go. The change will be rolled out."),
        "no_go": _("Pilot decision: no go. The change will not be rolled out."),
        "planned": _("Rollout planned for %(date)s.", date=data.get("date")),
        "rolled_out": _("Rolled out."),
    }
    return str(texts.get(str(step), _("Pilot updated.")))


def _text(value: str | None, field: str, message: Any, *, limit: int = TEXT_MAX) -> str:
    text = (value or "").strip()
    if not text:
        raise PilotInvalid(field, message)
    if len(text) > limit:
        raise PilotInvalid(field, _l("This text is too long."))
    return text


# --- the agency sets up the pilot ---


@dataclass(frozen=True)
class PilotData:
    """What an officer enters when setting up."""

    title: str
    description: str
    testers: int
    duration_weeks: int


def _check_setup(data: PilotData) -> PilotData:
    title = _text(data.title, "title", _l("Enter a title."), limit=200)
    if not 1 <= data.testers <= MAX_TESTERS:
        raise PilotInvalid("testers", _l("The number of testers must be between 1 and 10,000."))
    if not 1 <= data.duration_weeks <= MAX_WEEKS:
        raise PilotInvalid("duration_weeks", _l("The duration must be between 1 and 104 weeks."))
    return PilotData(title, (data.description or "").strip(), data.testers, data.duration_weeks)


def setup_pilot(
    actor: User, proposal: Proposal, data: PilotData, now: datetime | None = None
) -> Pilot:
    """A new pilot of `proposal` in set-up (one per proposal)."""
    now = now or clock.now()
    if pilot_for(proposal.id) is not None:
        raise PilotWrongState(_l("This proposal already has a pilot."))
    data = _check_setup(data)
    pilot = Pilot(
        proposal_id=proposal.id,
        agency_id=proposal.agency_id,
        title=data.title,
        description=data.description,
        testers=data.testers,
        duration_weeks=data.duration_weeks,
        status=S.SETUP,
        created_at=now,
        created_by_id=actor.id,
        quotas=[],
    )
    db.session.add(pilot)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise PilotWrongState(_l("This proposal already has a pilot.")) from None
    db.session.refresh(pilot)
    _timeline(pilot, "setup", now, testers=data.testers, weeks=data.duration_weeks)
    audit.record(actor, "pilot.set_up", pilot, after=pilot.as_audit())
    return pilot


def edit_setup(actor: User, pilot: Pilot, data: PilotData) -> None:
    """Change title, description, testers or duration while in set-up."""
    _require(pilot, S.SETUP)
    data = _check_setup(data)
    before = pilot.as_audit()
    pilot.title, pilot.description = data.title, data.description
    pilot.testers, pilot.duration_weeks = data.testers, data.duration_weeks
    db.session.flush()
    audit.record(actor, "pilot.edited", pilot, before, pilot.as_audit())


def add_criterion(actor: User, pilot: Pilot, statement: str, target: str) -> SuccessCriterion:
    """A success criterion: a measurable statement and its target (set-up only)."""
    _require(pilot, S.SETUP)
    statement = _text(statement, "statement", _l("Write the criterion as a statement."))
    target = _text(target, "target", _l("Give a measurable target."), limit=200)
    position = len(pilot.criteria) + 1
    criterion = SuccessCriterion(
        pilot_id=pilot.id, position=position, statement=statement, target=target
    )
    db.session.add(criterion)
    db.session.flush()
    db.session.expire(pilot, ["criteria"])
    audit.record(
        actor,
        "pilot.criterion_added",
        criterion,
        after={"pilot_id": pilot.id, "statement": statement, "target": target},
    )
    return criterion


def remove_criterion(actor: User, pilot: Pilot, criterion_id: int) -> None:
    """Remove a criterion while in set-up."""
    _require(pilot, S.SETUP)
    criterion = db.session.get(SuccessCriterion, criterion_id)
    if criterion is None or criterion.pilot_id != pilot.id:
        raise NotFound()
    before = {"pilot_id": pilot.id, "statement": criterion.statement, "target": criterion.target}
    db.session.delete(criterion)
    db.session.flush()
    db.session.expire(pilot, ["criteria"])
    audit.record(actor, "pilot.criterion_removed", criterion, before=before)


def start_recruiting(actor: User, pilot: Pilot, now: datetime | None = None) -> None:
    """Freeze the criteria and open recruitment."""
    now = now or clock.now()
    _require(pilot, S.SETUP)
    if not pilot.criteria:
        raise PilotInvalid(None, _l("Write at least one success criterion first."))
    for criterion in pilot.criteria:
        criterion.frozen_at = now
    before = _move(pilot, "recruit", recruiting_at=now)
    _timeline(pilot, "recruiting", now, criteria=len(pilot.criteria))
    audit.record(actor, "pilot.recruiting", pilot, {"status": before.value}, pilot.as_audit())


# --- residents volunteer ---


def _pool_open(pilot: Pilot) -> bool:
    return pilot.status == S.RECRUITING and (
        pilot.draw is None or pilot.draw.status == DrawStatus.PREPARED
    )


def volunteer(user: User, pilot: Pilot, now: datetime | None = None) -> bool:
    """A verified resident offers to test; False when already volunteering."""
    now = now or clock.now()
    if not _pool_open(pilot):
        raise PilotWrongState(_l("Recruitment for this pilot is closed."))
    if not user.is_verified:
        raise NotVerifiedVolunteer()
    values = {"pilot_id": pilot.id, "user_id": user.id, "created_at": now}
    row_id = ideas._insert_ignore(TesterVolunteer, values, ["pilot_id", "user_id"])
    if row_id is None:
        return False
    audit.record(
        user, "pilot.volunteered", None, object_type="TesterVolunteer", object_id=str(row_id),
        after={"pilot_id": pilot.id},
    )  # fmt: skip
    return True


def withdraw_volunteer(user: User, pilot: Pilot) -> bool:
    """Take back the offer while the pool is still open; False when not volunteering."""
    if not _pool_open(pilot):
        raise PilotWrongState(_l("The draw has been published; the pool can no longer change."))
    row = volunteer_of(pilot, user)
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    audit.record(user, "pilot.volunteer_withdrawn", row, before={"pilot_id": pilot.id})
    return True


# --- the tester draw ---


def set_quotas(actor: User, pilot: Pilot, text: str) -> None:
    """Quotas for a stratified draw (empty text: a plain draw)."""
    if not _pool_open(pilot):
        raise PilotWrongState()
    quotas = parse_quotas(text, pilot.testers)
    before = pilot.as_audit()
    pilot.quotas = [
        {"feature": q.feature, "value": q.value, "min": q.min, "max": q.max} for q in quotas
    ]
    db.session.flush()
    audit.record(actor, "pilot.quotas_set", pilot, before, pilot.as_audit())


def quotas_text(pilot: Pilot) -> str:
    """The pilot's quotas as editable lines."""
    return "\n".join(f"{q['feature']},{q['value']},{q['min']},{q['max']}" for q in pilot.quotas)


def _register_features(user_ids: list[int], year: int) -> dict[int, dict[str, str]]:
    """Area, gender and age band of volunteers whose account is linked to the register."""
    from panels.models import RegisterPerson, ResidentLink

    rows = db.session.execute(
        select(ResidentLink.user_id, RegisterPerson.area, RegisterPerson.gender,
               RegisterPerson.birth_year)
        .join(RegisterPerson, RegisterPerson.id == ResidentLink.person_id)
        .where(ResidentLink.user_id.in_(user_ids))
    ).all()  # fmt: skip
    return {
        uid: {"area": area, "gender": gender, "age": age_band(born, year)}
        for uid, area, gender, born in rows
    }


def tester_pool(pilot: Pilot, now: datetime) -> list[sortition.Person]:
    """Volunteers as pseudonymous people (V<id>); register features when quotas are set."""
    volunteers = list(
        db.session.scalars(
            select(TesterVolunteer)
            .where(TesterVolunteer.pilot_id == pilot.id)
            .order_by(TesterVolunteer.id)
        )
    )
    if not pilot.quotas:
        return [sortition.Person(v.pseudonym, {}) for v in volunteers]
    known = _register_features([v.user_id for v in volunteers], now.year)
    blank = dict.fromkeys(FEATURES, UNKNOWN)
    return [sortition.Person(v.pseudonym, known.get(v.user_id, blank)) for v in volunteers]


def prepare_tester_draw(
    actor: User, pilot: Pilot, now: datetime | None = None
) -> Draw | sortition.InfeasibleQuotas:
    """Run the engine on the volunteers; store the draw, or return why quotas are infeasible."""
    now = now or clock.now()
    if not _pool_open(pilot):
        raise PilotWrongState()
    pool = tester_pool(pilot, now)
    if not pool:
        raise PilotInvalid(None, _l("Nobody has volunteered yet."))
    k = min(pilot.testers, len(pool))
    quotas = [sortition.Quota(q["feature"], q["value"], q["min"], q["max"]) for q in pilot.quotas]
    if quotas:
        quotas = with_open_quotas(quotas, pool, k)
    result = draws.prepare_draw("pilot", pilot.id, pool, quotas, k, actor=actor, now=now)
    if isinstance(result, Draw):
        before = pilot.as_audit()
        pilot.draw_id = result.id
        db.session.flush()
        db.session.expire(pilot, ["draw"])
        audit.record(actor, "pilot.draw_prepared", pilot, before, pilot.as_audit())
    return result


def publish_tester_draw(actor: User, pilot: Pilot, now: datetime | None = None) -> Draw:
    """Publish the draw's record; the pool is closed from now on."""
    _require(pilot, S.RECRUITING)
    if pilot.draw is None:
        raise PilotWrongState(_l("Prepare the draw first."))
    return draws.publish_draw(pilot.draw, actor, now)


def draw_testers(actor: User, pilot: Pilot, seed: str, now: datetime | None = None) -> Draw:
    """Enter the public seed: the selected volunteers become testers."""
    now = now or clock.now()
    _require(pilot, S.RECRUITING)
    draw = pilot.draw
    if draw is None or draw.status != DrawStatus.PUBLISHED:
        raise PilotWrongState(_l("Publish the draw's record before entering the seed."))
    draws.enter_seed(draw, seed, actor, now)
    by_pseudonym = {
        v.pseudonym: v
        for v in db.session.scalars(
            select(TesterVolunteer).where(TesterVolunteer.pilot_id == pilot.id)
        )
    }
    for pseudonym in draw.selected or []:
        chosen = by_pseudonym[pseudonym]
        db.session.add(
            Tester(pilot_id=pilot.id, volunteer_id=chosen.id, user_id=chosen.user_id, drawn_at=now)
        )
    before = _move(pilot, "draw")
    _timeline(pilot, "drawn", now, testers=len(draw.selected or []), draw=draw.id)
    audit.record(actor, "pilot.testers_drawn", pilot, {"status": before.value}, pilot.as_audit())
    return draw


# --- running and evaluating ---


def start_pilot(actor: User, pilot: Pilot, now: datetime | None = None) -> None:
    """The pilot starts now and runs for its duration."""
    now = now or clock.now()
    ends = now + timedelta(weeks=pilot.duration_weeks)
    before = _move(pilot, "start", starts_at=now, ends_at=ends)
    _timeline(pilot, "running", now, ends_at=ends.isoformat())
    audit.record(actor, "pilot.started", pilot, {"status": before.value}, pilot.as_audit())


def leave_feedback(user: User, pilot: Pilot, text: str, now: datetime | None = None) -> Feedback:
    """A tester's note while the pilot runs."""
    now = now or clock.now()
    _require(pilot, S.RUNNING)
    tester = tester_of(pilot, user)
    if tester is None:
        raise NotATester()
    body = _text(text, "text", _l("Write your feedback."))
    feedback = Feedback(pilot_id=pilot.id, tester_id=tester.id, text=body, created_at=now)
    db.session.add(feedback)
    db.session.flush()
    audit.record(user, "pilot.feedback", feedback, after={"pilot_id": pilot.id})
    return feedback


def end_pilot(actor: User, pilot: Pilot, now: datetime | None = None) -> None:
    """After its duration the pilot ends and the testers evaluate it."""
    now = now or clock.now()
    _require(pilot, S.RUNNING)
    if pilot.ends_at is not None and now < pilot.ends_at:
        raise PilotWrongState(_l("The pilot runs until its end date."))
    before = _move(pilot, "end", evaluating_at=now)
    _timeline(pilot, "evaluating", now)
    audit.record(actor, "pilot.ended", pilot, {"status": before.value}, pilot.as_audit())


def answer_evaluation(
    user: User,
    pilot: Pilot,
    answers: Mapping[int, tuple[str, str | None]],
    now: datetime | None = None,
) -> int:
    """A tester's verdict on every criterion (once); returns how many were recorded."""
    now = now or clock.now()
    _require(pilot, S.EVALUATING)
    tester = tester_of(pilot, user)
    if tester is None:
        raise NotATester()
    if has_evaluated(pilot, tester):
        raise PilotWrongState(_l("You have already evaluated this pilot. Thank you!"))
    rows = []
    for criterion in pilot.criteria:
        verdict, comment = answers.get(criterion.id, ("", None))
        if verdict not in {v.value for v in Verdict}:
            raise PilotInvalid(f"c{criterion.id}", _l("Answer every criterion."))
        rows.append(
            EvaluationAnswer(
                pilot_id=pilot.id,
                criterion_id=criterion.id,
                tester_id=tester.id,
                verdict=Verdict(verdict),
                comment=(comment or "").strip()[:TEXT_MAX] or None,
                created_at=now,
            )
        )
    db.session.add_all(rows)
    db.session.flush()
    audit.record(
        user,
        "pilot.evaluated",
        tester,
        after={
            "pilot_id": pilot.id,
            "answers": {str(r.criterion_id): r.verdict.value for r in rows},
        },
    )
    return len(rows)


# --- decision and rollout ---


def decide(
    actor: User,
    pilot: Pilot,
    outcome: str,
    summary: str,
    reasons: Mapping[int, tuple[bool, str]],
    now: datetime | None = None,
) -> Decision:
    """Go or no-go, with a reason against every criterion."""
    now = now or clock.now()
    _require(pilot, S.EVALUATING)
    if outcome not in {o.value for o in Outcome}:
        raise PilotInvalid("outcome", _l("Choose go or no go."))
    checked = []
    for criterion in pilot.criteria:
        met, reason = reasons.get(criterion.id, (False, ""))
        text = _text(reason, f"r{criterion.id}", _l("Give a reason for every criterion."))
        checked.append((criterion.id, met, text))
    decision = Decision(
        pilot_id=pilot.id,
        outcome=Outcome(outcome),
        summary=(summary or "").strip()[:TEXT_MAX],
        decided_at=now,
        decided_by_id=actor.id,
    )
    db.session.add(decision)
    db.session.flush()
    for criterion_id, met, text in checked:
        db.session.add(
            DecisionReason(decision_id=decision.id, criterion_id=criterion_id, met=met, reason=text)
        )
    before = _move(pilot, "decide")
    _timeline(pilot, outcome, now)
    after = {**pilot.as_audit(), "outcome": outcome, "met": {str(c): m for c, m, _t in checked}}
    audit.record(actor, "pilot.decided", pilot, {"status": before.value}, after)
    return decision


def plan_rollout(
    actor: User, pilot: Pilot, planned_for: date | None, note: str, now: datetime | None = None
) -> Rollout:
    """After a go: the date the change is to be rolled out."""
    now = now or clock.now()
    _require(pilot, S.DECIDED)
    decision = decision_of(pilot)
    if decision is None or decision.outcome != Outcome.GO:
        raise PilotWrongState(_l("Only a pilot with a go decision is rolled out."))
    if planned_for is None:
        raise PilotInvalid("planned_for", _l("Enter the planned date."))
    if planned_for < clock.local(now).date():
        raise PilotInvalid("planned_for", _l("The planned date cannot be in the past."))
    rollout = Rollout(
        pilot_id=pilot.id, planned_for=planned_for, note=(note or "").strip(), planned_at=now
    )
    db.session.add(rollout)
    before = _move(pilot, "plan")
    _timeline(pilot, "planned", now, date=planned_for.isoformat())
    audit.record(
        actor, "pilot.rollout_planned", pilot, {"status": before.value},
        {**pilot.as_audit(), "planned_for": planned_for.isoformat()},
    )  # fmt: skip
    return rollout


def complete_rollout(actor: User, pilot: Pilot, now: datetime | None = None) -> None:
    """The change has been rolled out."""
    now = now or clock.now()
    rollout = rollout_of(pilot)
    before = _move(pilot, "done")
    assert rollout is not None  # planned before
    rollout.done_at = now
    db.session.flush()
    _timeline(pilot, "rolled_out", now)
    audit.record(actor, "pilot.rolled_out", pilot, {"status": before.value}, pilot.as_audit())


def public_quotas(pilot: Pilot) -> str:
    """The quota table as JSON (for display)."""
    return json.dumps(pilot.quotas, ensure_ascii=False)
