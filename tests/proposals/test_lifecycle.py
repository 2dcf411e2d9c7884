"""Ideas from submission to the deadline, on the real database with a moved clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from civic import clock
from civic.accounts.models import User
from civic.extensions import db
from proposals import ideas, jobs, screening
from proposals.ideas import NotVerified, WrongState
from proposals.models import Idea, IdeaEvent, OriginType
from proposals.rules import EventKind, IdeaStatus
from tests.proposals.support import T0, audit_count, proposals
from voting.services import BallotClosed


def kinds(idea: Idea) -> list[str]:
    return [e.kind.value for e in ideas.timeline(idea)]


def test_submit_opens_screening_with_a_deadline(submit: Callable[..., Idea]) -> None:
    idea = submit()
    assert idea.status == IdeaStatus.SUBMITTED
    assert idea.screening_due_at == T0 + timedelta(days=14)
    assert kinds(idea) == ["submitted"]
    assert audit_count("idea.submitted") == 1
    assert [q.idea.id for q in screening.screening_queue()] == [idea.id]
    assert not screening.screening_queue()[0].overdue
    clock.move(timedelta(days=14))
    assert screening.screening_queue()[0].overdue


def test_reached_idea_becomes_exactly_one_proposal(
    voting_idea: Callable[..., Idea], residents: Callable[..., list[User]], agency: Any
) -> None:
    idea = voting_idea()
    assert idea.status == IdeaStatus.VOTING
    assert idea.ballot.threshold == 3
    assert idea.ballot.closes_at == T0.replace(month=6)  # three calendar months
    for voter in residents(3):
        ideas.vote_for(idea, voter)
        db.session.commit()
    clock.move(timedelta(days=92))
    closed = jobs.sweep()
    db.session.commit()
    assert [b.id for b in closed] == [idea.ballot_id]
    assert jobs.sweep() == []  # the second run finds nothing to close
    db.session.commit()
    db.session.refresh(idea)
    assert idea.status == IdeaStatus.REACHED
    [proposal] = proposals()
    assert (proposal.origin_type, proposal.origin_id) == (OriginType.IDEA, idea.id)
    assert proposal.agency_id == agency.id
    assert proposal.response_due_at == proposal.created_at + timedelta(days=56)
    assert proposal.status.value == "open"
    assert audit_count("idea.reached") == 1
    assert audit_count("proposal.created") == 1
    assert kinds(idea) == ["submitted", "accepted", "milestone", "milestone", "reached"]


def test_too_few_votes_expire_publicly(
    voting_idea: Callable[..., Idea], residents: Callable[..., list[User]], client: Any
) -> None:
    idea = voting_idea()
    ideas.vote_for(idea, residents(1)[0])
    db.session.commit()
    clock.move(timedelta(days=92))
    jobs.sweep()
    db.session.commit()
    db.session.refresh(idea)
    assert idea.status == IdeaStatus.EXPIRED
    assert proposals() == []
    page = client.get(f"/ideas/{idea.id}?lang=en").get_data(as_text=True)
    assert "Expired: 1 of 3 votes by the deadline." in page
    listed = client.get("/ideas/?status=expired&lang=en").get_data(as_text=True)
    assert idea.title in listed


def test_a_vote_after_the_deadline_is_refused_without_the_sweep(
    voting_idea: Callable[..., Idea], residents: Callable[..., list[User]]
) -> None:
    idea = voting_idea()
    clock.move(timedelta(days=92))
    with pytest.raises(BallotClosed):
        ideas.vote_for(idea, residents(1)[0])


def test_only_verified_residents_vote(
    voting_idea: Callable[..., Idea], residents: Callable[..., list[User]]
) -> None:
    idea = voting_idea()
    unverified = residents(1, verified=False)[0]
    with pytest.raises(NotVerified):
        ideas.vote_for(idea, unverified)
    db.session.rollback()
    verified = residents(1)[0]
    assert ideas.vote_for(idea, verified).created
    assert not ideas.vote_for(idea, verified).created  # once per resident
    assert ideas.withdraw_vote(idea, verified)
    db.session.commit()
    assert idea.ballot.tally == 0


def test_edit_until_screened_then_refused(
    submit: Callable[..., Idea], author: User, moderator: User, agency: Any
) -> None:
    idea = submit()
    data = ideas.IdeaData("More bins in the park", "Litter.", "Ten bins.", "afval", agency.id)
    assert ideas.edit_idea(author, idea, data)
    db.session.commit()
    assert idea.title == "More bins in the park"
    screening.accept_idea(moderator, idea)
    db.session.commit()
    changed = ideas.IdeaData("Other", "Litter.", "Ten bins.", "afval", agency.id)
    with pytest.raises(WrongState):
        ideas.edit_idea(author, idea, changed)
    db.session.rollback()
    assert db.session.get(Idea, idea.id).title == "More bins in the park"


def test_withdraw_by_author_only_before_screening(
    submit: Callable[..., Idea], author: User, residents: Callable[..., list[User]]
) -> None:
    idea = submit()
    from civic.errors import NotAllowed

    with pytest.raises(NotAllowed):
        ideas.withdraw_idea(residents(1)[0], idea)
    db.session.rollback()
    ideas.withdraw_idea(author, idea)
    db.session.commit()
    assert idea.status == IdeaStatus.WITHDRAWN
    assert audit_count("idea.withdrawn") == 1


def test_reject_needs_text_for_other_and_shows_reason_publicly(
    submit: Callable[..., Idea], moderator: User, client: Any
) -> None:
    from civic.errors import InvalidInput
    from proposals.rules import RejectReason

    idea = submit()
    with pytest.raises(InvalidInput):
        screening.reject_idea(moderator, idea, RejectReason.OTHER, "  ")
    db.session.rollback()
    screening.reject_idea(moderator, idea, RejectReason.ALREADY_PLANNED, "New bins in May.")
    db.session.commit()
    assert idea.status == IdeaStatus.REJECTED
    page = client.get(f"/ideas/{idea.id}?lang=en").get_data(as_text=True)
    assert "Rejected. Reason: It is already planned." in page
    assert "New bins in May." in page
    assert audit_count("idea.rejected") == 1


def test_merge_moves_votes_and_counts_a_voter_on_both_once(
    voting_idea: Callable[..., Idea], residents: Callable[..., list[User]], moderator: User
) -> None:
    source = voting_idea("Litter bins for the park")
    target = voting_idea("More litter bins in the park")
    a, b, c = residents(3)
    for idea, voter in [(source, a), (source, b), (target, b), (target, c)]:
        ideas.vote_for(idea, voter)
        db.session.commit()
    result = screening.merge_idea(moderator, source, target)
    db.session.commit()
    assert result is not None and (result.moved, result.already_voted) == (1, 1)
    db.session.refresh(source)
    db.session.refresh(target)
    assert source.status == IdeaStatus.MERGED and source.merged_into_id == target.id
    assert target.ballot.tally == 3
    assert source.ballot.tally == 0
    assert "merged_in" in kinds(target)
    # The merged ballot's close hook did not settle anything.
    clock.move(timedelta(days=92))
    jobs.sweep()
    db.session.commit()
    db.session.refresh(target)
    assert target.status == IdeaStatus.REACHED
    assert [p.origin_id for p in proposals()] == [target.id]


def test_merge_of_a_voting_idea_into_an_unscreened_one_is_refused(
    voting_idea: Callable[..., Idea], submit: Callable[..., Idea], moderator: User
) -> None:
    from civic.errors import InvalidInput

    source = voting_idea("Litter bins for the park")
    target = submit("More litter bins")
    with pytest.raises(InvalidInput):
        screening.merge_idea(moderator, source, target)


def test_three_distinct_reports_hide_until_a_moderator_decides(
    voting_idea: Callable[..., Idea],
    residents: Callable[..., list[User]],
    moderator: User,
    client: Any,
) -> None:
    idea = voting_idea()
    r1, r2, r3 = residents(3)
    assert not ideas.report_idea(r1, idea, "Rude")
    db.session.commit()
    with pytest.raises(ideas.AlreadyReported):
        ideas.report_idea(r1, idea, "Again")
    db.session.rollback()
    assert not ideas.report_idea(r2, idea, None)
    assert ideas.report_idea(r3, idea, "Insulting")
    db.session.commit()
    assert idea.hidden
    assert client.get(f"/ideas/{idea.id}").status_code == 404
    assert idea.title not in client.get("/ideas/").get_data(as_text=True)
    assert [i.id for i in screening.hidden_ideas()] == [idea.id]
    with pytest.raises(WrongState):
        ideas.vote_for(idea, residents(1)[0])
    db.session.rollback()
    screening.restore_idea(moderator, idea)
    db.session.commit()
    assert not idea.hidden
    assert client.get(f"/ideas/{idea.id}").status_code == 200
    assert audit_count("idea.hidden") == 1 and audit_count("idea.restored") == 1
    assert kinds(idea)[-2:] == ["hidden", "restored"]


def test_a_hidden_voting_idea_rejected_does_not_become_a_proposal(
    voting_idea: Callable[..., Idea], residents: Callable[..., list[User]], moderator: User
) -> None:
    from proposals.rules import RejectReason

    idea = voting_idea()
    voters = residents(6)
    for voter in voters[:3]:
        ideas.vote_for(idea, voter)
    for voter in voters[3:]:
        ideas.report_idea(voter, idea, "Abusive")
    db.session.commit()
    screening.reject_idea(moderator, idea, RejectReason.UNLAWFUL, None)
    db.session.commit()
    assert idea.status == IdeaStatus.REJECTED
    assert idea.ballot.status.value == "closed"
    clock.move(timedelta(days=92))
    jobs.sweep()
    db.session.commit()
    assert proposals() == []


def test_timeline_only_grows(voting_idea: Callable[..., Idea], moderator: User) -> None:
    idea = voting_idea()
    before = [(e.id, e.kind, e.at) for e in ideas.timeline(idea)]
    clock.move(timedelta(days=92))
    jobs.sweep()
    db.session.commit()
    after = [(e.id, e.kind, e.at) for e in ideas.timeline(idea)]
    assert after[: len(before)] == before
    assert after[-1][1] == EventKind.EXPIRED
    assert db.session.query(IdeaEvent).count() == len(after)
