"""The issue's acceptance test: erase and re-register cannot vote twice."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from civic.accounts.models import User
from civic.audit.services import verify_chain
from civic.extensions import db
from panels.models import ResidentLink
from proposals.models import Idea
from tests.civic.account_support import audit_rows, log_in
from tests.panels.panel_support import person
from tests.privacy.support import ballot_counts, clerk_code, erase, new_resident, verify, vote
from voting.models import Vote

EMAIL = "ann@example.org"


def test_erase_and_register_again_cannot_vote_twice(
    app: Flask, client: FlaskClient, clerk: User, voting_idea: Idea
) -> None:
    # A resident signs up, verifies as register person A1 and votes.
    new_resident(client, EMAIL, name="Ann de Vries")
    assert verify(client, clerk_code(clerk, "A1")).status_code == 302
    assert vote(client, voting_idea.id).status_code == 303
    ballot_id = voting_idea.ballot_id
    assert ballot_counts(ballot_id) == (1, 1)
    first = db.session.scalar(select(User).where(User.email == EMAIL))
    assert first is not None

    # She erases her account.
    assert erase(client).status_code == 302
    assert ballot_counts(ballot_id) == (1, 1)
    assert log_in(client, EMAIL).status_code == 401

    # She signs up again with the same address and asks the clerk for a new code.
    fresh = app.test_client()
    new_resident(fresh, EMAIL, name="Ann de Vries")
    second = db.session.scalar(select(User).where(User.email == EMAIL))
    assert second is not None and second.id != first.id
    refused = verify(fresh, clerk_code(clerk, "A1"))
    assert refused.status_code == 422
    assert "This resident is already linked to another account." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(User, second.id).is_verified
    link = db.session.scalar(select(ResidentLink).where(ResidentLink.person_id == person("A1").id))
    assert link is not None and link.user_id == first.id

    # The new account cannot vote; the tally still counts her one vote.
    refused_vote = vote(fresh, voting_idea.id)
    assert refused_vote.status_code == 403
    assert ballot_counts(ballot_id) == (1, 1)
    voters = db.session.scalars(select(Vote.voter_id).where(Vote.ballot_id == ballot_id)).all()
    assert voters == [first.id]
    assert len(audit_rows("account.erased")) == 1
    assert verify_chain()[1] is None


def test_another_register_person_can_still_verify(
    client: FlaskClient, clerk: User, voting_idea: Idea, app: Any
) -> None:
    """Only the erased person is held back: the new account is verified for someone else."""
    new_resident(client, EMAIL)
    assert verify(client, clerk_code(clerk, "A1")).status_code == 302
    assert erase(client).status_code == 302
    fresh = app.test_client()
    new_resident(fresh, "bob@example.org")
    assert verify(fresh, clerk_code(clerk, "A2")).status_code == 302
    assert vote(fresh, voting_idea.id).status_code == 303
    assert ballot_counts(voting_idea.ballot_id) == (1, 1)
