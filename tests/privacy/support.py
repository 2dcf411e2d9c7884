"""Helpers of the privacy tests (importable, unlike conftest)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from civic.extensions import db
from panels import verification
from tests.civic.account_support import PASSWORD, confirm_via_outbox, log_in, post, signup
from voting.models import Ballot, Vote


def new_resident(client: FlaskClient, email: str, name: str = "") -> None:
    """Sign up on the web, confirm through the mailed link and log in."""
    assert signup(client, email, name=name).status_code == 200
    assert confirm_via_outbox(client, email).status_code == 302
    assert log_in(client, email).status_code == 302


def clerk_code(clerk: Any, register_id: str) -> str:
    """A fresh verification code for a register person, as a clerk hands it out."""
    _, code = verification.clerk_issue_code(clerk, register_id)
    db.session.commit()
    return code


def verify(client: FlaskClient, code: str) -> Any:
    """Type a letter code on the verification page."""
    return post(client, "/panels/verify", {"code": code})


def vote(client: FlaskClient, idea_id: int) -> Any:
    """Press the vote button of an idea."""
    return post(client, f"/ideas/{idea_id}/vote", {}, f"/ideas/{idea_id}")


def erase(client: FlaskClient, password: str = PASSWORD, confirm: bool = True) -> Any:
    """Fill in the erasure form."""
    data = {"erase-password": password}
    if confirm:
        data["erase-confirm"] = "y"
    return post(client, "/account/privacy/erase", data, "/account/privacy/")


def ballot_counts(ballot_id: int) -> tuple[int, int]:
    """(stored tally, vote rows) of a ballot."""
    db.session.expire_all()
    tally = db.session.get(Ballot, ballot_id).tally
    rows = db.session.scalar(select(func.count()).where(Vote.ballot_id == ballot_id))
    return tally, int(rows or 0)
