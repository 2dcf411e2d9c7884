"""Draws and pilots on top of the dashboard's public world, built through the real services.

A drawn, a published (no seed yet) and a prepared (not public) panel draw; a pilot taken all
the way to a planned rollout, one recruiting with a published tester draw, one in set-up.
Tester volunteers have private names and e-mail addresses, and the feedback and evaluation
comments carry marker texts, so the privacy test can prove none of it reaches the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sortition
from civic import clock
from civic.draws import services as draws
from civic.draws.models import Draw
from civic.extensions import db
from proposals import pilots
from proposals.inbox import create_proposal
from proposals.models import OriginType
from proposals.pilot_models import Pilot
from tests.dashboard.support import World, _user, seed_world

PANEL_SEED = "beacon round 4242"
TESTER_SEED = "Lotto 2026-06-06: 3 9 17 22 30 41"
FEEDBACK_SECRET = "Feedback by Tessa Geheim: the app crashed"
COMMENT_SECRET = "Comment by Tessa Geheim: too slow"
TESTER_NAMES = ("Tessa Geheim", "Timo Verborgen", "Tirza Prive")
QUOTAS = [
    sortition.Quota("gender", "female", 2, 2),
    sortition.Quota("gender", "male", 2, 2),
]


@dataclass
class DrawWorld:
    """The dashboard world plus what was seeded here."""

    world: World
    drawn: Draw
    published: Draw
    prepared: Draw
    pilot: Pilot
    recruiting: Pilot
    setup: Pilot


def _panel_pool() -> list[sortition.Person]:
    return [
        sortition.Person(
            f"V{100 + i}", {"gender": "female" if i % 2 else "male"}, f"HOUSEKEY{i:04d}"
        )
        for i in range(8)
    ]


def _panel_draws(world: World, admin: Any) -> tuple[Draw, Draw, Draw]:
    assert world.panel is not None
    made = []
    for _ in range(3):
        draw = draws.prepare_draw(
            "panel", world.panel.id, _panel_pool(), QUOTAS, 4, actor=admin, lottery_size=50
        )
        assert isinstance(draw, Draw)
        made.append(draw)
    drawn, published, prepared = made
    draws.publish_draw(drawn, admin)
    draws.enter_seed(drawn, PANEL_SEED, admin)
    draws.publish_draw(published, admin)
    db.session.commit()
    return drawn, published, prepared


def _recruiting_pilot(officer: Any, proposal: Any, title: str, testers: int) -> Pilot:
    pilot = pilots.setup_pilot(officer, proposal, pilots.PilotData(title, "A trial.", testers, 1))
    pilots.add_criterion(officer, pilot, "Residents find the lights helpful", "70% answer met")
    pilots.add_criterion(officer, pilot, "No complaints about glare", "at most 10% not met")
    pilots.start_recruiting(officer, pilot)
    return pilot


def _volunteers(pilot: Pilot, prefix: str) -> list[Any]:
    users = [_user(f"{prefix}{i}@tester.example", name=name) for i, name in enumerate(TESTER_NAMES)]
    for user in users:
        pilots.volunteer(user, pilot)
    return users


def _full_pilot(world: World) -> Pilot:
    officer, proposal = world.officer, world.proposal
    pilot = _recruiting_pilot(officer, proposal, "Trial of the dike lights", 2)
    volunteers = _volunteers(pilot, "tester")
    pilots.prepare_tester_draw(officer, pilot)
    pilots.publish_tester_draw(officer, pilot)
    pilots.draw_testers(officer, pilot, TESTER_SEED)
    pilots.start_pilot(officer, pilot)
    db.session.commit()
    testers = [u for u in volunteers if pilots.tester_of(pilot, u) is not None]
    pilots.leave_feedback(testers[0], pilot, FEEDBACK_SECRET)
    clock.move(timedelta(weeks=1, minutes=1))
    pilots.end_pilot(officer, pilot)
    first, second = pilot.criteria
    pilots.answer_evaluation(
        testers[0], pilot, {first.id: ("met", COMMENT_SECRET), second.id: ("met", None)}
    )
    pilots.answer_evaluation(
        testers[1], pilot, {first.id: ("partly", None), second.id: ("not_met", COMMENT_SECRET)}
    )
    reasons = {first.id: (True, "Most testers agreed."), second.id: (False, "Some glare.")}
    pilots.decide(officer, pilot, "go", "Worth it, with shades.", reasons)
    today = clock.local(clock.now()).date()
    pilots.plan_rollout(officer, pilot, today + timedelta(days=30), "From July")
    db.session.commit()
    return pilot


def _other_pilots(world: World) -> tuple[Pilot, Pilot]:
    officer, agency = world.officer, world.agencies["wegen"]
    made = []
    for origin_id, title in ((901, "Bus lane trial"), (902, "Night lights trial")):
        proposal = create_proposal(
            OriginType.PANEL, origin_id, agency=agency, title=title, summary="S.", actor=officer
        )
        made.append(proposal)
    recruiting = _recruiting_pilot(officer, made[0], "Bus lane trial", 2)
    _volunteers(recruiting, "bus")
    pilots.prepare_tester_draw(officer, recruiting)
    pilots.publish_tester_draw(officer, recruiting)
    setup = pilots.setup_pilot(officer, made[1], pilots.PilotData("Night trial", "", 50, 4))
    pilots.add_criterion(officer, setup, "Draft criterion", "draft target")
    db.session.commit()
    return recruiting, setup


def seed_draw_world(app: Any) -> DrawWorld:
    """The dashboard world, then draws and pilots in every public state."""
    world = seed_world(app)
    with app.test_request_context("/?lang=en"):
        admin = world.officer
        drawn, published, prepared = _panel_draws(world, admin)
        pilot = _full_pilot(world)
        recruiting, setup = _other_pilots(world)
    return DrawWorld(world, drawn, published, prepared, pilot, recruiting, setup)
