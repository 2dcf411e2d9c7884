"""Fixtures of the ideas tests: a frozen clock, an agency, people in every role, ideas."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask

from civic import clock
from civic.accounts.models import Role, User
from civic.extensions import db
from proposals import ideas, screening
from proposals.models import Idea
from tests.proposals.support import T0


@pytest.fixture()
def frozen(app: Flask) -> Iterator[datetime]:
    """The clock stands still at T0; a request context renders lazy error messages."""
    clock.freeze(T0)
    app.config["IDEA_VOTE_RULES"] = {"afval": {"threshold": 3, "months": 3}}
    with app.test_request_context("/?lang=en"):
        yield T0


@pytest.fixture()
def agency(frozen: datetime, make_agency: Callable[..., Any]) -> Any:
    return make_agency("Afdeling Afval", service_areas="afval,parken", response_days=56)


@pytest.fixture()
def moderator(frozen: datetime, make_user: Callable[..., User]) -> User:
    return make_user(Role.MODERATOR)


@pytest.fixture()
def author(frozen: datetime, make_user: Callable[..., User]) -> User:
    return make_user(Role.RESIDENT, verified=True)


@pytest.fixture()
def residents(frozen: datetime, make_user: Callable[..., User]) -> Callable[..., list[User]]:
    """Factory: `n` residents, verified unless told otherwise."""

    def factory(n: int, verified: bool = True) -> list[User]:
        return [make_user(Role.RESIDENT, verified=verified) for _ in range(n)]

    return factory


@pytest.fixture()
def submit(agency: Any, author: User) -> Callable[..., Idea]:
    """Factory: a submitted idea (committed)."""

    def factory(
        title: str = "More litter bins in the park",
        by: User | None = None,
        area: str = "afval",
        problem: str = "Litter everywhere after weekends.",
    ) -> Idea:
        idea = ideas.submit_idea(
            by or author,
            ideas.IdeaData(title, problem, "Place ten more bins.", area, agency.id),
        )
        db.session.commit()
        return idea

    return factory


@pytest.fixture()
def voting_idea(submit: Callable[..., Idea], moderator: User) -> Callable[..., Idea]:
    """Factory: a submitted idea accepted for voting (committed)."""

    def factory(title: str = "More litter bins in the park", **kw: Any) -> Idea:
        idea = submit(title, **kw)
        screening.accept_idea(moderator, idea)
        db.session.commit()
        return idea

    return factory
