"""Ideas at every stage, through the real services: submitted (one overdue), rejected with a
coded reason, merged, withdrawn, voting (partway), reached (a proposal) and expired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from civic.accounts.models import User
from civic.demo.story import Story, ranked
from civic.demo.texts import IDEAS, REJECTIONS
from civic.extensions import db
from proposals import ideas, screening
from proposals.models import Idea
from proposals.rules import RejectReason, add_months
from voting import services as voting

# The demo's vote rule for every service area: a municipality with a register of 3,000
# people asks for 120 votes in 3 months (the stored ballots keep it; see README).
DEMO_THRESHOLD = 120
DEMO_VOTE_RULES = {
    area: {"threshold": DEMO_THRESHOLD, "months": 3}
    for area in {text.area for text in IDEAS.values()}
}


@dataclass(frozen=True)
class Plan:
    """One idea's journey: author (resident number, 0 = the demo resident), days ago."""

    key: str
    author: int
    submitted: int
    fate: str  # "vote", "reject", "merge", "withdraw" or "wait"
    screened: int = 0
    votes: int = 0


PLANS = (
    Plan("mantelzorgpas", 4, 446, "vote", 442, 141),
    Plan("containers", 1, 410, "vote", 405, 134),
    Plan("avondbalie", 2, 390, "vote", 385, 126),
    Plan("grofvuil", 3, 372, "vote", 368, 129),
    Plan("tieners", 7, 226, "vote", 222, 33),
    Plan("wmo_wachttijd", 5, 208, "vote", 204, 122),
    Plan("verhuismelding", 6, 186, "vote", 182, 131),
    Plan("ov_65plus", 10, 140, "reject", 133),
    Plan("vegen_centrum", 9, 100, "reject", 96),
    Plan("paspoort_thuis", 11, 50, "withdraw", 47),
    Plan("bladkorven", 0, 44, "vote", 40, 77),
    Plan("bladkorf_esdoorn", 8, 30, "merge", 28),
    Plan("mantelzorgcafe", 13, 20, "wait"),
    Plan("geboorteaangifte", 12, 3, "wait"),
)
FIRST_TITLE = IDEAS[PLANS[0].key].title
# The demo resident votes for these (so that they may rate the answers).
DEMO_RESIDENT_VOTES = {"containers", "avondbalie", "grofvuil", "mantelzorgpas", "bladkorven"}
FOLLOWED = {"bladkorven": 9, "containers": 4, "verhuismelding": 3}


def ideas_loaded() -> bool:
    """The marker of this section: the first demo idea exists."""
    return db.session.scalar(select(Idea.id).where(Idea.title == FIRST_TITLE)) is not None


def voters_of(story: Story, plan: Plan) -> list[User]:
    """Who votes for the idea: a fixed share of the residents (and the demo resident)."""
    chosen: list[User] = ranked(plan.key, story.state["residents"])[: plan.votes]
    if plan.key in DEMO_RESIDENT_VOTES and plan.author != 0:
        chosen = [story.state["rik"], *chosen[:-1]]
    return chosen


def add_ideas(story: Story) -> None:
    """Put every idea's journey on the story."""
    story.state["ideas"] = {}
    story.state["voters"] = {}
    for plan in PLANS:
        _plan_idea(story, plan)


def _author(story: Story, plan: Plan) -> User:
    return story.state["rik"] if plan.author == 0 else story.state["residents"][plan.author - 1]


def _plan_idea(story: Story, plan: Plan) -> None:
    text = IDEAS[plan.key]
    author = _author(story, plan)

    def submit() -> None:
        data = ideas.IdeaData(text.title, text.problem, text.change, text.area, None)
        story.state["ideas"][plan.key] = ideas.submit_idea(author, data)

    story.step(story.at(plan.submitted, 9 + plan.author % 9, 5 * (plan.author % 12)), submit)
    screened = story.at(plan.screened, 11) if plan.screened else None
    if plan.fate == "withdraw" and screened:
        story.step(screened, lambda: ideas.withdraw_idea(author, _idea(story, plan.key)))
    elif plan.fate == "reject" and screened:
        reason, why = REJECTIONS[plan.key]
        story.step(
            screened,
            lambda: screening.reject_idea(
                story.state["moderator"], _idea(story, plan.key), RejectReason(reason), why
            ),
        )
    elif plan.fate == "merge" and screened:
        story.step(
            screened,
            lambda: screening.merge_idea(
                story.state["moderator"], _idea(story, plan.key), _idea(story, "bladkorven")
            ),
        )
    elif plan.fate == "vote" and screened:
        _plan_ballot(story, plan)


def _idea(story: Story, key: str) -> Idea:
    idea: Idea = story.state["ideas"][key]
    return idea


def _plan_ballot(story: Story, plan: Plan) -> None:
    opens = story.at(plan.screened, 11)
    closes = add_months(opens, 3)
    story.step(
        opens, lambda: screening.accept_idea(story.state["moderator"], _idea(story, plan.key))
    )
    voters = voters_of(story, plan)
    story.state["voters"][plan.key] = voters
    last = min(closes - timedelta(days=2), story.now - timedelta(hours=6))
    span = last - opens
    for n, voter in enumerate(voters):
        when = opens + span * ((n + 1) / (len(voters) + 1))
        story.step(when, lambda v=voter: ideas.vote_for(_idea(story, plan.key), v))
    followers = ranked(f"follow:{plan.key}", story.state["residents"])[: FOLLOWED.get(plan.key, 0)]
    for n, user in enumerate(followers):
        when = opens + timedelta(hours=3 + n)
        story.step(when, lambda u=user: ideas.follow(u, _idea(story, plan.key)))
    if closes + timedelta(hours=2) < story.now:
        # The scheduler's sweep: reached ideas become proposals (voting's close hook).
        story.step(closes + timedelta(hours=2), voting.close_due_ballots)
