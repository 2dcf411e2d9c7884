"""Two officers publish the same draft at once: both check before either writes (a barrier
just before the first write of each), and exactly one version is published."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from civic.accounts.models import User
from civic.errors import Conflict
from civic.extensions import db
from civic.notifications.models import Notification
from proposals import answers
from proposals.answers import AnswerData
from proposals.models import AnswerKind, Idea, Proposal
from tests.proposals.inbox_support import officer_of, reach
from tests.proposals.support import audit_count

TIMEOUT = 60


@pytest.fixture()
def gate(app: Flask) -> Iterator[threading.Barrier]:
    """Threads in `armed` wait here right before their first write to proposal_answer."""
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    armed: set[int] = set()

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        me = threading.get_ident()
        if me in armed and statement.lstrip().upper().startswith("UPDATE PROPOSAL_ANSWER"):
            armed.discard(me)
            barrier.wait()

    barrier.armed = armed  # type: ignore[attr-defined]
    event.listen(db.engine, "before_cursor_execute", before)
    yield barrier
    event.remove(db.engine, "before_cursor_execute", before)


def _publish(app: Flask, gate: Any, officer_id: int, proposal_id: int, out: list[Any]) -> None:
    with app.app_context(), app.test_request_context():
        gate.armed.add(threading.get_ident())
        try:
            officer = db.session.get_one(User, officer_id)
            answers.publish(officer, db.session.get_one(Proposal, proposal_id))
            db.session.commit()
            out.append("published")
        except Conflict as error:
            db.session.rollback()
            out.append(type(error).__name__)
        except BaseException as error:  # noqa: BLE001 - reported to the test
            out.append(error)
        finally:
            db.session.remove()


def test_one_of_two_simultaneous_publications_wins(
    app: Flask,
    gate: Any,
    voting_idea: Callable[..., Idea],
    residents: Callable[..., list[User]],
    make_user: Callable[..., User],
    agency: Any,
) -> None:
    reached = reach(voting_idea, residents)
    first, second = officer_of(make_user, agency), officer_of(make_user, agency)
    data = AnswerData(AnswerKind.ADOPTED, "Yes", "We place ten bins.")
    answers.save_draft(first, reached.proposal, data)
    db.session.commit()
    ids = (first.id, second.id)
    pid = reached.proposal.id
    results: list[Any] = []
    threads = [
        threading.Thread(target=_publish, args=(app, gate, oid, pid, results)) for oid in ids
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "a publication hung"
    assert sorted(map(str, results)) == ["AnswerChanged", "published"], results
    db.session.expire_all()
    proposal = db.session.get_one(Proposal, pid)
    assert [a.version for a in answers.published_answers(proposal)] == [1]
    assert audit_count("proposal.answer_published") == 1
    told = select(func.count()).select_from(Notification).where(Notification.kind == "answer")
    assert db.session.scalar(told) == 4
