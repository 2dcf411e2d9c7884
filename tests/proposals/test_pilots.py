"""Pilots at the service layer: set-up, frozen criteria, volunteers, the tester draw (plain
and stratified by register features), feedback, evaluation, go / no-go, rollout."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

import sortition
from civic import clock
from civic.accounts.models import Role, User
from civic.draws.models import Draw, DrawStatus
from civic.errors import Conflict, InvalidInput, NotAllowed
from civic.extensions import db
from panels import verification
from panels.models import CodePurpose
from proposals import pilot_models, pilots
from proposals.inbox import create_proposal
from proposals.models import OriginType, Proposal
from proposals.pilot_models import (
    EvaluationAnswer,
    Feedback,
    Pilot,
    PilotStatus,
)
from tests.panels.panel_support import load_register, person
from tests.proposals.support import audit_count


@pytest.fixture()
def officer(agency: Any, make_user: Callable[..., User]) -> User:
    return make_user(Role.OFFICER, agency=agency)


@pytest.fixture()
def proposal(agency: Any, officer: User) -> Proposal:
    made = create_proposal(
        OriginType.PANEL, 1, agency=agency, title="Night bus", summary="A night bus.", actor="test"
    )
    db.session.commit()
    return made


def _recruiting(officer: User, proposal: Proposal, testers: int = 3) -> Pilot:
    pilot = pilots.setup_pilot(
        officer, proposal, pilots.PilotData("Night bus trial", "Line 12 at night", testers, 5)
    )
    pilots.add_criterion(officer, pilot, "Testers feel safe on the bus", "70% answer met")
    pilots.add_criterion(officer, pilot, "Buses run on time", "90% on time")
    pilots.start_recruiting(officer, pilot)
    db.session.commit()
    return pilot


def test_defaults_and_frozen_criteria(officer: User, proposal: Proposal) -> None:
    pilot = pilots.setup_pilot(officer, proposal, pilots.PilotData("Trial", "", 200, 5))
    assert (pilot.testers, pilot.duration_weeks, pilot.status) == (200, 5, PilotStatus.SETUP)
    with pytest.raises(InvalidInput):
        pilots.start_recruiting(officer, pilot)  # no criteria yet
    with pytest.raises(InvalidInput):
        pilots.add_criterion(officer, pilot, "Statement", "  ")
    pilots.add_criterion(officer, pilot, "Statement", "target")
    pilots.start_recruiting(officer, pilot)
    assert all(c.frozen_at is not None for c in pilot.criteria)
    with pytest.raises(Conflict):
        pilots.add_criterion(officer, pilot, "Late one", "x")
    with pytest.raises(Conflict):
        pilots.setup_pilot(officer, proposal, pilots.PilotData("Twice", "", 10, 5))
    assert audit_count("pilot.set_up") == 1 and audit_count("pilot.recruiting") == 1


def test_only_verified_residents_volunteer_once(
    officer: User, proposal: Proposal, residents: Callable[..., list[User]]
) -> None:
    pilot = _recruiting(officer, proposal)
    [unverified] = residents(1, verified=False)
    [resident] = residents(1)
    with pytest.raises(NotAllowed):
        pilots.volunteer(unverified, pilot)
    assert pilots.volunteer(resident, pilot) is True
    assert pilots.volunteer(resident, pilot) is False
    assert pilots.volunteer_count(pilot) == 1
    assert pilots.withdraw_volunteer(resident, pilot) is True
    assert pilots.volunteer_count(pilot) == 0
    assert audit_count("pilot.volunteered") == 1


def _evaluate_all(pilot: Pilot, testers: list[User], verdict: str = "met") -> None:
    for user in testers:
        answers = {c.id: (verdict, "fine") for c in pilot.criteria}
        pilots.answer_evaluation(user, pilot, answers)
    db.session.commit()


def test_whole_pilot_with_a_plain_draw(
    officer: User, proposal: Proposal, residents: Callable[..., list[User]]
) -> None:
    pilot = _recruiting(officer, proposal, testers=3)
    volunteers = residents(7)
    for user in volunteers:
        pilots.volunteer(user, pilot)
    draw = pilots.prepare_tester_draw(officer, pilot)
    assert isinstance(draw, Draw) and draw.algorithm.value == "sample"
    # The pool is pseudonymous: V<volunteer id>, no user ids or names.
    assert all(p["id"].startswith("V") and p["features"] == {} for p in draw.pool)
    pilots.publish_tester_draw(officer, pilot)
    [late] = residents(1)
    with pytest.raises(Conflict):
        pilots.volunteer(late, pilot)  # the pool closed with the published record
    drawn = pilots.draw_testers(officer, pilot, "Lotto 2026-03-07: 4 12 19 23 31 40")
    db.session.commit()
    assert pilot.status == PilotStatus.DRAWN and drawn.status == DrawStatus.DRAWN
    pool_ids = [p["id"] for p in draw.pool]
    assert drawn.selected == sortition.sample(drawn.seed, pool_ids, 3)
    testers = [
        db.session.get(User, t.user_id) for t in db.session.scalars(select(pilot_models.Tester))
    ]
    assert len(testers) == 3
    outsider = next(u for u in volunteers if u not in testers)

    pilots.start_pilot(officer, pilot)
    with pytest.raises(NotAllowed):
        pilots.leave_feedback(outsider, pilot, "I was not drawn")
    pilots.leave_feedback(testers[0], pilot, "The 01:00 bus was late.")
    with pytest.raises(Conflict):
        pilots.end_pilot(officer, pilot)  # it runs its five weeks
    clock.move(timedelta(weeks=5))
    pilots.end_pilot(officer, pilot)
    db.session.commit()
    _evaluate_all(pilot, testers[:2])
    with pytest.raises(Conflict):
        _evaluate_all(pilot, testers[:1])  # once per tester
    db.session.rollback()
    with pytest.raises(InvalidInput):
        pilots.answer_evaluation(testers[2], pilot, {pilot.criteria[0].id: ("met", None)})
    summary = pilots.evaluation_summary(pilot)
    assert [row["met"] for row in summary] == [2, 2]

    reasons = {c.id: (True, "") for c in pilot.criteria}
    with pytest.raises(InvalidInput):
        pilots.decide(officer, pilot, "go", "", reasons)  # a reason for every criterion
    reasons = {c.id: (True, "Most testers agreed.") for c in pilot.criteria}
    pilots.decide(officer, pilot, "go", "Worth it.", reasons)
    today = clock.local(clock.now()).date()
    with pytest.raises(InvalidInput):
        pilots.plan_rollout(officer, pilot, today - timedelta(days=1), "")
    pilots.plan_rollout(officer, pilot, today + timedelta(days=30), "From June")
    pilots.complete_rollout(officer, pilot)
    db.session.commit()
    assert pilot.status == PilotStatus.ROLLED_OUT
    assert pilots.rollout_of(pilot).done_at == clock.now()
    assert db.session.scalar(select(func.count()).select_from(Feedback)) == 1
    assert db.session.scalar(select(func.count()).select_from(EvaluationAnswer)) == 4
    for action in ("pilot.testers_drawn", "pilot.started", "pilot.ended", "pilot.decided"):
        assert audit_count(action) == 1, action
    assert audit_count("pilot.rolled_out") == 1


def test_no_go_ends_without_rollout(
    officer: User, proposal: Proposal, residents: Callable[..., list[User]]
) -> None:
    pilot = _recruiting(officer, proposal, testers=2)
    for user in residents(2):
        pilots.volunteer(user, pilot)
    pilots.prepare_tester_draw(officer, pilot)
    pilots.publish_tester_draw(officer, pilot)
    pilots.draw_testers(officer, pilot, "seed")
    pilots.start_pilot(officer, pilot)
    clock.move(timedelta(weeks=6))
    pilots.end_pilot(officer, pilot)
    reasons = {c.id: (False, "Too few riders.") for c in pilot.criteria}
    pilots.decide(officer, pilot, "no_go", "", reasons)
    with pytest.raises(Conflict):
        pilots.plan_rollout(officer, pilot, date(2027, 1, 1), "")
    assert pilot.status == PilotStatus.DECIDED


def _linked(user: User, register_id: str) -> None:
    _row, code = verification.issue_code(
        person(register_id).id, CodePurpose.CLERK, expires_at=clock.now() + timedelta(days=9)
    )
    verification.redeem(user, code)
    db.session.commit()


def test_stratified_draw_uses_register_features_and_explains_infeasible_quotas(
    officer: User, proposal: Proposal, residents: Callable[..., list[User]]
) -> None:
    rows = [(f"R{i}", f"H{i}", 1970 + i, "vm"[i % 2], "Noord" if i < 4 else "Zuid", "hbo")
            for i in range(8)]  # fmt: skip
    load_register(rows)
    users = residents(9)
    for i, user in enumerate(users[:8]):
        _linked(user, f"R{i}")
    pilot = _recruiting(officer, proposal, testers=4)
    for user in users:
        pilots.volunteer(user, pilot)
    pilots.set_quotas(officer, pilot, "feature,value,min,max\narea,Noord,3,4\narea,Zuid,3,4")
    db.session.commit()
    result = pilots.prepare_tester_draw(officer, pilot)
    assert isinstance(result, sortition.InfeasibleQuotas)
    assert result.relaxation
    db.session.rollback()
    pilots.set_quotas(
        officer, pilot, "area,Noord,2,2\narea,Zuid,2,2\ngender,female,2,2\ngender,male,2,2"
    )
    draw = pilots.prepare_tester_draw(officer, pilot)
    assert isinstance(draw, Draw) and draw.algorithm.value == "leximin"
    features = {p["id"]: p["features"] for p in draw.pool}
    assert sorted(f["area"] for f in features.values()) == ["Noord"] * 4 + ["Zuid"] * 4 + [
        "unknown"
    ]
    # The unlinked volunteer gets an open quota for 'unknown', so the engine accepts the pool.
    assert {"feature": "area", "value": "unknown", "min": 0, "max": 4} in draw.quotas
    record = json.loads(draw.record)
    assert abs(sum(record["probabilities"].values()) - 4) < 1e-6
    pilots.publish_tester_draw(officer, pilot)
    pilots.draw_testers(officer, pilot, "beacon 4711")
    chosen = [features[pid] for pid in draw.selected]
    assert sorted(f["area"] for f in chosen) == ["Noord", "Noord", "Zuid", "Zuid"]
    assert sorted(f["gender"] for f in chosen) == ["female", "female", "male", "male"]


def test_bad_quota_lines_name_the_line(officer: User, proposal: Proposal) -> None:
    pilot = _recruiting(officer, proposal)
    for text in ("area,Noord,2", "income,high,0,1", "area,Noord,2,1", "area,N,0,1\narea,N,0,1"):
        with pytest.raises(InvalidInput) as caught:
            pilots.set_quotas(officer, pilot, text)
        assert "Line" in str(caught.value.message)


def test_age_band() -> None:
    assert pilots.age_band(2000, 2026) == "16-29"
    assert pilots.age_band(1990, 2026) == "30-44"
    assert pilots.age_band(1970, 2026) == "45-64"
    assert pilots.age_band(1950, 2026) == "65+"
    assert pilots.age_band(2020, 2026) == "unknown"
