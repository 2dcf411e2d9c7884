"""Concurrent votes and closes, each in its own thread, app context, session and transaction.

Interleavings are forced with barriers placed between the checks and the writes; nothing
sleeps. The database (SQLite file or PostgreSQL) is the one the `app` fixture made.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from flask import Flask

from civic import clock
from civic.audit.services import verify_chain
from civic.extensions import db
from tests.voting.support import audit_count, tally, user, vote_rows
from voting import services
from voting.models import Ballot
from voting.rules import BallotStatus
from voting.services import BallotClosed

TIMEOUT = 60


def in_thread(app: Flask, work: Callable[[], Any]) -> Any:
    """Run `work` in a fresh app context (its own session), commit, return its result."""
    with app.app_context(), app.test_request_context():
        try:
            result = work()
            db.session.commit()
            return result
        finally:
            db.session.remove()


def run_together(*calls: Callable[[], Any]) -> list[Any]:
    """Start every call on its own thread and return results (or raised errors) in order."""
    results: list[Any] = [None] * len(calls)

    def runner(index: int, call: Callable[[], Any]) -> None:
        try:
            results[index] = call()
        except BaseException as error:  # noqa: BLE001 - returned to the test
            results[index] = error

    threads = [threading.Thread(target=runner, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "a thread hung"
    return results


def test_one_resident_votes_twice_at_once(
    app: Flask, make_ballot: Callable[..., int], residents: Callable[..., list[int]]
) -> None:
    """Both requests pass every check (no vote yet, eligible) before either writes."""
    ballot_id = make_ballot()
    [voter_id] = residents(1)
    barrier = threading.Barrier(2, timeout=TIMEOUT)

    def eligible_after_both_checked(voter: Any, ballot: Ballot) -> bool:
        barrier.wait()  # both have seen "no vote yet"; now both race to insert
        return True

    def vote() -> tuple[bool, int, int]:
        def work() -> tuple[bool, int, int]:
            result = services.cast_vote(
                ballot_id, user(voter_id), eligible=eligible_after_both_checked
            )
            return result.created, result.tally, result.vote.id

        return in_thread(app, work)  # type: ignore[no-any-return]

    first, second = run_together(vote, vote)
    assert not isinstance(first, BaseException), first
    assert not isinstance(second, BaseException), second
    assert sorted([first[0], second[0]]) == [False, True]  # one counted, one told "already"
    assert first[2] == second[2]  # both answered with the same vote
    assert first[1] == second[1] == 1
    db.session.expire_all()
    assert tally(ballot_id) == vote_rows(ballot_id) == 1
    assert audit_count("vote.cast", ballot_id) == 1
    assert verify_chain()[1] is None


def test_two_hundred_residents_vote_concurrently(
    app: Flask,
    make_ballot: Callable[..., int],
    residents: Callable[..., list[int]],
    milestone_calls: list[Any],
) -> None:
    ballot_id = make_ballot(threshold=300)  # milestones at 100 and 200 votes
    voters = residents(200)
    start = threading.Barrier(8, timeout=TIMEOUT)
    started = threading.local()

    def vote(voter_id: int) -> bool:
        if not getattr(started, "yes", False):  # every worker starts at the same moment
            started.yes = True
            start.wait()
        return in_thread(  # type: ignore[no-any-return]
            app, lambda: services.cast_vote(ballot_id, user(voter_id)).created
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(vote, voters, timeout=TIMEOUT * 4))
    assert all(created)
    db.session.expire_all()
    assert tally(ballot_id) == vote_rows(ballot_id) == 200
    assert audit_count("vote.cast", ballot_id) == 200
    assert sorted(m for _, m in milestone_calls) == [Fraction(1, 3), Fraction(2, 3)]
    checked, broken = verify_chain()
    assert broken is None
    assert checked == 1 + 200 + 2  # opened, votes, two milestones


def test_vote_that_passed_its_checks_loses_to_the_close(
    app: Flask, make_ballot: Callable[..., int], residents: Callable[..., list[int]]
) -> None:
    """The check said open; the sweep closes and commits before the vote writes."""
    ballot_id = make_ballot(days=1)
    [voter_id] = residents(1)
    closes_at = clock.now() + timedelta(days=1)
    closed: list[Any] = []

    def eligible_while_the_sweep_runs(voter: Any, ballot: Ballot) -> bool:
        closed.extend(run_together(lambda: in_thread(app, lambda: _close_at(closes_at))))
        return True

    error = run_together(
        lambda: in_thread(
            app,
            lambda: services.cast_vote(
                ballot_id,
                user(voter_id),
                eligible=eligible_while_the_sweep_runs,
                now=closes_at - timedelta(seconds=1),
            ),
        )
    )[0]
    assert isinstance(error, BallotClosed), error
    assert closed == [[ballot_id]]
    db.session.expire_all()
    assert tally(ballot_id) == vote_rows(ballot_id) == 0
    assert audit_count("vote.cast") == 0


def _close_at(now: datetime) -> list[int]:
    return [b.id for b in services.close_due_ballots(now)]


def test_deadline_sweep_run_twice_concurrently_closes_once(
    app: Flask,
    make_ballot: Callable[..., int],
    residents: Callable[..., list[int]],
    closed_calls: list[Any],
) -> None:
    ballot_id = make_ballot(days=90, threshold=2)
    for voter_id in residents(2):
        services.cast_vote(ballot_id, user(voter_id))
    db.session.commit()
    clock.move(timedelta(days=90, seconds=1))  # the scheduler was down at the deadline
    barrier = threading.Barrier(2, timeout=TIMEOUT)

    def sweep() -> list[int]:
        barrier.wait()
        return in_thread(app, lambda: _close_at(clock.now()))  # type: ignore[no-any-return]

    first, second = run_together(sweep, sweep)
    assert sorted([first, second]) == [[], [ballot_id]]
    assert in_thread(app, lambda: _close_at(clock.now())) == []  # and a third, late run
    assert closed_calls == [ballot_id]
    db.session.expire_all()
    ballot = db.session.get_one(Ballot, ballot_id)
    assert (ballot.status, ballot.outcome) == (BallotStatus.CLOSED, "reached")
    assert audit_count("ballot.closed", ballot_id) == 1


def test_concurrent_withdrawals_by_the_same_voter_count_once(
    app: Flask,
    make_ballot: Callable[..., int],
    residents: Callable[..., list[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ballot_id = make_ballot()
    voter_id, other = residents(2)
    for voter in (voter_id, other):
        services.cast_vote(ballot_id, user(voter))
    db.session.commit()
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    real_vote_of = services.vote_of

    def withdraw() -> bool:
        return in_thread(  # type: ignore[no-any-return]
            app, lambda: services.withdraw_vote(ballot_id, user(voter_id))
        )

    def vote_of_then_wait(ballot: int, voter: int) -> Any:
        found = real_vote_of(ballot, voter)
        barrier.wait()  # both saw the vote before either deletes it
        return found

    # The real lookup, followed by a barrier: a hook between the check and the delete.
    monkeypatch.setattr(services, "vote_of", vote_of_then_wait)
    results = run_together(withdraw, withdraw)
    assert sorted(results) == [False, True]
    db.session.expire_all()
    assert tally(ballot_id) == vote_rows(ballot_id) == 1
    assert audit_count("vote.withdrawn", ballot_id) == 1
