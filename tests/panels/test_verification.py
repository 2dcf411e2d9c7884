"""Resident verification with letter codes: clerk-issued codes, redeeming, uniqueness, limits."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import event, func, select

from civic import clock
from civic.accounts.models import Role, User
from civic.extensions import db
from panels import verification
from panels.models import LetterCode, RegisterStatus, ResidentLink
from panels.verification import CodeRejected
from tests.panels.panel_support import (
    adults,
    all_audit_text,
    audit_rows,
    load_register,
    person,
    start_clock,
)
from tests.support import csrf_token

CODE_RE = re.compile(r'class="letter__code">([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})<')


@pytest.fixture(autouse=True)
def register(app: Flask, client: FlaskClient) -> Iterator[None]:
    """A small register; `client` makes every test client an isolated one."""
    start_clock()
    app.config["BABEL_DEFAULT_LOCALE"] = "en"  # pages in English for the assertions
    load_register(adults(6))
    with force_locale("en"):
        yield


def issue(client: FlaskClient, register_id: str) -> tuple[int, str]:
    token = csrf_token(client, "/panels/clerk")
    response = client.post(
        "/panels/clerk/codes", data={"csrf_token": token, "register_id": register_id}
    )
    page = response.get_data(as_text=True)
    match = CODE_RE.search(page)
    return response.status_code, match.group(1) if match else page


def redeem(client: FlaskClient, code: str) -> tuple[int, str]:
    token = csrf_token(client, "/panels/verify")
    response = client.post("/panels/verify", data={"csrf_token": token, "code": code})
    return response.status_code, response.get_data(as_text=True)


@pytest.fixture()
def clerk_client(app: Flask, make_user: Callable[..., Any], login: Any) -> FlaskClient:
    client = app.test_client()
    login(client, make_user(Role.CLERK))
    return client


def resident_client(app: Flask, make_user: Callable[..., Any], login: Any) -> tuple[Any, User]:
    client = app.test_client()
    user = make_user(Role.RESIDENT)
    login(client, user)
    return client, user


def test_clerk_code_verifies_an_account_once(
    app: Flask, clerk_client: FlaskClient, make_user: Callable[..., Any], login: Any
) -> None:
    status, code = issue(clerk_client, "A1")
    assert status == 200, code
    client, user = resident_client(app, make_user, login)
    status, _page = redeem(client, code.lower().replace("-", " "))
    assert status == 302
    db.session.expire_all()
    link = db.session.scalar(select(ResidentLink).where(ResidentLink.user_id == user.id))
    assert link is not None and link.person_id == person("A1").id
    assert db.session.get(User, user.id).verified_at == clock.now()
    assert "verified as a resident since" in client.get("/panels/verify").get_data(as_text=True)
    # the same code for another account: already used
    other, _user = resident_client(app, make_user, login)
    status, page = redeem(other, code)
    assert status == 422 and "already been used" in page
    # a second code for the same person: one account per person
    _s, second = issue(clerk_client, "A1")
    status, page = redeem(other, second)
    assert status == 422 and "already linked to another account" in page
    assert len(audit_rows("resident.verified")) == 1
    issued = audit_rows("letter_code.issued")
    assert len(issued) == 2 and {e.actor_label for e in issued} == {"user:1"}
    text = all_audit_text()
    assert code not in text and code.replace("-", "") not in text and "A1" not in text


def test_one_person_per_account(app: Flask, make_user: Callable[..., Any]) -> None:
    user = make_user(Role.RESIDENT)
    clerk = make_user(Role.CLERK)
    _row, first = verification.clerk_issue_code(clerk, "A2")
    _row, second = verification.clerk_issue_code(clerk, "A3")
    db.session.commit()
    verification.redeem(user, first)
    db.session.commit()
    with pytest.raises(CodeRejected, match="already verified"):
        verification.redeem(user, second)
    db.session.rollback()
    links = db.session.scalar(select(func.count()).select_from(ResidentLink))
    assert links == 1


def test_expired_unknown_and_malformed_codes(
    app: Flask, clerk_client: FlaskClient, make_user: Callable[..., Any], login: Any
) -> None:
    _s, code = issue(clerk_client, "A4")
    client, user = resident_client(app, make_user, login)
    status, page = redeem(client, "ABCD-EFGH-JKL")
    assert status == 422 and "not a valid code" in page
    status, page = redeem(client, "ABCD-EFGH-JKLM")
    assert status == 422 and "do not know this code" in page
    clock.move(timedelta(days=verification.DEFAULT_VALID_DAYS, seconds=1))
    login(client, user)  # the old session expired with the moved clock
    status, page = redeem(client, code)
    assert status == 422 and "has expired" in page
    assert db.session.get(User, user.id).verified_at is None


def test_wrong_codes_are_throttled_per_user(
    app: Flask, clerk_client: FlaskClient, make_user: Callable[..., Any], login: Any
) -> None:
    _s, code = issue(clerk_client, "A5")
    client, user = resident_client(app, make_user, login)
    for _ in range(verification.VERIFY_LIMIT):
        assert redeem(client, "ZZZZ-ZZZZ-ZZZZ")[0] == 422
    status, page = redeem(client, code)
    assert status == 429 and "Too many wrong codes" in page
    other, _other_user = resident_client(app, make_user, login)
    assert redeem(other, "ZZZZ-ZZZZ-ZZZZ")[0] == 422  # another user is not blocked
    clock.move(timedelta(hours=1, seconds=1))
    login(client, user)
    assert redeem(client, code)[0] == 302


def test_clerk_codes_only_for_active_people_and_by_clerks(
    app: Flask, clerk_client: FlaskClient, make_user: Callable[..., Any], login: Any
) -> None:
    person("A6").status = RegisterStatus.MOVED_AWAY
    db.session.commit()
    status, page = issue(clerk_client, "A6")
    assert status == 422 and "not an active resident" in page
    status, page = issue(clerk_client, "NOBODY")
    assert status == 422 and "Nobody in the register has this id" in page
    assert db.session.scalar(select(func.count()).select_from(LetterCode)) == 0
    client, _user = resident_client(app, make_user, login)
    assert client.get("/panels/clerk").status_code == 403
    assert app.test_client().get("/panels/verify").status_code == 302
    response = client.post("/panels/clerk/codes", data={"register_id": "A1"})
    assert response.status_code in (400, 403)


def test_two_accounts_racing_for_one_person(app: Flask, make_user: Callable[..., Any]) -> None:
    """Two codes of one person redeemed at once by two accounts: exactly one link."""
    clerk = make_user(Role.CLERK)
    users = [make_user(Role.RESIDENT), make_user(Role.RESIDENT)]
    issued = [verification.clerk_issue_code(clerk, "A1")[1] for _ in users]
    db.session.commit()
    user_ids = [u.id for u in users]
    barrier = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []

    def meet(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("UPDATE letter_code SET redeemed_at"):
            barrier.wait()  # both passed every check; now both write

    def redeem_as(index: int) -> None:
        with app.app_context(), force_locale("en"):
            try:
                user = db.session.get(User, user_ids[index])
                verification.redeem(user, issued[index])
                db.session.commit()
                outcomes.append("verified")
            except CodeRejected as error:
                db.session.rollback()
                outcomes.append(str(error.message))

    event.listen(db.engine, "before_cursor_execute", meet)
    try:
        threads = [threading.Thread(target=redeem_as, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        event.remove(db.engine, "before_cursor_execute", meet)
    assert sorted(outcomes) == [
        "This resident is already linked to another account.",
        "verified",
    ]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ResidentLink)) == 1
    assert sum(db.session.get(User, i).verified_at is not None for i in user_ids) == 1
    assert len(audit_rows("resident.verified")) == 1
