"""Invitation waves: who is eligible, one per household, reproducible draws, letters, e-mail."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import func, select

from civic import clock
from civic.accounts.models import Role
from civic.errors import InvalidInput
from civic.extensions import db
from civic.mail.models import OutboxMessage
from panels import verification, waves
from panels.models import (
    InvitationStatus,
    LetterCode,
    MembershipStatus,
    PanelMembership,
    PanelStatus,
    RegisterStatus,
)
from sortition import hash_order
from tests.panels.panel_support import (
    START,
    adults,
    all_audit_text,
    audit_rows,
    code_of,
    invitations,
    load_register,
    make_panel,
    person,
    start_clock,
    wave,
)
from tests.support import csrf_token


@pytest.fixture(autouse=True)
def english(app: Flask, client: FlaskClient) -> Iterator[None]:
    start_clock()
    app.config["BABEL_DEFAULT_LOCALE"] = "en"  # pages in English for the assertions
    with force_locale("en"):
        yield


@pytest.fixture()
def admin(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.ADMIN)


@pytest.fixture()
def panel(admin: Any, make_agency: Callable[..., Any]) -> Any:
    return make_panel(admin, make_agency("Burgerzaken"), rest_months=24)


def invited_ids(w: Any) -> set[str]:
    keys = {i.person.register_key for i in invitations(w)}
    return {rid for rid in ALL_IDS if person(rid).register_key in keys}


ALL_IDS: list[str] = []


def special_register(panel_id: int) -> None:
    rows = adults(10)
    rows += [
        ("M1", "HM1", 2010, "v", "Area 0", "mbo"),  # minor
        ("B1", "HB1", 2008, "m", "Area 0", "mbo"),  # turns 18 in 2026: maybe still 17
        ("B2", "HB2", 2007, "v", "Area 1", "mbo"),  # 19 in 2026: adult all year
        ("S1", "HS", 1970, "m", "Area 1", "hbo"),  # three people, one household
        ("S2", "HS", 1972, "v", "Area 1", "hbo"),
        ("S3", "HS", 2000, "v", "Area 1", "hbo"),
        ("X1", "HX1", 1980, "m", "Area 0", "mbo"),
    ]
    load_register(rows)
    ALL_IDS[:] = [r[0] for r in rows]
    person("X1").status = RegisterStatus.MOVED_AWAY
    db.session.add(
        PanelMembership(
            panel_id=panel_id,
            person_id=person("A1").id,
            status=MembershipStatus.SERVING,
            started_on=date(2025, 9, 1),
        )
    )
    db.session.commit()


def test_wave_invites_only_eligible_adults_one_per_household(admin: Any, panel: Any) -> None:
    special_register(panel.id)
    w = wave(admin, panel, 100)
    got = invited_ids(w)
    expected = {f"A{i}" for i in range(2, 11)} | {"B2"}
    assert got - {"S1", "S2", "S3"} == expected
    assert len(got & {"S1", "S2", "S3"}) == 1
    assert w.eligible_count == 13  # A2..A10, B2, S1..S3 are eligible; one S is drawn
    assert panel.status == PanelStatus.RECRUITING
    # everybody just invited rests: a second wave finds only the other two S's, takes one
    again = wave(admin, panel, 100, seed="another seed")
    assert again.eligible_count == 2
    assert len(invited_ids(again)) == 1 and not invited_ids(again) & got


def test_rest_period_ends(admin: Any, make_agency: Callable[..., Any]) -> None:
    load_register(adults(8))
    short = make_panel(admin, make_agency("Afval"), rest_months=6)
    first = wave(admin, short, 5)
    assert len(invitations(first)) == 5
    clock.move(timedelta(days=150))
    second = wave(admin, short, 8, reply_by=clock.local(clock.now()).date() + timedelta(days=20))
    assert len(invitations(second)) == 3  # the five first invitees still rest
    clock.move(timedelta(days=40))  # now more than 6 months after the first wave
    third = wave(admin, short, 8, reply_by=clock.local(clock.now()).date() + timedelta(days=20))
    assert {i.person_id for i in invitations(third)} == {i.person_id for i in invitations(first)}


def test_wave_is_reproducible_from_its_seed(admin: Any, panel: Any) -> None:
    rows = adults(60, areas=3) + [
        (f"P{i}", f"HP{i // 3}", 1975, "m", "Area 0", "mbo") for i in range(30)
    ]
    load_register(rows)
    on = clock.local(clock.now()).date()
    pool = waves.eligible_candidates(panel, on)
    expected = waves.select_invitees("seed-7", pool, 25)
    other = waves.select_invitees("seed-8", pool, 25)
    assert [c.key for c in expected] != [c.key for c in other]
    w = wave(admin, panel, 25, seed="seed-7")
    assert [i.person_id for i in invitations(w)] == [c.person_id for c in expected]
    assert w.pool_sha256 == waves.pool_digest(pool) and w.eligible_count == len(pool)
    households = [i.person.household_key for i in invitations(w)]
    assert len(households) == len(set(households)) == 25
    drawn = audit_rows("wave.drawn")
    assert len(drawn) == 1 and drawn[0].actor_id == admin.id
    after = json.loads(drawn[0].after or "{}")
    assert after["seed"] == "seed-7" and after["invited"] == 25
    assert after["pool_sha256"] == w.pool_sha256


def test_wave_is_the_hash_ticket_order(admin: Any, make_agency: Callable[..., Any]) -> None:
    """Checked with the sortition engine alone: one area, one person per household."""
    load_register(adults(30, areas=1))
    panel = make_panel(admin, make_agency("Wonen"))
    w = wave(admin, panel, 9, seed="Lotto 2026-03-01: 4 12 19 23 31 40")
    pool = [person(f"A{i}").register_key for i in range(1, 31)]
    expected = hash_order("Lotto 2026-03-01: 4 12 19 23 31 40", pool)[:9]
    assert [i.person.register_key for i in invitations(w)] == expected


def test_oversampling_areas_that_replied_less(admin: Any, panel: Any) -> None:
    load_register(adults(200, areas=2))
    first = wave(admin, panel, 40)
    for invitation in invitations(first):
        if invitation.person.area == "Area 0":
            invitation.status = InvitationStatus.YES
        elif invitation.position % 4 == 0:
            invitation.status = InvitationStatus.NO
        else:
            invitation.status = InvitationStatus.NO_REPLY
    db.session.commit()
    second = wave(admin, panel, 40, seed="second", oversample=True)
    factors = json.loads(second.area_factors)
    assert set(factors) == {"Area 1"} and factors["Area 1"] > 1
    areas = [i.person.area for i in invitations(second)]
    assert areas.count("Area 1") > areas.count("Area 0")


def test_bad_wave_requests(admin: Any, panel: Any) -> None:
    load_register(adults(3))
    today = clock.local(clock.now()).date()
    for seed, size, reply_by, field in (
        ("  ", 5, today + timedelta(days=10), "seed"),
        ("a\x00b", 5, today + timedelta(days=10), "seed"),
        ("s", 0, today + timedelta(days=10), "size"),
        ("s", 5, today, "reply_by"),
    ):
        with pytest.raises(InvalidInput) as caught:
            waves.draw_wave(admin, panel, waves.WaveRequest(seed, size, reply_by))
        assert caught.value.details["field"] == field
        db.session.rollback()


def test_letters_page_one_letter_per_invitation(
    app: Flask, admin: Any, panel: Any, make_user: Callable[..., Any], login: Any
) -> None:
    load_register(adults(12))
    w = wave(admin, panel, 7)
    client = app.test_client()
    login(client, make_user(Role.CLERK))
    page = client.get(f"/panels/waves/{w.id}/letters").get_data(as_text=True)
    assert page.count('<article class="letter"') == 7
    for invitation in invitations(w):
        assert page.count(code_of(invitation)) == 1
    assert "http://127.0.0.1:5000/reply" in page and "Freepost 1000" in page
    assert "css/letters.css" in page
    codes_stored = db.session.scalars(select(LetterCode.code_hash)).all()
    assert len(codes_stored) == 7
    resident = app.test_client()
    login(resident, make_user(Role.RESIDENT))
    assert resident.get(f"/panels/waves/{w.id}/letters").status_code == 403
    assert app.test_client().get(f"/panels/waves/{w.id}/letters").status_code == 302
    text = all_audit_text()
    assert not any(code_of(i) in text for i in invitations(w))


def test_invitation_mail_for_verified_residents(
    admin: Any, panel: Any, make_user: Callable[..., Any]
) -> None:
    load_register(adults(4))
    resident = make_user(Role.RESIDENT, email="anna@example.org")
    clerk = make_user(Role.CLERK)
    _row, code = verification.clerk_issue_code(clerk, "A3")
    db.session.commit()
    verification.redeem(resident, code)
    db.session.commit()
    w = wave(admin, panel, 4)
    mails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "panels.invitation")
    ).all()
    assert [m.to_address for m in mails] == ["anna@example.org"]
    mine = next(i for i in invitations(w) if i.person_id == person("A3").id)
    assert code_of(mine) in mails[0].body_text and mine.emailed_at == START
    assert "/reply" in mails[0].body_text


def test_admin_pages_create_panel_quota_and_wave(
    app: Flask, admin: Any, make_agency: Callable[..., Any], login: Any
) -> None:
    agency = make_agency("Zorg")
    load_register(adults(10))
    client = app.test_client()
    login(client, admin)
    token = csrf_token(client, "/panels/manage/new")
    form = {
        "csrf_token": token,
        "topic_kind": "service",
        "title": "Home care",
        "description": "",
        "agency_id": agency.id,
        "size": 12,
        "term_months": 12,
        "rotation_months": 24,
        "rotation_percent": 50,
        "rest_months": 12,
        "status": "draft",
    }
    response = client.post("/panels/manage/new", data=form)
    assert response.status_code == 422
    assert "between 0 and the term" in response.get_data(as_text=True)
    response = client.post("/panels/manage/new", data={**form, "rotation_months": 6})
    assert response.status_code == 302
    url = response.headers["Location"]
    quota = {"csrf_token": token, "feature": "gender", "value": "female", "kind": "count"}
    response = client.post(f"{url}/quotas", data={**quota, "min_count": 7, "max_count": 5})
    assert response.status_code == 422 and "must not exceed" in response.get_data(as_text=True)
    assert (
        client.post(f"{url}/quotas", data={**quota, "min_count": 5, "max_count": 7}).status_code
        == 302
    )
    share = {
        **quota,
        "value": "male",
        "kind": "share",
        "share_percent": "49.5",
        "tolerance_percent": "5",
    }
    assert client.post(f"{url}/quotas", data=share).status_code == 302
    assert client.post(f"{url}/quotas", data=share).status_code == 422  # duplicate value
    deadline = (START.date() + timedelta(days=21)).isoformat()
    wave_form = {"csrf_token": token, "seed": "Lotto 1-3-2026", "size": 6, "reply_by": deadline}
    response = client.post(f"{url}/waves", data=wave_form)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lotto 1-3-2026" in page and "Print letters" in page
    detail = client.get(url).get_data(as_text=True)
    assert "5 to 7 seats" in detail and "49.500% of the population" in detail
    assert [e.action for e in audit_rows("panel.quota_added")] == ["panel.quota_added"] * 2
    edit = client.get(f"{url}/edit").get_data(as_text=True)
    assert 'value="Home care"' in edit
    response = client.post(f"{url}/edit", data={**form, "rotation_months": 6, "title": "Care"})
    assert response.status_code == 302 and len(audit_rows("panel.updated")) == 1
    clerk_page = client.get("/panels/manage")
    assert clerk_page.status_code == 200 and "Care" in clerk_page.get_data(as_text=True)


def test_only_admins_manage_panels(app: Flask, make_user: Callable[..., Any], login: Any) -> None:
    client = app.test_client()
    login(client, make_user(Role.CLERK))
    assert client.get("/panels/manage").status_code == 403
    assert client.get("/panels/manage/new").status_code == 403
    count = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    assert count == 0
