"""Downloading one's data: one JSON file with everything Civic holds about the person."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient

from civic.accounts.models import User
from civic.extensions import db
from civic.mail.services import enqueue
from civic.notifications import services as notifications
from civic.privacy import services
from proposals import ideas
from proposals.models import Idea
from tests.civic.account_support import audit_rows, post
from tests.privacy.support import clerk_code, new_resident, verify, vote

EMAIL = "ann@example.org"


def _download(client: FlaskClient) -> Any:
    return post(client, "/account/privacy/export", {}, "/account/privacy/")


def test_download_holds_account_participation_register_and_mail(
    client: FlaskClient, clerk: User, voting_idea: Idea
) -> None:
    new_resident(client, EMAIL, name="Ann de Vries")
    assert verify(client, clerk_code(clerk, "A1")).status_code == 302
    assert vote(client, voting_idea.id).status_code == 303
    user = db.session.query(User).filter_by(email=EMAIL).one()
    ideas.follow(user, voting_idea)
    ideas.report_idea(user, voting_idea, "Contains a phone number")
    notifications.notify([user.id], "idea.answered", "An idea you follow was answered")
    enqueue(to=EMAIL.upper(), subject="Hello", body_text="secret link", kind="test.hello")
    db.session.commit()

    answer = _download(client)
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=")
    assert answer.headers["Cache-Control"] == "no-store"
    data = json.loads(answer.get_data(as_text=True))
    assert data["account"]["email"] == EMAIL
    assert data["account"]["display_name"] == "Ann de Vries"
    assert [v["ballot_id"] for v in data["votes"]] == [voting_idea.ballot_id]
    assert data["votes"][0]["subject_type"] == "idea"
    assert [f["idea_id"] for f in data["follows"]] == [voting_idea.id]
    assert data["reports"][0]["reason"] == "Contains a phone number"
    assert data["notifications"][0]["title"] == "An idea you follow was answered"
    kinds = [m["kind"] for m in data["emails"]]
    assert "account.confirm" in kinds and "test.hello" in kinds
    assert all("body_text" not in m for m in data["emails"])
    resident = data["resident"]
    assert resident["register_person"][0]["birth_year"] == 1961
    assert "register_key" not in resident["register_person"][0]
    assert data["login_sessions"] and data["audit_log"]
    text = json.dumps(data)
    for secret in ("password_hash", "token_hash", "code_hash", "nonce", "secret link"):
        assert secret not in text
    (entry,) = audit_rows("privacy.exported")
    assert entry.actor_id == user.id and EMAIL not in entry.after


def test_download_needs_a_form_post(client: FlaskClient, login: Any, make_user: Any) -> None:
    login(client, make_user(email=EMAIL))
    assert client.get("/account/privacy/export").status_code == 405
    assert client.post("/account/privacy/export").status_code == 400
    assert audit_rows("privacy.exported") == []
    page = client.get("/account/privacy/")
    assert page.status_code == 200
    assert "Download my data" in page.get_data(as_text=True)


def test_every_section_is_present_for_an_unverified_account(make_user: Any) -> None:
    data = services.export_data(make_user(email=EMAIL))
    expected = {"ideas", "votes", "follows", "reports", "ratings", "pilots", "resident",
                "notifications", "notification_preference", "emails", "audit_log"}  # fmt: skip
    assert expected <= set(data)
    assert data["resident"] is None
    assert set(data["pilots"]) == {"volunteered", "drawn_as_tester", "feedback", "evaluation"}
