"""Erasing an account: personal data goes, counts and public content stay, and only the
person (or an administrator) can do it, with the password and a confirmation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from civic.accounts import throttle, tokens
from civic.accounts.models import AccountToken, LoginAttempt, LoginSession, Role, TokenPurpose, User
from civic.accounts.passwords import verify_password
from civic.accounts.sessions import start_session
from civic.errors import Conflict, NotAllowed
from civic.extensions import db
from civic.mail.models import OutboxMessage, OutboxStatus
from civic.mail.services import enqueue
from civic.notifications import services as notifications
from civic.notifications.models import DigestFrequency, Notification, NotificationPreference
from civic.privacy import services
from proposals import ideas
from proposals.models import Follow, Idea
from tests.civic.account_support import audit_rows, log_in
from tests.privacy.support import ballot_counts, erase
from voting.services import reconcile_tallies

Factory = Callable[..., Any]
PASSWORD = "correct horse battery"  # make_user's default
EMAIL = "ann@example.org"
NAME = "Ann de Vries"


@pytest.fixture()
def ann(make_user: Factory) -> User:
    user = make_user(Role.RESIDENT, email=EMAIL, verified=True)
    user.display_name = user.public_name = NAME
    user.locale = "nl"
    db.session.commit()
    return user


def _count(model: Any, *where: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _fill_account(ann: User, idea: Idea) -> Idea:
    """Everything an active resident leaves behind (committed); returns her own idea."""
    start_session(ann)
    tokens.issue(ann, TokenPurpose.RESET)
    throttle.record_failure(throttle.account_key(EMAIL), "192.0.2.7")
    ideas.follow(ann, idea)
    ideas.vote_for(idea, ann)
    notifications.set_frequency(ann, ann, DigestFrequency.WEEKLY)
    notifications.notify([ann.id], "idea.answered", "An idea you follow was answered")
    enqueue(to=EMAIL, subject=f"Hello {NAME}", body_text=f"Dear {NAME}", kind="test.waiting")
    sent = enqueue(to=EMAIL, subject="Earlier", body_text=f"Dear {NAME}", kind="test.sent")
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == sent.id).values(status=OutboxStatus.SENT)
    )
    own = ideas.submit_idea(
        ann, ideas.IdeaData("Benches at the bus stop", "Nowhere to sit.", "Benches.", "afval",
                            idea.agency_id),
    )  # fmt: skip
    db.session.commit()
    return own


def test_erasure_wipes_personal_data_and_keeps_counts(
    app: Flask, client: FlaskClient, login: Any, ann: User, voting_idea: Idea
) -> None:
    own = _fill_account(ann, voting_idea)
    login(client, ann)
    assert NAME in client.get(f"/ideas/{own.id}").get_data(as_text=True)

    assert erase(client, PASSWORD).status_code == 302

    db.session.expire_all()
    user = db.session.get(User, ann.id)
    assert user.email == f"erased-{ann.id}@erased.invalid"
    assert (user.display_name, user.public_name, user.locale) == (None, None, None)
    assert not user.active and user.role == Role.RESIDENT
    assert not verify_password(user.password_hash, PASSWORD)
    for model, column in [
        (LoginSession, LoginSession.user_id),
        (AccountToken, AccountToken.user_id),
        (Follow, Follow.user_id),
        (Notification, Notification.user_id),
        (NotificationPreference, NotificationPreference.user_id),
    ]:
        assert _count(model, column == ann.id) == 0, model
    assert _count(LoginAttempt) == 0
    # Mail: nothing keeps her address, name or content; the waiting one is never sent.
    mails = {m.kind: m for m in db.session.scalars(select(OutboxMessage))}
    assert _count(OutboxMessage, func.lower(OutboxMessage.to_address) == EMAIL) == 0
    assert mails["test.waiting"].status == OutboxStatus.FAILED
    assert mails["test.sent"].status == OutboxStatus.SENT
    for kind in ("test.waiting", "test.sent"):
        assert NAME not in mails[kind].subject + mails[kind].body_text
    # Her vote still counts, the tally matches the rows, her idea stays without a name.
    assert ballot_counts(voting_idea.ballot_id) == (1, 1)
    assert reconcile_tallies() == []
    page = client.get(f"/ideas/{own.id}").get_data(as_text=True)
    assert "Benches at the bus stop" in page and NAME not in page and "a resident" in page
    # The old session is gone; she cannot log in.
    assert client.get("/account/").status_code == 302
    assert log_in(client, EMAIL, PASSWORD).status_code == 401
    (entry,) = audit_rows("account.erased")
    assert entry.actor_id == ann.id and entry.object_id == str(ann.id)
    assert EMAIL not in entry.after + entry.before and NAME not in entry.after + entry.before
    assert '"votes_kept":1' in entry.after and '"open_ballot_votes_kept":1' in entry.after


def test_erasure_needs_the_password_and_the_confirmation(
    client: FlaskClient, login: Any, ann: User
) -> None:
    login(client, ann)  # she chose Dutch
    wrong = erase(client, "not my password")
    assert wrong.status_code == 422
    assert "Uw wachtwoord klopt niet." in wrong.get_data(as_text=True)
    unticked = erase(client, PASSWORD, confirm=False)
    assert unticked.status_code == 422
    assert "Vink het vakje aan" in unticked.get_data(as_text=True)
    forged = client.post(
        "/account/privacy/erase", data={"erase-password": PASSWORD, "erase-confirm": "y"}
    )
    assert forged.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, ann.id).email == EMAIL
    assert audit_rows("account.erased") == []
    assert _count(LoginAttempt) == 1  # the wrong password counted


def test_wrong_passwords_are_throttled(
    app: Flask, client: FlaskClient, login: Any, ann: User
) -> None:
    login(client, ann)
    limit = int(app.config["LOGIN_FAILURES_PER_ACCOUNT"])
    for _ in range(limit):
        assert erase(client, "not my password").status_code == 422
    answer = erase(client, PASSWORD)
    assert answer.status_code == 429 and "Retry-After" in answer.headers
    db.session.expire_all()
    assert db.session.get(User, ann.id).active


def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient) -> None:
    for path in ["/account/privacy/"]:
        answer = client.get(path)
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/account/login?next=")
    assert client.post("/account/privacy/erase").status_code in (302, 400)


def test_only_the_person_or_an_administrator_erases(make_user: Factory, ann: User) -> None:
    other = make_user(Role.MODERATOR)
    with pytest.raises(NotAllowed):
        services.erase_account(ann, other)
    db.session.rollback()
    admin = make_user(Role.ADMIN)
    counts = services.erase_account(ann, admin)
    db.session.commit()
    assert counts["resident_link_kept"] == 0
    (entry,) = audit_rows("account.erased")
    assert entry.actor_id == admin.id and entry.object_id == str(ann.id)
    with pytest.raises(Conflict):
        services.erase_account(db.session.get(User, ann.id), admin)


def test_an_administrator_is_demoted_before_erasure(
    client: FlaskClient, login: Any, make_user: Factory
) -> None:
    admin = make_user(Role.ADMIN)
    make_user(Role.ADMIN)
    login(client, admin)
    answer = erase(client, PASSWORD)
    assert answer.status_code == 409
    assert "cannot be erased" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).active
    assert audit_rows("account.erased") == []


def test_erasure_leaves_open_tester_pools_only(
    make_user: Factory, make_agency: Factory, ann: User
) -> None:
    from proposals import pilots
    from proposals.inbox import create_proposal
    from proposals.models import OriginType
    from proposals.pilot_models import Pilot, PilotStatus, TesterVolunteer

    agency = make_agency("Vervoer", slug="vervoer", service_areas="vervoer")
    officer = make_user(Role.OFFICER, agency=agency)

    def recruiting(origin: int) -> Pilot:
        proposal = create_proposal(
            OriginType.PANEL, origin, agency=agency, title="Night bus", summary="A bus.",
            actor="test",
        )  # fmt: skip
        pilot = pilots.setup_pilot(officer, proposal, pilots.PilotData("Trial", "Line 12", 3, 5))
        pilots.add_criterion(officer, pilot, "Testers feel safe", "70% met")
        pilots.start_recruiting(officer, pilot)
        pilots.volunteer(ann, pilot)
        return pilot

    open_pilot, closed_pilot = recruiting(1), recruiting(2)
    closed_pilot.status = PilotStatus.RUNNING  # the draw is over: the pool is fixed
    db.session.commit()
    exported = services.export_data(ann)
    assert len(exported["pilots"]["volunteered"]) == 2

    counts = services.erase_account(ann, ann)
    db.session.commit()
    assert counts["pilot_pools_left"] == 1
    left = db.session.scalars(select(TesterVolunteer.pilot_id)).all()
    assert left == [closed_pilot.id] and open_pilot.id not in left


def test_after_erasure_the_audit_log_holds_no_address_or_name(
    client: FlaskClient, login: Any
) -> None:
    from civic.audit.models import AuditEntry
    from tests.civic.account_support import confirm_via_outbox, signup
    from tests.civic.account_support import log_in as web_log_in

    assert signup(client, EMAIL, name=NAME).status_code == 200
    confirm_via_outbox(client, EMAIL)
    web_log_in(client, EMAIL)
    user = db.session.scalar(select(User).where(User.email == EMAIL))
    services.erase_account(user, user)
    db.session.commit()
    texts = [e.before + e.after + e.object_id for e in db.session.scalars(select(AuditEntry))]
    assert not [t for t in texts if EMAIL in t or NAME in t]
    # login events carry a keyed pseudonym of the address, never the address itself
    assert not [t for t in texts if "127.0.0.1" in t]
