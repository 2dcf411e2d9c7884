"""Two deadline sweeps at once: one transition, one proposal."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask

from civic import clock
from civic.accounts.models import User
from civic.extensions import db
from proposals import ideas, jobs
from proposals.models import Idea
from proposals.rules import IdeaStatus
from tests.proposals.support import audit_count, proposals

TIMEOUT = 60


def _sweep_in_thread(app: Flask, barrier: threading.Barrier, out: list[Any]) -> None:
    with app.app_context(), app.test_request_context():
        try:
            barrier.wait()
            out.append([b.id for b in jobs.sweep()])
            db.session.commit()
        except BaseException as error:  # noqa: BLE001 - reported to the test
            out.append(error)
        finally:
            db.session.remove()


def test_two_sweeps_at_once_make_one_proposal(
    app: Flask, voting_idea: Callable[..., Idea], residents: Callable[..., list[User]]
) -> None:
    idea = voting_idea()
    for voter in residents(3):
        ideas.vote_for(idea, voter)
    db.session.commit()
    clock.move(timedelta(days=92))  # the scheduler was down at the deadline
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    results: list[Any] = []
    threads = [
        threading.Thread(target=_sweep_in_thread, args=(app, barrier, results)) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "a sweep hung"
    assert sorted(results, key=len) == [[], [idea.ballot_id]], results
    db.session.expire_all()
    assert db.session.get_one(Idea, idea.id).status == IdeaStatus.REACHED
    assert len(proposals()) == 1
    assert audit_count("idea.reached") == 1 and audit_count("proposal.created") == 1
