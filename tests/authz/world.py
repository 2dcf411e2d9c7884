"""The authorization matrix's world: one object of every kind a URL parameter names, built
once through the packages' own services, plus one logged-in session per persona.

The world is written into a database that serves as a template; every request of the matrix
runs on a fresh copy of it (see test_matrix.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

import civic.dashboard.views as dashboard_views
from civic import clock
from civic.accounts.models import Role, User
from civic.accounts.passwords import hash_password
from civic.accounts.sessions import start_session
from civic.agencies.models import Agency
from civic.draws.models import Draw
from civic.extensions import db
from civic.mail import services as mail
from civic.mail.models import OutboxMessage
from civic.notifications import services as notifications
from panels import work
from panels.models import PanelQuota, RegisterImport
from proposals import answers, ideas, jobs, pilots, screening
from proposals.inbox import proposal_for
from proposals.models import AnswerKind, OriginType
from tests.panels.draw_support import count_quota, link_account, say_yes, seat_panel, serving
from tests.panels.panel_support import adults, invitations, load_register, make_panel, wave

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Every request of the matrix runs at this moment (after the idea's ballot has closed).
NOW = T0 + timedelta(days=92)
CONFIG: dict[str, Any] = {
    "IDEA_VOTE_RULES": {"afval": {"threshold": 3, "months": 3}},
    "MAIL_URL": "smtp://127.0.0.1:1",
}
STATIC_FILE = "css/civic.css"
PROPOSALS_STATIC_FILE = "similar.js"


@dataclass
class World:
    """Ids of what was built (URL parameter name → value) and a session token per persona."""

    params: dict[str, Any] = field(default_factory=dict)
    alternatives: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


def _user(email: str, role: Role, *, agency: Agency | None = None, verified: bool = False) -> User:
    user = User(
        email=email,
        password_hash=hash_password("correct horse battery"),
        role=role,
        agency_id=agency.id if agency else None,
        email_confirmed_at=clock.now(),
        verified_at=clock.now() if verified else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def _agencies() -> tuple[Agency, Agency]:
    agency_a = Agency(name="Afdeling Afval", slug="afval", service_areas="afval", response_days=56)
    agency_b = Agency(name="Afdeling Wegen", slug="wegen", service_areas="wegen", response_days=56)
    db.session.add_all([agency_a, agency_b])
    db.session.flush()
    return agency_a, agency_b


def _people(agency_a: Agency, agency_b: Agency) -> dict[str, User]:
    """One account per logged-in persona, plus two voters who are nobody's persona."""
    people = {
        "resident": _user("resident@example.org", Role.RESIDENT),
        "verified": _user("verified@example.org", Role.RESIDENT, verified=True),
        "member": _user("member@example.org", Role.RESIDENT, verified=True),
        "moderator": _user("moderator@example.org", Role.MODERATOR),
        "clerk": _user("clerk@example.org", Role.CLERK),
        "officer_a": _user("officer.a@example.org", Role.OFFICER, agency=agency_a),
        "officer_b": _user("officer.b@example.org", Role.OFFICER, agency=agency_b),
        "admin": _user("admin@example.org", Role.ADMIN),
        "voter1": _user("voter1@example.org", Role.RESIDENT, verified=True),
        "voter2": _user("voter2@example.org", Role.RESIDENT, verified=True),
    }
    db.session.commit()
    return people


def _submit(author: User, agency: Agency, title: str) -> Any:
    idea = ideas.submit_idea(
        author, ideas.IdeaData(title, "Litter after weekends.", "More bins.", "afval", agency.id)
    )
    db.session.commit()
    return idea


def _reached_proposal(world: World, people: dict[str, User], agency_a: Agency) -> Any:
    """The resident's idea voted to its threshold, settled, answered by agency A: a proposal."""
    idea = _submit(people["resident"], agency_a, "Litter bins in the park")
    screening.accept_idea(people["moderator"], idea)
    db.session.commit()
    for voter in ("verified", "voter1", "voter2"):
        ideas.vote_for(idea, people[voter])
        db.session.commit()
    clock.freeze(NOW)
    jobs.sweep()
    db.session.commit()
    proposal = proposal_for(OriginType.IDEA, idea.id)
    assert proposal is not None, "the idea did not reach its threshold"
    answer = answers.AnswerData(
        AnswerKind.TO_PILOT, "We pilot it", "Ten bins for five weeks.", "To learn first."
    )
    answers.save_draft(people["officer_a"], proposal, answer)
    answers.publish(people["officer_a"], proposal)
    db.session.commit()
    world.alternatives["reached_idea_id"] = idea.id
    return proposal


def _ideas(world: World, people: dict[str, User], agency_a: Agency) -> None:
    """The resident's idea open for voting (the default idea), one still to be screened and
    one withdrawn (seen only by its author and moderators)."""
    voting_idea = _submit(people["resident"], agency_a, "Benches along the canal")
    screening.accept_idea(people["moderator"], voting_idea)
    db.session.commit()
    submitted = _submit(people["resident"], agency_a, "Water taps in the square")
    withdrawn = _submit(people["resident"], agency_a, "A dog park by the school")
    ideas.withdraw_idea(people["resident"], withdrawn)
    db.session.commit()
    world.params["idea_id"] = voting_idea.id
    world.params["ballot_id"] = voting_idea.ballot_id
    world.alternatives["submitted_idea_id"] = submitted.id
    world.alternatives["withdrawn_idea_id"] = withdrawn.id


def _pilot(world: World, people: dict[str, User], proposal: Any) -> None:
    officer = people["officer_a"]
    pilot = pilots.setup_pilot(officer, proposal, pilots.PilotData("Park bins", "", 50, 5))
    criterion = pilots.add_criterion(officer, pilot, "Less litter", "30% fewer complaints")
    pilots.start_recruiting(officer, pilot)
    db.session.commit()
    world.params.update(pilot_id=pilot.id, criterion_id=criterion.id)


def _panel(world: World, people: dict[str, User], agency_a: Agency) -> None:
    """Register, panel of agency A with a quota, a wave, a published draw, a linked member,
    a meeting, a journey step and a recommendation put to the vote."""
    admin = people["admin"]
    load_register(adults(30))
    panel = make_panel(admin, agency_a, size=6)
    count_quota(admin, panel, "gender", "female", 3, 3)
    db.session.commit()
    drawn = wave(admin, panel, 20, reply_by=(NOW + timedelta(days=21)).date())
    invited = invitations(drawn)
    for invitation in invited[:14]:
        say_yes(invitation)
    db.session.commit()
    draw = seat_panel(admin, panel)
    seat = serving(panel)[0]
    link_account(people["member"], seat)
    meeting = work.create_meeting(
        admin, panel, work.MeetingData(NOW + timedelta(days=7), "Town hall", "", "Kick-off")
    )
    step = work.add_step(admin, panel, "Reporting the move", "Online form")
    db.session.commit()
    rec = work.draft(people["member"], panel, "A single form", "One form for every move.", None)
    db.session.commit()
    work.open_vote(admin, rec)
    db.session.commit()
    quota = db.session.scalar(select(PanelQuota).where(PanelQuota.panel_id == panel.id))
    world.params.update(
        panel_id=panel.id,
        quota_id=quota.id if quota else 0,
        wave_id=drawn.id,
        invitation_id=invited[-1].id,
        draw_id=draw.id,
        same_id=draw.id,
        membership_id=seat.id,
        meeting_id=meeting.id,
        step_id=step.id,
        rec_id=rec.id,
        import_id=db.session.scalar(select(RegisterImport.id)),
    )
    assert db.session.get(Draw, draw.id) is not None


def _outbox_message() -> int:
    message_id = db.session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id))
    if message_id is None:
        mail.enqueue(to="someone@example.org", subject="Hello", body_text="A message.", kind="test")
        db.session.commit()
        message_id = db.session.scalar(select(OutboxMessage.id))
    return int(message_id)


def build_world(app: Flask) -> World:
    """Build everything on `app`'s (empty) database and commit; returns the ids."""
    world = World()
    clock.freeze(T0)
    with app.test_request_context("/?lang=en"):
        agency_a, agency_b = _agencies()
        people = _people(agency_a, agency_b)
        proposal = _reached_proposal(world, people, agency_a)
        _ideas(world, people, agency_a)
        _pilot(world, people, proposal)
        _panel(world, people, agency_a)
        world.params.update(
            agency_id=agency_a.id,
            slug=agency_a.slug,
            proposal_id=proposal.id,
            user_id=people["resident"].id,
            message_id=_outbox_message(),
            token="bogus-token",
            filename=STATIC_FILE,
            name="funnel",
            feature="gender",
            version=dashboard_views.plotly_version(),
        )
        world.alternatives["proposals_static_filename"] = PROPOSALS_STATIC_FILE
        world.alternatives["unsubscribe_token"] = notifications.unsubscribe_token(
            people["resident"].id
        )
        for persona in ("resident", "verified", "member", "moderator", "clerk"):
            world.tokens[persona] = start_session(people[persona])
        for persona in ("officer_a", "officer_b", "admin"):
            world.tokens[persona] = start_session(people[persona])
        db.session.commit()
    return world


def template_path(directory: Path) -> Path:
    return directory / "world.sqlite"
