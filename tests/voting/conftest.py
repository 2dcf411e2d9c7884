"""Fixtures of the voting tests: a frozen clock, ballots and verified residents in bulk."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from civic import clock
from civic.accounts.models import Role, User
from civic.extensions import db
from tests.voting.support import T0
from voting import services


@pytest.fixture()
def frozen(app: Flask) -> Iterator[datetime]:
    """The clock stands still at T0 (the app fixture resets it afterwards).

    Also pushes a request context: CivicError renders its lazy message when raised, and the
    locale selector (civic/i18n.py) needs a request to do so.
    """
    clock.freeze(T0)
    with app.test_request_context("/?lang=en"):
        yield T0


@pytest.fixture()
def make_ballot(frozen: datetime) -> Callable[..., int]:
    """Factory: an open ballot (committed) that opened an hour ago; returns its id."""
    counter = {"n": 0}

    def factory(
        threshold: int | None = 10,
        days: int = 90,
        electorate: str = "verified_residents",
        subject_type: str = "idea",
        quorum: int | None = None,
    ) -> int:
        counter["n"] += 1
        ballot = services.open_ballot(
            subject_type,
            counter["n"],
            opens_at=frozen - timedelta(hours=1),
            closes_at=frozen + timedelta(days=days),
            threshold=threshold,
            electorate=electorate,
            quorum=quorum,
            actor="test",
        )
        db.session.commit()
        return int(ballot.id)

    return factory


@pytest.fixture()
def residents(app: Flask) -> Callable[[int], list[int]]:
    """Factory: `n` verified residents (committed in one go); returns their ids."""
    counter = {"n": 0}

    def factory(n: int, verified: bool = True) -> list[int]:
        users = []
        for _ in range(n):
            counter["n"] += 1
            users.append(
                User(
                    email=f"resident{counter['n']}@example.org",
                    password_hash="not-a-real-hash",
                    role=Role.RESIDENT,
                    email_confirmed_at=clock.now(),
                    verified_at=clock.now() if verified else None,
                )
            )
        db.session.add_all(users)
        db.session.commit()
        return [u.id for u in users]

    return factory


def hook_calls(kind: str, subject_type: str = "idea") -> Iterator[list[Any]]:
    """Register a hook for the test's duration; yields the list of calls it received."""
    calls: list[Any] = []
    if kind == "close":
        remove = services.on_close(subject_type, lambda ballot: calls.append(ballot.id))
    else:
        remove = services.on_milestone(subject_type, lambda b, m: calls.append((b.id, m)))
    try:
        yield calls
    finally:
        remove()


@pytest.fixture()
def closed_calls(app: Flask) -> Iterator[list[Any]]:
    yield from hook_calls("close")


@pytest.fixture()
def milestone_calls(app: Flask) -> Iterator[list[Any]]:
    yield from hook_calls("milestone")
