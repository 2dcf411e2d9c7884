"""Digest notifications: per-person frequency, one e-mail per period through the outbox and
real SMTP, and an unsubscribe link that works without logging in."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from civic import clock
from civic.accounts.models import Role, User
from civic.extensions import db
from civic.mail.models import OutboxMessage
from civic.mail.services import send_pending
from civic.notifications import services
from civic.notifications.models import DigestFrequency, Notification, NotificationState
from civic.notifications.rules import digest_due
from tests.support import csrf_token

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_digest_due_rule() -> None:
    day = timedelta(days=1)
    assert digest_due(DigestFrequency.DAILY, None, T0)
    assert not digest_due(DigestFrequency.DAILY, T0, T0 + day - timedelta(seconds=1))
    assert digest_due(DigestFrequency.DAILY, T0, T0 + day)
    assert not digest_due(DigestFrequency.WEEKLY, T0, T0 + 6 * day)
    assert digest_due(DigestFrequency.WEEKLY, T0, T0 + 7 * day)
    assert digest_due(DigestFrequency.IMMEDIATELY, T0, T0)
    assert not digest_due(DigestFrequency.NEVER, None, T0)


@pytest.fixture()
def frozen(app: Flask) -> Any:
    clock.freeze(T0)
    with app.test_request_context("/?lang=en"):
        yield T0


def _digests() -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.kind == "notifications.digest")
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def test_daily_digest_bundles_and_sends_once_per_day(
    frozen: Any, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.RESIDENT)
    services.notify([user.id], "answer", "More bins", "Adopted: ten bins", "/agencies/a/1")
    services.notify([user.id, user.id], "progress", "More bins", "40 %")
    db.session.commit()
    assert services.send_digests() == 1
    db.session.commit()
    [mail] = _digests()
    assert mail.to_address == user.email
    assert "Adopted: ten bins" in mail.body_text and "40 %" in mail.body_text
    assert "/notifications/unsubscribe/" in mail.body_text
    services.notify([user.id], "progress", "More bins", "80 %")
    db.session.commit()
    clock.move(timedelta(hours=23))
    assert services.send_digests() == 0  # a day has not passed
    clock.move(timedelta(hours=1))
    assert services.send_digests() == 1
    db.session.commit()
    assert len(_digests()) == 2
    assert services.send_digests() == 0  # nothing pending
    states = db.session.scalars(select(Notification.state)).all()
    assert set(states) == {NotificationState.SENT}


def test_weekly_immediately_and_never(frozen: Any, make_user: Callable[..., User]) -> None:
    weekly, instant, silent = (make_user(Role.RESIDENT) for _ in range(3))
    services.set_frequency(weekly, weekly, DigestFrequency.WEEKLY)
    services.set_frequency(instant, instant, DigestFrequency.IMMEDIATELY)
    services.set_frequency(silent, silent, DigestFrequency.NEVER)
    db.session.commit()
    ids = [weekly.id, instant.id, silent.id]
    assert len(services.notify(ids, "answer", "T")) == 2  # 'never' is not even queued
    assert services.send_digests() == 2
    db.session.commit()
    for _ in range(3):
        clock.move(timedelta(days=2))
        services.notify(ids, "progress", "T")
        services.send_digests()
        db.session.commit()
    per_user = [m.to_address for m in _digests()]
    assert per_user.count(instant.email) == 4
    assert per_user.count(weekly.email) == 1  # six days since the first: not yet
    clock.move(timedelta(days=1))
    services.send_digests()
    db.session.commit()
    assert [m.to_address for m in _digests()].count(weekly.email) == 2
    assert silent.email not in per_user


def test_voter_gets_the_digest_over_smtp_and_unsubscribes_without_login(
    app: Flask,
    client: FlaskClient,
    smtp_server: Any,
    make_user: Callable[..., User],
) -> None:
    """The digest that follows a published answer reaches a voter through real SMTP; the
    link in it stops further e-mail without logging in."""
    from proposals import ideas, jobs, screening
    from proposals.answers import AnswerData, publish, save_draft
    from proposals.inbox import proposal_for
    from proposals.models import AnswerKind, OriginType

    clock.freeze(T0)
    app.config["IDEA_VOTE_RULES"] = {"afval": {"threshold": 1, "months": 1}}
    from civic.agencies.models import Agency

    agency = Agency(name="Afval", slug="afval", service_areas="afval", response_days=56)
    db.session.add(agency)
    db.session.commit()
    author = make_user(Role.RESIDENT)
    voter = make_user(Role.RESIDENT, verified=True, email="voter@example.org")
    officer = make_user(Role.OFFICER, agency=agency)
    moderator = make_user(Role.MODERATOR)
    with app.test_request_context("/?lang=en"):
        idea = ideas.submit_idea(
            author, ideas.IdeaData("Bins", "Litter", "More bins", "afval", agency.id)
        )
        screening.accept_idea(moderator, idea)
        ideas.vote_for(idea, voter)
        db.session.commit()
        clock.move(timedelta(days=40))
        jobs.sweep()
        proposal = proposal_for(OriginType.IDEA, idea.id)
        assert proposal is not None
        save_draft(officer, proposal, AnswerData(AnswerKind.ADOPTED, "Ten bins", "We do it."))
        publish(officer, proposal)
        db.session.commit()
        assert services.send_digests() == 2  # author and voter
        db.session.commit()
    report = send_pending(app)
    assert report.failed == 0
    [mail] = [m for m in smtp_server.messages if m["To"] == "voter@example.org"]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Ten bins" in body
    link = re.search(r"https?://\S+/notifications/unsubscribe/\S+", body)
    assert link, body
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    page = client.get(f"/{path}")
    assert page.status_code == 200
    token = csrf_token(client, f"/{path}")
    done = client.post(f"/{path}", data={"csrf_token": token})
    assert done.status_code == 200
    assert services.frequency_of(voter.id) == DigestFrequency.NEVER
    assert services.notify([voter.id], "progress", "Bins") == []


def test_forged_unsubscribe_token_is_refused(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.RESIDENT)
    with app.test_request_context():
        token = services.unsubscribe_token(user.id)
    assert client.get(f"/notifications/unsubscribe/{token}x").status_code == 404
    assert client.get(f"/notifications/unsubscribe/{token}").status_code == 200


def test_preferences_page_needs_login_and_saves(
    app: Flask, client: FlaskClient, login: Callable[..., None], make_user: Callable[..., User]
) -> None:
    from tests.proposals.support import audit_count

    assert client.get("/notifications/preferences").status_code == 302
    user = make_user(Role.RESIDENT)
    login(client, user)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="daily"', page), page
    token = csrf_token(client, "/notifications/preferences")
    response = client.post(
        "/notifications/preferences", data={"frequency": "weekly", "csrf_token": token}
    )
    assert response.status_code == 303
    assert services.frequency_of(user.id) == DigestFrequency.WEEKLY
    bad = client.post("/notifications/preferences", data={"frequency": "x", "csrf_token": token})
    assert bad.status_code == 422
    assert audit_count("notifications.frequency_changed") == 1
