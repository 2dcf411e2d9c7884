"""What happens to ideas when their ballot moves: deadline outcomes and milestones.

There is no sweep of our own: `voting.close_due_ballots` (the `voting.close_due_ballots`
job) claims each due ballot exactly once and calls `settle_idea` in the same transaction,
so a reached idea becomes exactly one proposal, even when the sweep runs twice. An overdue
screening is only shown (queue and idea page), so it needs no job either.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from civic import audit, clock
from civic.accounts.models import User
from civic.extensions import db
from proposals.ideas import add_event
from proposals.inbox import create_proposal
from proposals.models import Follow, Idea, OriginType
from proposals.rules import EventKind, IdeaStatus
from voting import services as voting
from voting.models import Ballot
from voting.rules import Outcome

SUBJECT = "idea"


def _idea_of(ballot: Ballot) -> Idea | None:
    """The idea whose current ballot this is (other 'idea' ballots are ignored)."""
    return db.session.scalar(select(Idea).where(Idea.ballot_id == ballot.id))


def settle_idea(ballot: Ballot) -> None:
    """on_close hook: at the deadline the idea is reached (and proposed) or expired.

    Ballots closed before their deadline (a moderator rejecting a hidden idea) and merged
    ones are left to the service that closed them."""
    idea = _idea_of(ballot)
    if idea is None or idea.status != IdeaStatus.VOTING or ballot.outcome == Outcome.MERGED:
        return
    if ballot.closed_at is not None and ballot.closed_at < ballot.closes_at:
        return
    now = ballot.closed_at or clock.now()
    reached = ballot.outcome == Outcome.REACHED
    idea.status = IdeaStatus.REACHED if reached else IdeaStatus.EXPIRED
    idea.updated_at = now
    db.session.flush()
    kind = EventKind.REACHED if reached else EventKind.EXPIRED
    add_event(idea, kind, now, votes=ballot.tally, threshold=ballot.threshold)
    audit.record(
        "scheduler",
        f"idea.{idea.status.value}",
        idea,
        {"status": IdeaStatus.VOTING.value},
        {**idea.as_audit(), "votes": ballot.tally},
    )
    if reached:
        create_proposal(
            OriginType.IDEA,
            idea.id,
            agency=idea.agency,
            title=idea.title,
            summary=f"{idea.problem}\n\n{idea.proposed_change}",
            actor="scheduler",
            now=now,
        )


def recipients(idea: Idea) -> list[User]:
    """The author and the followers, each once, active accounts only."""
    followers = select(Follow.user_id).where(Follow.idea_id == idea.id)
    users = db.session.scalars(
        select(User).where((User.id == idea.author_id) | User.id.in_(followers)).order_by(User.id)
    )
    return [u for u in users if u.active]


def _milestone_mail(idea: Idea, user: User, share: Fraction, votes: int) -> None:
    from civic.mail.services import enqueue

    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    locale = user.locale or str(current_app.config["BABEL_DEFAULT_LOCALE"])
    with force_locale(locale):
        third = _("one third") if share == Fraction(1, 3) else _("two thirds")
        subject = _("Your idea is on its way: %(share)s of the votes", share=third)
        if user.id != idea.author_id:
            subject = _("An idea you follow is on its way: %(share)s of the votes", share=third)
        threshold = idea.ballot.threshold if idea.ballot else votes
        if user.id == idea.author_id:
            first = _(
                'Your idea "%(title)s" now has %(votes)s of the %(threshold)s votes it needs: '
                "%(share)s.",
                title=idea.title,
                votes=votes,
                threshold=threshold,
                share=third,
            )
        else:
            first = _(
                'The idea "%(title)s" that you follow now has %(votes)s of the %(threshold)s '
                "votes it needs: %(share)s.",
                title=idea.title,
                votes=votes,
                threshold=threshold,
                share=third,
            )
        link = _("See the idea and how many days are left:")
        body = f"{first}\n\n{link}\n{base}/ideas/{idea.id}\n"
    enqueue(to=user.email, subject=subject, body_text=body, kind="idea.milestone")


def announce_milestone(ballot: Ballot, share: Fraction) -> None:
    """on_milestone hook (once per ballot and milestone): a timeline entry and an e-mail to
    the author and every follower."""
    idea = _idea_of(ballot)
    if idea is None:
        return
    now = clock.now()
    add_event(idea, EventKind.MILESTONE, now, share=str(share), votes=ballot.tally)
    for user in recipients(idea):
        _milestone_mail(idea, user, share, ballot.tally)


def sweep(now: datetime | None = None) -> list[Ballot]:
    """Close every due ballot (all subjects); ideas are settled by the hook. The caller
    commits (the scheduler does)."""
    return voting.close_due_ballots(now)


_registered = False


def register() -> None:
    """Install the voting hooks and make sure voting's sweeps are scheduled (once)."""
    global _registered
    if _registered:
        return
    _registered = True
    voting.on_close(SUBJECT, settle_idea)
    voting.on_milestone(SUBJECT, announce_milestone)
    from voting import jobs as voting_jobs

    voting_jobs.register_jobs()
