"""Replies by code (yes, no, defer once, excused), by clerks, reminders and no-reply sweeps."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import event, select

from civic import clock
from civic.accounts.models import Role
from civic.extensions import db
from civic.mail.models import OutboxMessage
from panels import jobs, verification
from panels.models import Deferral, Invitation, InvitationStatus, Reply, ReplyChannel
from panels.verification import REPLY_LIMIT
from tests.panels.panel_support import (
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

YES = {"answer": "yes", "q_education": "vocational", "q_digital_skills": "good"}


@pytest.fixture(autouse=True)
def setting(app: Flask, client: FlaskClient) -> Iterator[None]:
    start_clock()
    app.config["BABEL_DEFAULT_LOCALE"] = "en"  # pages in English for the assertions
    load_register(adults(12))
    with force_locale("en"):
        yield


@pytest.fixture()
def admin(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.ADMIN)


@pytest.fixture()
def drawn(admin: Any, make_agency: Callable[..., Any]) -> list[Invitation]:
    panel = make_panel(admin, make_agency("Burgerzaken"), rest_months=3)
    return invitations(wave(admin, panel, 6))


def enter_code(client: FlaskClient, code: str) -> tuple[int, str]:
    token = csrf_token(client, "/reply")
    response = client.post("/reply", data={"csrf_token": token, "code": code})
    return response.status_code, response.get_data(as_text=True)


def reply(client: FlaskClient, code: str, **fields: str) -> tuple[int, str]:
    status, page = enter_code(client, code)
    assert status == 302, page
    token = csrf_token(client, "/reply/answer")
    response = client.post("/reply/answer", data={"csrf_token": token, **fields})
    return response.status_code, response.get_data(as_text=True)


def fresh(invitation: Invitation) -> Invitation:
    db.session.expire_all()
    found = db.session.get(Invitation, invitation.id)
    assert found is not None
    return found


def test_yes_with_the_stratification_answers(app: Flask, drawn: list[Invitation]) -> None:
    client = app.test_client()
    status, page = reply(client, code_of(drawn[0]), answer="yes")
    assert status == 422 and "Please answer every question" in page
    status, _page = reply(
        client, code_of(drawn[0]), **YES, availability="Evenings", access_needs="Step-free"
    )
    assert status == 302
    invitation = fresh(drawn[0])
    assert invitation.status == InvitationStatus.YES
    stored = db.session.scalar(select(Reply).where(Reply.invitation_id == invitation.id))
    assert stored is not None and stored.channel == ReplyChannel.WEB
    assert json.loads(stored.answers) == {"education": "vocational", "digital_skills": "good"}
    assert (stored.availability, stored.access_needs) == ("Evenings", "Step-free")
    entry = audit_rows("invitation.replied")[-1]
    assert entry.actor_label == "invitee" and json.loads(entry.after or "{}")["channel"] == "web"
    # the same code again: already answered, nothing changes
    status, page = reply(client, code_of(drawn[0]), answer="no")
    assert status == 302
    assert "already been answered" in client.get("/reply/answer").get_data(as_text=True)
    assert fresh(drawn[0]).status == InvitationStatus.YES
    assert code_of(drawn[0]) not in all_audit_text()


def test_no_and_excused(app: Flask, drawn: list[Invitation]) -> None:
    client = app.test_client()
    assert reply(client, code_of(drawn[1]), answer="no")[0] == 302
    assert fresh(drawn[1]).status == InvitationStatus.NO
    status, page = reply(client, code_of(drawn[2]), answer="excused")
    assert status == 422 and "Choose the reason" in page
    status, page = reply(client, code_of(drawn[2]), answer="excused", reason="other")
    assert status == 422 and "describe the reason" in page
    fields = {"answer": "excused", "reason": "other", "reason_text": "Abroad for a year"}
    assert reply(client, code_of(drawn[2]), **fields)[0] == 302
    stored = db.session.scalar(select(Reply).where(Reply.invitation_id == drawn[2].id))
    assert stored is not None and stored.excuse_text == "Abroad for a year"
    after = json.loads(audit_rows("invitation.replied")[-1].after or "{}")
    assert after == {"status": "excused", "channel": "web", "reason": "other"}


def test_defer_once_to_a_later_wave(app: Flask, admin: Any, drawn: list[Invitation]) -> None:
    client = app.test_client()
    first = drawn[3]
    status, page = reply(client, code_of(first), answer="deferred", defer_to="2028-01-01")
    assert status == 422 and "within 12 months" in page
    assert reply(client, code_of(first), answer="deferred", defer_to="2026-06-01")[0] == 302
    deferral = db.session.scalar(select(Deferral).where(Deferral.invitation_id == first.id))
    assert deferral is not None and deferral.until.isoformat() == "2027-03-02"
    # a wave before June does not place the deferral
    panel = first.wave.panel
    clock.move(timedelta(days=40))
    early = wave(
        admin, panel, 2, seed="april", reply_by=clock.local(clock.now()).date() + timedelta(days=20)
    )
    assert first.person_id not in {i.person_id for i in invitations(early)}
    clock.move(timedelta(days=60))  # June: the deferred person comes back, first in line
    later = wave(
        admin, panel, 2, seed="june", reply_by=clock.local(clock.now()).date() + timedelta(days=20)
    )
    again = invitations(later)[0]
    assert again.person_id == first.person_id and again.deferred_from_id == first.id
    db.session.refresh(deferral)
    assert deferral.placed_invitation_id == again.id
    # the second invitation cannot be deferred again
    status, _page = enter_code(client, code_of(again))
    page = client.get("/reply/answer").get_data(as_text=True)
    assert 'value="deferred"' not in page
    token = csrf_token(client, "/reply/answer")
    response = client.post(
        "/reply/answer", data={"csrf_token": token, "answer": "deferred", "defer_to": "2026-09-01"}
    )
    assert response.status_code == 422
    assert fresh(again).status == InvitationStatus.PENDING


def test_wrong_reply_codes_are_throttled_per_address(app: Flask, drawn: list[Invitation]) -> None:
    client = app.test_client()
    status, page = enter_code(client, "ZZZZ-ZZZZ-ZZZZ")
    assert status == 422 and "do not know this code" in page
    for _ in range(REPLY_LIMIT - 1):
        enter_code(client, "ZZZZ-ZZZZ-ZZZZ")
    status, page = enter_code(client, code_of(drawn[0]))
    assert status == 429 and "Too many wrong codes" in page
    assert app.test_client().get("/reply/answer").status_code == 302


def test_clerk_records_a_phone_reply(
    app: Flask, drawn: list[Invitation], make_user: Callable[..., Any], login: Any
) -> None:
    clerk = make_user(Role.CLERK)
    client = app.test_client()
    login(client, clerk)
    target = drawn[4]
    register_id = next(
        r for r in (f"A{i}" for i in range(1, 13)) if person(r).id == target.person_id
    )
    token = csrf_token(client, "/panels/clerk")
    response = client.post(
        "/panels/clerk/lookup", data={"csrf_token": token, "register_id": register_id}
    )
    assert response.status_code == 200
    url = f"/panels/clerk/invitations/{target.id}"
    assert url in response.get_data(as_text=True)
    response = client.post(
        "/panels/clerk/lookup", data={"csrf_token": token, "code": code_of(target)}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    response = client.post(url, data={"csrf_token": token, **YES})
    assert response.status_code == 422 and "Choose how the reply came" in response.get_data(
        as_text=True
    )
    response = client.post(url, data={"csrf_token": token, **YES, "channel": "phone"})
    assert response.status_code == 302
    assert fresh(target).status == InvitationStatus.YES
    stored = db.session.scalar(select(Reply).where(Reply.invitation_id == target.id))
    assert stored is not None and stored.recorded_by_id == clerk.id
    assert stored.channel == ReplyChannel.PHONE
    entry = audit_rows("invitation.replied")[-1]
    assert entry.actor_id == clerk.id and json.loads(entry.after or "{}")["channel"] == "phone"
    text = all_audit_text()
    assert register_id not in text.split() and code_of(target) not in text
    resident = app.test_client()
    login(resident, make_user(Role.RESIDENT))
    assert resident.get(url).status_code == 403


def test_reminders_go_out_once(
    app: Flask, admin: Any, make_user: Callable[..., Any], make_agency: Callable[..., Any]
) -> None:
    clerk = make_user(Role.CLERK)
    emails = {}
    for rid in ("A1", "A2", "A3"):
        user = make_user(Role.RESIDENT, email=f"{rid.lower()}@example.org")
        _row, code = verification.clerk_issue_code(clerk, rid)
        verification.redeem(user, code)
        emails[person(rid).id] = user.email
    db.session.commit()
    panel = make_panel(admin, make_agency("Afval"))
    drawn = invitations(wave(admin, panel, 12))
    by_person = {i.person_id: i for i in drawn}
    replied = by_person[person("A3").id]
    client = app.test_client()
    assert reply(client, code_of(replied), answer="no")[0] == 302
    assert jobs.send_reminders() == 0  # three weeks before the deadline: too early
    clock.move(timedelta(days=15))  # the deadline is the end of 23 March; now 17 March
    assert jobs.send_reminders() == 2
    db.session.commit()
    assert jobs.send_reminders() == 0
    db.session.commit()
    mails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "panels.reminder")
    ).all()
    assert sorted(m.to_address for m in mails) == ["a1@example.org", "a2@example.org"]
    assert code_of(by_person[person("A1").id]) in next(
        m.body_text for m in mails if m.to_address == "a1@example.org"
    )
    assert len(audit_rows("invitation.reminded")) == 2


def test_no_reply_after_the_deadline_exactly_once(app: Flask, drawn: list[Invitation]) -> None:
    client = app.test_client()
    assert reply(client, code_of(drawn[0]), answer="no")[0] == 302
    assert jobs.close_replies() == 0
    clock.move(timedelta(days=21, hours=14))  # 23 March 23:00 UTC = 24 March 00:00 local
    assert jobs.close_replies() == 5
    db.session.commit()
    assert jobs.close_replies() == 0
    db.session.commit()
    statuses = [fresh(i).status for i in drawn]
    assert statuses == [InvitationStatus.NO] + [InvitationStatus.NO_REPLY] * 5
    closed = audit_rows("wave.replies_closed")
    assert len(closed) == 1 and json.loads(closed[0].after or "{}")["no_reply"] == 5
    status, _page = enter_code(client, code_of(drawn[1]))
    assert status == 302
    page = client.get("/reply/answer").get_data(as_text=True)
    assert "already been answered" in page


def test_deadline_is_the_end_of_the_local_day(app: Flask, drawn: list[Invitation]) -> None:
    clock.move(timedelta(days=21, hours=13, minutes=59))  # 23 March 23:59 local time
    client = app.test_client()
    assert reply(client, code_of(drawn[0]), answer="no")[0] == 302
    clock.move(timedelta(minutes=1))
    assert jobs.close_replies() == 5


def test_pages_render_in_dutch(
    app: Flask, admin: Any, drawn: list[Invitation], make_user: Callable[..., Any], login: Any
) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = "nl"
    client = app.test_client()
    assert "Vul de code uit de brief in" in client.get("/reply").get_data(as_text=True)
    assert enter_code(client, code_of(drawn[0]))[0] == 302
    page = client.get("/reply/answer").get_data(as_text=True)
    assert "Ja, ik doe graag mee" in page and "juni 2026" in page
    login(client, admin)
    wave_id = drawn[0].wave_id
    letters = client.get(f"/panels/waves/{wave_id}/letters").get_data(as_text=True)
    assert "Uw persoonlijke code:" in letters
    detail = client.get(f"/panels/manage/{drawn[0].wave.panel_id}").get_data(as_text=True)
    assert "33% van de zetels elke 6 maanden" in detail


def test_two_schedulers_close_a_wave_once(app: Flask, drawn: list[Invitation]) -> None:
    """Both sweeps find the wave due, meet at a barrier, then race for the claim."""
    clock.move(timedelta(days=30))
    barrier = threading.Barrier(2, timeout=10)
    results: list[int] = []
    errors: list[BaseException] = []

    def meet(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("UPDATE invitation_wave SET replies_closed_at"):
            barrier.wait()

    def sweep() -> None:
        try:
            with app.app_context():
                results.append(jobs.close_replies())
                db.session.commit()
        except BaseException as error:  # reported below
            errors.append(error)

    event.listen(db.engine, "before_cursor_execute", meet)
    try:
        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        event.remove(db.engine, "before_cursor_execute", meet)
    assert not errors, errors
    assert sorted(results) == [0, 6]
    assert len(audit_rows("wave.replies_closed")) == 1
