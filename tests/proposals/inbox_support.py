"""Helpers of the inbox tests: a reached idea's proposal with its voters, officers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from civic import clock
from civic.accounts.models import Role, User
from civic.extensions import db
from proposals import ideas, jobs
from proposals.inbox import proposal_for
from proposals.models import Idea, OriginType, Proposal


@dataclass
class Reached:
    proposal: Proposal
    idea: Idea
    voters: list[User]


def reach(
    voting_idea: Callable[..., Idea],
    residents: Callable[..., list[User]],
    title: str = "More litter bins in the park",
) -> Reached:
    """An idea voted to its threshold (3) and settled by the sweep: a proposal (committed)."""
    idea = voting_idea(title)
    voters = residents(3)
    for voter in voters:
        ideas.vote_for(idea, voter)
        db.session.commit()
    clock.move(timedelta(days=92))
    jobs.sweep()
    db.session.commit()
    proposal = proposal_for(OriginType.IDEA, idea.id)
    assert proposal is not None
    return Reached(proposal, idea, voters)


def officer_of(make_user: Callable[..., User], agency: Any, **kw: Any) -> User:
    return make_user(Role.OFFICER, agency=agency, **kw)
