"""The pilot of the carer's parking pass at a late stage: criteria, volunteers, testers by
lot through the public draw, feedback, evaluation, a go decision and a planned rollout."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from civic import clock
from civic.accounts.models import User
from civic.demo.inbox import officer_for, proposal_of
from civic.demo.story import Story, ranked
from civic.extensions import db
from proposals import pilots
from proposals.pilot_models import Pilot, Tester

IDEA = "mantelzorgpas"
TITLE = "Proef mantelzorgpas in Oost"
VOLUNTEERS = 48
TESTERS = 20
CRITERIA = (
    ("Mantelzorgers besparen parkeergeld.", "Gemiddeld minstens 30 euro per maand"),
    ("De parkeerdruk in de proefstraten stijgt niet merkbaar.", "Minder dan 5 procent meer"),
)
FEEDBACK = (
    "De pas werkt, maar de parkeerautomaat herkent hem niet altijd.",
    "Ik hoef niet meer elk uur naar de auto. Dat scheelt veel stress.",
    "Graag ook geldig in de straat om de hoek; daar is vaker plek.",
)
VERDICTS = ("met", "met", "partly", "met", "not_met")


def pilot_loaded() -> bool:
    """The marker of this section: the demo pilot exists."""
    return db.session.scalar(select(Pilot.id).where(Pilot.title == TITLE)) is not None


def _pilot(story: Story) -> Pilot:
    pilot: Pilot = story.state["pilot"]
    return pilot


def _officer(story: Story) -> User:
    return officer_for(story, proposal_of(story, IDEA))


def _set_up(story: Story) -> None:
    data = pilots.PilotData(
        TITLE,
        "Twintig mantelzorgers parkeren zes weken gratis in de straat van hun zorgvrager.",
        TESTERS,
        6,
    )
    pilot = pilots.setup_pilot(_officer(story), proposal_of(story, IDEA), data)
    for statement, target in CRITERIA:
        pilots.add_criterion(_officer(story), pilot, statement, target)
    story.state["pilot"] = pilot


def _testers(story: Story) -> list[User]:
    ids = db.session.scalars(
        select(Tester.user_id).where(Tester.pilot_id == _pilot(story).id).order_by(Tester.id)
    )
    users = (db.session.get(User, i) for i in ids if i is not None)
    return [u for u in users if u is not None]


def _draw(story: Story, seed: str) -> None:
    pilots.draw_testers(_officer(story), _pilot(story), seed)


def _evaluate(story: Story, n: int) -> None:
    testers = _testers(story)
    if n >= len(testers):
        return
    pilot = _pilot(story)
    answers = {c.id: (VERDICTS[(n + c.position) % len(VERDICTS)], "") for c in pilot.criteria}
    pilots.answer_evaluation(testers[n], pilot, answers)


def _decide(story: Story) -> None:
    pilot = _pilot(story)
    reasons = {
        c.id: (True, "De testers en de parkeertellingen laten zien dat het doel is gehaald.")
        for c in pilot.criteria
    }
    pilots.decide(
        _officer(story), pilot, "go", "De proef is geslaagd: invoeren in heel Rivierstad.", reasons
    )


def _feedback(story: Story, n: int) -> None:
    testers = _testers(story)
    pilots.leave_feedback(testers[n], _pilot(story), FEEDBACK[n])


def add_pilot(story: Story) -> None:
    """Put the pilot's steps on the story (after the to-pilot answer)."""
    story.step(story.at(318, 10), lambda: _set_up(story))
    story.step(story.at(316, 9), lambda: pilots.start_recruiting(_officer(story), _pilot(story)))
    volunteers = ranked("pilot", story.state["residents"])[:VOLUNTEERS]
    start = story.at(316, 12)
    for n, user in enumerate(volunteers):
        when = start + timedelta(hours=7 * n)
        story.step(when, lambda u=user: pilots.volunteer(u, _pilot(story)))
    story.step(
        story.at(299, 10), lambda: pilots.prepare_tester_draw(_officer(story), _pilot(story))
    )
    story.step(
        story.at(299, 11), lambda: pilots.publish_tester_draw(_officer(story), _pilot(story))
    )
    lottery = clock.local(story.at(297, 20)).date().isoformat()
    seed = f"Eurojackpot {lottery}: 7 14 22 35 48 + 3 11"
    story.step(story.at(296, 10), lambda: _draw(story, seed))
    story.step(story.at(294, 9), lambda: pilots.start_pilot(_officer(story), _pilot(story)))
    for n, days in enumerate((285, 275, 262)):
        story.step(story.at(days, 19), lambda i=n: _feedback(story, i))
    story.step(story.at(251, 9), lambda: pilots.end_pilot(_officer(story), _pilot(story)))
    for n in range(TESTERS - 3):
        story.step(story.at(250 - n // 2, 18 + n % 3), lambda i=n: _evaluate(story, i))
    story.step(story.at(236, 14), lambda: _decide(story))
    rollout = clock.local(story.now + timedelta(days=45)).date()
    story.step(
        story.at(233, 10),
        lambda: pilots.plan_rollout(
            _officer(story), _pilot(story), rollout, "Invoering in heel Rivierstad."
        ),
    )
