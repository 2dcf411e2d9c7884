"""The panel draw (feasibility, probabilities, record, seed, reserves), membership payments,
and the panel's work: meetings, journey map, recommendations voted by members only, one
proposal in the agency's inbox, and the public page with counts only."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import func, select

import sortition
from civic.accounts.models import Role
from civic.draws import services as draw_services
from civic.draws.models import Draw
from civic.errors import Conflict, InvalidInput, NotAllowed
from civic.extensions import db
from panels import draws, membership, work
from panels.models import PanelPayment, PaymentKind, RecommendationStatus, RegisterPerson
from proposals.models import OriginType, Proposal
from tests.panels.draw_support import (
    count_quota,
    link_account,
    quotas_hold,
    say_yes,
    seat_panel,
    serving,
    share_quota,
)
from tests.panels.panel_support import (
    adults,
    invitations,
    load_register,
    make_panel,
    start_clock,
    wave,
)
from voting.services import NotInElectorate


@pytest.fixture()
def setting(app: Flask, make_user: Callable[..., Any], make_agency: Callable[..., Any]) -> Any:
    start_clock()
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    load_register(adults(30))
    admin = make_user(Role.ADMIN)
    panel = make_panel(admin, make_agency("Burgerzaken"), size=6, rest_months=24)
    count_quota(admin, panel, "gender", "female", 3, 3)
    share_quota(admin, panel, "gender", "male", "50", "0")
    db.session.commit()
    for n, invitation in enumerate(invitations(wave(admin, panel, 20))):
        if n < 14:
            say_yes(invitation, ["primary", "higher"][n % 2])
    db.session.commit()
    with force_locale("en"):
        yield admin, panel


def test_draw_is_fair_verifiable_and_leaves_an_ordered_reserve(
    setting: Any, tmp_path: Path
) -> None:
    admin, panel = setting
    prepared = draws.prepare_panel_draw(admin, panel)
    assert isinstance(prepared, Draw)
    probabilities = dict(draw_services.probabilities(prepared))
    assert len(probabilities) == 14 and abs(sum(probabilities.values()) - 6) < 1e-6
    assert "register_key" not in prepared.record and all(p.startswith("V") for p in probabilities)
    draws.publish_panel_draw(admin, panel)
    seated = draws.seed_panel_draw(admin, panel, "lotto 2026-03-07 1 2 3")
    db.session.commit()
    assert len(seated) == 6 and quotas_hold(panel)
    draw = draws.current_draw(panel)
    assert sorted(m.pseudonym for m in serving(panel)) == sorted(draw.selected)
    assert [v.pseudonym for v in draws.reserve_list(panel, seated[0].started_on)] == draw.reserve
    files = {
        f"draw-{draw.id}.json": draw_services.result_json(draw),
        f"draw-{draw.id}-features.csv": draw_services.features_csv(draw),
        f"draw-{draw.id}-people.csv": draw_services.people_csv(draw),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    args = ["verify", "--report", f"draw-{draw.id}.json", "--seed", draw.seed, "--features",
            f"draw-{draw.id}-features.csv", "--people", f"draw-{draw.id}-people.csv"]  # fmt: skip
    if draw.household_column:
        args += ["--household-columns", "household"]
    done = subprocess.run(
        [sys.executable, "-m", "sortition", *args], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.split()) == sorted(draw.selected)


def test_infeasible_quotas_are_explained_with_a_relaxation(setting: Any) -> None:
    admin, panel = setting
    count_quota(admin, panel, "education", "higher", 6, 6)
    result = draws.prepare_panel_draw(admin, panel)
    assert isinstance(result, sortition.InfeasibleQuotas)
    assert result.relaxation and result.conflicts
    assert db.session.scalar(select(func.count()).select_from(Draw)) == 0


def test_too_few_volunteers_and_published_draw_are_refused(setting: Any) -> None:
    admin, panel = setting
    panel.size = 20
    with pytest.raises(InvalidInput):
        draws.prepare_panel_draw(admin, panel)
    panel.size = 6
    draws.prepare_panel_draw(admin, panel)
    draws.publish_panel_draw(admin, panel)
    with pytest.raises(Conflict):
        draws.prepare_panel_draw(admin, panel)


def test_meeting_attendance_stipends_expenses(setting: Any) -> None:
    admin, panel = setting
    seat_panel(admin, panel)
    members = serving(panel)
    meeting = work.create_meeting(
        admin,
        panel,
        work.MeetingData(datetime(2026, 4, 1, 17, tzinfo=UTC), "Stadhuis", "", "1. Kennismaken"),
    )
    with pytest.raises(InvalidInput):
        work.create_meeting(
            admin, panel, work.MeetingData(datetime(2026, 4, 1, tzinfo=UTC), "", "http://x", "a")
        )
    assert work.record_attendance(admin, meeting, {members[0].id, members[1].id}) == 2
    with pytest.raises(Conflict):
        work.record_attendance(admin, meeting, set())
    data = membership.ExpenseData(members[0].id, meeting.id, "12,50", "Bus")
    membership.add_expense(admin, panel, data)
    with pytest.raises(InvalidInput):  # absent members claim no expenses
        membership.add_expense(
            admin, panel, membership.ExpenseData(members[2].id, meeting.id, "5", "Taxi")
        )
    db.session.commit()
    totals = membership.payment_totals(panel)
    assert totals[members[0].id] == (Decimal("50.00"), Decimal("12.50"))
    stipends = db.session.scalar(
        select(func.count()).where(PanelPayment.kind == PaymentKind.STIPEND)
    )
    assert stipends == 2


def test_journey_recommendation_vote_and_one_proposal(
    setting: Any, make_user: Callable[..., Any], client: FlaskClient, login: Any
) -> None:
    admin, panel = setting
    seat_panel(admin, panel)
    members = serving(panel)
    users = [make_user(Role.RESIDENT) for _m in members]
    for user, member in zip(users, members, strict=True):
        link_account(user, member)
    outsider = make_user(Role.RESIDENT, verified=True)
    step = work.add_step(admin, panel, "Report the move", "")
    work.add_step(admin, panel, "Get a parking permit", "")
    for n, user in enumerate(users):
        work.rate_step(user, panel, step.id, 1 + n % 3, "Form too long" if n == 0 else "")
    with pytest.raises(NotAllowed):
        work.rate_step(outsider, panel, step.id, 5, "")
    summary = work.journey_map(panel)[0]
    assert summary.ratings == 6 and summary.average == 2.0 and summary.band == "poor"
    rec = work.draft(users[0], panel, "One form", "Merge the two forms.", step.id)
    work.comment(users[1], rec, "Agreed")
    work.open_vote(admin, rec)
    for user, choice in zip(users, ["yes", "yes", "yes", "no", "abstain", "yes"], strict=True):
        work.cast(user, rec, choice)
    with pytest.raises(NotInElectorate):
        work.cast(outsider, rec, "yes")
    work.close_vote(admin, rec)
    assert rec.status == RecommendationStatus.ADOPTED
    second = work.draft(users[1], panel, "Rejected idea", "Nope.", None)
    work.open_vote(admin, second)
    work.cast(users[0], second, "no")
    work.close_vote(admin, second)
    assert second.status == RecommendationStatus.REJECTED
    submission = work.submit_adopted(admin, panel)
    db.session.commit()
    proposals = db.session.scalars(select(Proposal)).all()
    assert len(proposals) == 1 and proposals[0].origin_type == OriginType.PANEL
    assert (
        proposals[0].origin_id == submission.id and "Merge the two forms." in proposals[0].summary
    )
    with pytest.raises(Conflict):
        work.submit_adopted(admin, panel)

    page = client.get(f"/panels/{panel.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "One form" in html and "Report the move" in html and "Rejected idea" in html
    keys = db.session.scalars(select(RegisterPerson.register_key)).all()
    assert not any(k in html for k in keys)
    assert client.get(f"/panels/{panel.id}/work").status_code in (302, 401)
    login(client, users[2])
    assert client.get(f"/panels/{panel.id}/work").status_code == 200
    login(client, outsider)
    assert client.get(f"/panels/{panel.id}/work").status_code == 403


def test_staff_pages_render(setting: Any, client: FlaskClient, login: Any) -> None:
    admin, panel = setting
    login(client, admin)
    assert client.get(f"/panels/manage/{panel.id}/draw").status_code == 200
    seat_panel(admin, panel)
    for path in ("draw", "members", "work"):
        assert client.get(f"/panels/manage/{panel.id}/{path}").status_code == 200, path
    assert client.get("/panels/").status_code == 200
