"""Fixtures of the privacy tests: a frozen clock, a small register, an idea open for votes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from civic.accounts.models import Role, User
from civic.extensions import db
from proposals import ideas, screening
from proposals.models import Idea
from tests.panels.panel_support import adults, load_register, start_clock


@pytest.fixture(autouse=True)
def register(app: Flask, client: FlaskClient) -> Iterator[None]:
    """Three adults in the register; pages and messages in English; the clock frozen."""
    start_clock()
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    app.config["IDEA_VOTE_RULES"] = {"afval": {"threshold": 3, "months": 3}}
    load_register(adults(3))
    with app.test_request_context("/?lang=en"), force_locale("en"):
        yield


@pytest.fixture()
def clerk(make_user: Callable[..., User]) -> User:
    return make_user(Role.CLERK, email="clerk@example.org")


@pytest.fixture()
def voting_idea(make_agency: Callable[..., Any], make_user: Callable[..., User]) -> Idea:
    """An idea by another resident, accepted for voting (committed)."""
    agency = make_agency("Afdeling Afval", service_areas="afval")
    author = make_user(Role.RESIDENT, verified=True, email="author@example.org")
    idea = ideas.submit_idea(
        author,
        ideas.IdeaData(
            "More litter bins in the park",
            "Litter everywhere after weekends.",
            "Place ten more bins.",
            "afval",
            agency.id,
        ),
    )
    screening.accept_idea(make_user(Role.MODERATOR), idea)
    db.session.commit()
    return idea
