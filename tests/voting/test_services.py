"""Ballot services on the real database: open, vote, withdraw, close, merge, reconcile."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from civic import clock
from civic.audit.services import entries_for, verify_chain
from civic.errors import Conflict, InvalidInput, NotAllowed
from civic.extensions import db
from tests.voting.support import audit_count, tally, user, vote_rows
from voting import services
from voting.models import Ballot
from voting.rules import BallotStatus, Choice, Outcome
from voting.services import AlreadyVoted, BallotClosed, BallotNotOpenYet, NotInElectorate


def english(error: BaseException, app: Flask) -> str:
    with app.test_request_context("/?lang=en"):
        return str(getattr(error, "message", error))


def test_open_ballot_is_audited(make_ballot: Callable[..., int]) -> None:
    ballot_id = make_ballot(threshold=2000)
    ballot = db.session.get_one(Ballot, ballot_id)
    assert (ballot.status, ballot.tally, ballot.outcome) == (BallotStatus.OPEN, 0, None)
    [entry] = entries_for("Ballot", str(ballot_id))
    assert entry.action == "ballot.opened"
    assert '"threshold":2000' in entry.after


def test_open_ballot_refuses_bad_settings(app: Flask, frozen: datetime) -> None:
    kwargs: dict[str, Any] = {"threshold": 10, "electorate": "verified_residents", "actor": None}
    with pytest.raises(InvalidInput) as caught:
        services.open_ballot("idea", 1, opens_at=frozen, closes_at=frozen, **kwargs)
    assert english(caught.value, app) == "The closing time must be after the opening time."
    later = frozen + timedelta(days=1)
    with pytest.raises(InvalidInput):
        services.open_ballot(
            "idea", 1, opens_at=frozen, closes_at=later, **{**kwargs, "threshold": 0}
        )
    with pytest.raises(InvalidInput):
        services.open_ballot(
            "idea", 1, opens_at=frozen, closes_at=later, **{**kwargs, "electorate": "martians"}
        )
    services.open_ballot("idea", 1, opens_at=frozen, closes_at=later, **kwargs)
    with pytest.raises(Conflict) as caught:
        services.open_ballot("idea", 1, opens_at=frozen, closes_at=later, **kwargs)
    assert english(caught.value, app) == "Voting on this is already open."


def test_cast_vote_counts_once_and_repeats_idempotently(
    make_ballot: Callable[..., int], residents: Callable[..., list[int]]
) -> None:
    ballot_id = make_ballot()
    [voter_id] = residents(1)
    first = services.cast_vote(ballot_id, user(voter_id))
    db.session.commit()
    again = services.cast_vote(ballot_id, user(voter_id))
    db.session.commit()
    assert (first.created, first.tally) == (True, 1)
    assert (again.created, again.tally, again.vote.id) == (False, 1, first.vote.id)
    assert tally(ballot_id) == vote_rows(ballot_id) == 1
    assert audit_count("vote.cast", ballot_id) == 1


def test_refusals_have_clear_messages(
    app: Flask,
    make_ballot: Callable[..., int],
    residents: Callable[..., list[int]],
    frozen: datetime,
) -> None:
    idea = make_ballot()
    [unverified] = residents(1, verified=False)
    [resident] = residents(1)
    with pytest.raises(NotInElectorate) as caught:
        services.cast_vote(idea, user(unverified))
    assert isinstance(caught.value, NotAllowed)
    assert english(caught.value, app) == "You are not among the people who can vote on this."
    with pytest.raises(InvalidInput) as caught:
        services.cast_vote(idea, user(resident), choice="no")  # ideas only count support
    assert english(caught.value, app) == "This is not a valid choice for this vote."
    with pytest.raises(BallotNotOpenYet):
        services.cast_vote(idea, user(resident), now=frozen - timedelta(hours=2))
    panel = make_ballot(threshold=None, subject_type="recommendation")
    services.cast_vote(panel, user(resident), choice=Choice.NO)
    with pytest.raises(AlreadyVoted) as caught:
        services.cast_vote(panel, user(resident), choice=Choice.YES)
    assert "Withdraw your vote first" in english(caught.value, app)
    db.session.commit()
    assert tally(idea) == vote_rows(idea) == 0
    assert tally(panel) == vote_rows(panel) == 1


def test_vote_one_second_after_the_close_is_refused_without_any_sweep(
    app: Flask, make_ballot: Callable[..., int], residents: Callable[..., list[int]]
) -> None:
    ballot_id = make_ballot(days=90)
    [voter_id] = residents(1)
    clock.move(timedelta(days=90, seconds=1))  # the scheduler is down: nobody closed it
    with pytest.raises(BallotClosed) as caught:
        services.cast_vote(ballot_id, user(voter_id))
    assert english(caught.value, app) == "Voting on this has closed."
    db.session.rollback()
    assert db.session.get_one(Ballot, ballot_id).status is BallotStatus.OPEN  # row still says so
    assert tally(ballot_id) == vote_rows(ballot_id) == 0
    assert audit_count("vote.cast") == 0


def test_withdraw_until_the_close(
    app: Flask, make_ballot: Callable[..., int], residents: Callable[..., list[int]]
) -> None:
    ballot_id = make_ballot(days=10)
    first, second = residents(2)
    for voter_id in (first, second):
        services.cast_vote(ballot_id, user(voter_id))
    db.session.commit()
    assert services.withdraw_vote(ballot_id, user(first)) is True
    db.session.commit()
    assert tally(ballot_id) == vote_rows(ballot_id) == 1
    assert services.withdraw_vote(ballot_id, user(first)) is False  # nothing left to withdraw
    assert audit_count("vote.withdrawn", ballot_id) == 1
    assert services.cast_vote(ballot_id, user(first)).created  # may vote again before the close
    db.session.commit()
    clock.move(timedelta(days=10))
    with pytest.raises(BallotClosed) as caught:
        services.withdraw_vote(ballot_id, user(second))
    assert "can no longer be withdrawn" in english(caught.value, app)
    db.session.rollback()
    assert tally(ballot_id) == vote_rows(ballot_id) == 2


def test_close_due_ballots_exactly_once_with_hook(
    make_ballot: Callable[..., int],
    residents: Callable[..., list[int]],
    closed_calls: list[Any],
) -> None:
    reached, expired, later = (
        make_ballot(threshold=2),
        make_ballot(threshold=3),
        make_ballot(days=99),
    )
    for voter_id in residents(2):
        services.cast_vote(reached, user(voter_id))
        services.cast_vote(expired, user(voter_id))
    db.session.commit()
    clock.move(timedelta(days=90, seconds=1))
    closed = services.close_due_ballots()
    db.session.commit()
    assert [(b.id, b.outcome) for b in closed] == [
        (reached, Outcome.REACHED),
        (expired, Outcome.EXPIRED),
    ]
    assert services.close_due_ballots() == []
    db.session.commit()
    assert closed_calls == [reached, expired]
    assert audit_count("ballot.closed") == 2
    assert db.session.get_one(Ballot, later).status is BallotStatus.OPEN


def test_a_stale_view_of_the_ballot_does_not_close_it_twice(
    app: Flask, make_ballot: Callable[..., int], closed_calls: list[Any]
) -> None:
    ballot_id = make_ballot(days=1)
    clock.move(timedelta(days=1))
    stale = db.session.get_one(Ballot, ballot_id)
    assert stale.status is BallotStatus.OPEN  # loaded before another process closes it
    with app.app_context():
        assert [b.id for b in services.close_due_ballots()] == [ballot_id]
        db.session.commit()
        db.session.remove()
    assert services.close_due_ballots() == []
    db.session.commit()
    assert closed_calls == [ballot_id]
    assert audit_count("ballot.closed", ballot_id) == 1


def test_majority_ballot_with_quorum_and_early_close(
    make_ballot: Callable[..., int], residents: Callable[..., list[int]], frozen: datetime
) -> None:
    adopted = make_ballot(threshold=None, quorum=3, subject_type="recommendation")
    short = make_ballot(threshold=None, quorum=3, subject_type="recommendation")
    members = residents(3)
    for voter_id, choice in zip(members, ("yes", "no", "yes"), strict=True):
        services.cast_vote(adopted, user(voter_id), choice=choice)
    services.cast_vote(short, user(members[0]), choice="yes")
    assert services.close_ballot(adopted, actor="chair").outcome is Outcome.ADOPTED
    assert services.close_ballot(short, actor="chair").outcome is Outcome.NO_QUORUM
    with pytest.raises(BallotClosed):
        services.close_ballot(short, actor="chair")
    db.session.commit()
    closed = db.session.get_one(Ballot, adopted)
    assert (closed.status, closed.closed_at) == (BallotStatus.CLOSED, frozen)


def test_milestones_are_announced_once_each(
    make_ballot: Callable[..., int],
    residents: Callable[..., list[int]],
    milestone_calls: list[Any],
) -> None:
    ballot_id = make_ballot(threshold=6)  # 1/3 at 2 votes, 2/3 at 4 votes
    voters = residents(5)
    for voter_id in voters[:2]:
        services.cast_vote(ballot_id, user(voter_id))
    services.withdraw_vote(ballot_id, user(voters[1]))
    for voter_id in voters[1:]:
        services.cast_vote(ballot_id, user(voter_id))
    db.session.commit()
    assert milestone_calls == [(ballot_id, Fraction(1, 3)), (ballot_id, Fraction(2, 3))]
    assert db.session.get_one(Ballot, ballot_id).milestones_notified == 0b11
    assert audit_count("ballot.milestone", ballot_id) == 2


def test_merge_counts_nobody_twice(
    make_ballot: Callable[..., int], residents: Callable[..., list[int]], closed_calls: list[Any]
) -> None:
    source, into = make_ballot(), make_ballot()
    a, b, c = residents(3)
    for voter_id in (a, b):
        services.cast_vote(source, user(voter_id))
    for voter_id in (b, c):
        services.cast_vote(into, user(voter_id))
    db.session.commit()
    result = services.merge_ballot(source, into, actor="moderator")
    db.session.commit()
    assert (result.moved, result.already_voted) == (1, 1)
    assert tally(into) == vote_rows(into) == 3
    assert tally(source) == vote_rows(source) == 0
    merged = db.session.get_one(Ballot, source)
    assert (merged.outcome, merged.merged_into_id) == (Outcome.MERGED, into)
    assert closed_calls == [source]
    with pytest.raises(BallotClosed):
        services.cast_vote(source, user(a))


def test_reconcile_repairs_drift_and_audits_it(
    make_ballot: Callable[..., int], residents: Callable[..., list[int]]
) -> None:
    drifted, fine = make_ballot(), make_ballot()
    for voter_id in residents(3):
        services.cast_vote(drifted, user(voter_id))
        services.cast_vote(fine, user(voter_id))
    db.session.commit()
    db.session.execute(update(Ballot).where(Ballot.id == drifted).values(tally=8))
    db.session.commit()
    repairs = services.reconcile_tallies()
    db.session.commit()
    assert [(r.ballot_id, r.recorded, r.counted) for r in repairs] == [(drifted, 8, 3)]
    assert tally(drifted) == vote_rows(drifted) == 3
    assert services.reconcile_tallies() == []
    [entry] = [e for e in entries_for("Ballot", str(drifted)) if e.action == "tally.repaired"]
    assert (entry.before, entry.after) == ('{"tally":8}', '{"tally":3}')
    assert verify_chain()[1] is None


def test_jobs_register_with_the_scheduler() -> None:
    from civic.scheduling.services import registered_jobs
    from voting import jobs

    jobs.register_jobs()
    jobs.register_jobs()  # idempotent
    names = {job.name for job in registered_jobs()}
    assert {"voting.close_due_ballots", "voting.reconcile_tallies"} <= names


def test_close_hooks_run_in_the_closing_transaction(
    app: Flask, make_ballot: Callable[..., int]
) -> None:
    """A hook that fails undoes the close; the next sweep closes the ballot again, once."""
    ballot_id = make_ballot(days=1)
    clock.move(timedelta(days=1))

    def failing(ballot: Ballot) -> None:
        raise RuntimeError("inbox unavailable")

    remove = services.on_close("idea", failing)
    try:
        with pytest.raises(RuntimeError):
            services.close_due_ballots()
    finally:
        remove()
    db.session.rollback()
    assert db.session.get_one(Ballot, ballot_id).status is BallotStatus.OPEN
    assert audit_count("ballot.closed") == 0
    assert [b.id for b in services.close_due_ballots()] == [ballot_id]
    db.session.commit()
    assert audit_count("ballot.closed", ballot_id) == 1


def test_messages_are_dutch_by_default(app: Flask) -> None:
    with app.test_request_context("/"):
        assert str(BallotClosed().message) == "De stemming hierover is gesloten."
