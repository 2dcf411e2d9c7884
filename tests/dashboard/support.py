"""A small public world for the dashboard and API tests, built through the real services.

Personal data is planted on purpose (e-mail addresses, private names, register keys) so
the privacy tests can prove none of it reaches open data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from civic import clock
from civic.accounts.models import Role, User
from civic.accounts.passwords import hash_password
from civic.agencies.models import Agency
from civic.extensions import db
from panels.models import (
    ImportStatus,
    MembershipStatus,
    Panel,
    PanelMembership,
    PanelStatus,
    RegisterImport,
    RegisterPerson,
    TopicKind,
    Wave,
)
from proposals import answers, ideas, progress, screening
from proposals.models import AnswerKind, Idea, OriginType, ProgressStatus, Proposal
from voting import services as voting

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET_EMAILS = ("anna.publiek@example.org", "bert.geheim@example.org", "lead@afval.example")
PRIVATE_NAMES = ("Bert Geheim", "Carla Verborgen")
PUBLIC_NAME = "Anna Publiek"


@dataclass
class World:
    """What was seeded, for the tests to refer to."""

    agencies: dict[str, Agency] = field(default_factory=dict)
    ideas: dict[str, Idea] = field(default_factory=dict)
    voters: list[User] = field(default_factory=list)
    proposal: Proposal | None = None
    panel: Panel | None = None
    register_keys: list[str] = field(default_factory=list)
    officer: User | None = None


def _user(
    email: str,
    *,
    role: Role = Role.RESIDENT,
    name: str | None = None,
    public: str | None = None,
    agency: Agency | None = None,
) -> User:
    user = User(
        email=email,
        password_hash=hash_password("correct horse battery"),
        role=role,
        display_name=name,
        public_name=public,
        agency_id=agency.id if agency else None,
        email_confirmed_at=clock.now(),
        verified_at=clock.now(),
    )
    db.session.add(user)
    db.session.flush()
    return user


def _agencies(world: World) -> None:
    afval = Agency(
        name="Afdeling Afval",
        slug="afval",
        service_areas="afval,parken",
        response_days=56,
        lead_email="lead@afval.example",
    )
    wegen = Agency(name="Afdeling Wegen", slug="wegen", service_areas="wegen", response_days=56)
    db.session.add_all([afval, wegen])
    db.session.flush()
    world.agencies = {"afval": afval, "wegen": wegen}


def _ideas(world: World, app: Any) -> None:
    app.config["IDEA_VOTE_RULES"] = {"wegen": {"threshold": 3, "months": 3}}
    anna = _user(SECRET_EMAILS[0], name=PUBLIC_NAME, public=PUBLIC_NAME)
    bert = _user(SECRET_EMAILS[1], name=PRIVATE_NAMES[0])
    moderator = _user("moderator@example.org", role=Role.MODERATOR, name=PRIVATE_NAMES[1])
    world.voters = [_user(f"voter{i}@example.org", name=f"Voter Private {i}") for i in range(4)]
    data = {
        "bins": ("More litter bins", "afval", anna),
        "=cmd": ('=HYPERLINK("http://evil")', "parken", bert),
        "lights": ("Street lights on the dike", "wegen", bert),
        "benches": ("Benches at the bus stop", "wegen", anna),
    }
    for key, (title, area, author) in data.items():
        agency = world.agencies["wegen" if area == "wegen" else "afval"]
        world.ideas[key] = ideas.submit_idea(
            author, ideas.IdeaData(title, "A problem worth fixing.", "Fix it.", area, agency.id)
        )
    for key in ("bins", "lights"):
        screening.accept_idea(moderator, world.ideas[key])
    db.session.commit()
    for voter in world.voters[:3]:
        voting.cast_vote(world.ideas["lights"].ballot_id, voter)
    clock.move(timedelta(days=40))
    voting.cast_vote(world.ideas["bins"].ballot_id, world.voters[3])
    db.session.commit()


def _answer(world: World) -> None:
    clock.move(timedelta(days=60))  # both ballots close: lights reached, bins expired
    voting.close_due_ballots()
    db.session.commit()
    proposal = (
        db.session.query(Proposal)
        .filter_by(origin_type=OriginType.IDEA, origin_id=world.ideas["lights"].id)
        .one()
    )
    officer = _user(
        "officer@example.org",
        role=Role.OFFICER,
        name="Officer Private",
        agency=world.agencies["wegen"],
    )
    clock.move(timedelta(days=10))
    answers.save_draft(
        officer,
        proposal,
        answers.AnswerData(AnswerKind.ADOPTED, "We will do it", "Lights go up this summer."),
    )
    answers.publish(officer, proposal)
    db.session.commit()
    progress.add_update(
        officer,
        proposal,
        progress.ProgressData(
            ProgressStatus.IN_PROGRESS, 40, "Poles ordered", clock.local(clock.now()).date()
        ),
    )
    answers.rate(world.voters[0], proposal, 4)
    db.session.commit()
    world.proposal, world.officer = proposal, officer


def _panel(world: World) -> None:
    imp = RegisterImport(file_name="extract.csv", status=ImportStatus.COMPLETED)
    db.session.add(imp)
    db.session.flush()
    people = []
    for i in range(12):
        key = f"REGKEY{i:04d}SECRET"
        world.register_keys.append(key)
        people.append(
            RegisterPerson(
                register_key=key,
                household_key=f"HOUSEKEY{i:04d}",
                birth_year=1950 + 5 * i,
                gender="female" if i % 2 else "male",
                area="Noord" if i < 8 else "Zuid",
                first_import_id=imp.id,
                last_import_id=imp.id,
            )
        )
    db.session.add_all(people)
    panel = Panel(
        topic_kind=TopicKind.SERVICE,
        title="Panel Afval",
        agency_id=world.agencies["afval"].id,
        size=4,
        term_months=18,
        rotation_months=6,
        rotation_percent=33,
        rest_months=24,
        status=PanelStatus.ACTIVE,
    )
    draft = Panel(
        topic_kind=TopicKind.SERVICE,
        title="Draft panel",
        agency_id=world.agencies["afval"].id,
        size=4,
        term_months=18,
        rotation_months=6,
        rotation_percent=33,
        rest_months=24,
    )
    db.session.add_all([panel, draft])
    db.session.flush()
    for person in people[:3]:
        db.session.add(
            PanelMembership(
                panel_id=panel.id,
                person_id=person.id,
                status=MembershipStatus.SERVING,
                started_on=date(2026, 1, 1),
            )
        )
    db.session.add(
        Wave(
            panel_id=panel.id,
            number=1,
            seed="beacon-123",
            requested=10,
            wave_date=date(2026, 1, 1),
            reply_deadline=T0,
            eligible_count=12,
            pool_sha256="ab" * 32,
        )
    )
    db.session.commit()
    world.panel = panel


def seed_world(app: Any) -> World:
    """Agencies, ideas in every stage, votes, an answered proposal and a seated panel."""
    clock.freeze(T0)
    world = World()
    with app.test_request_context("/?lang=en"):
        _agencies(world)
        _ideas(world, app)
        _answer(world)
        _panel(world)
    return world
