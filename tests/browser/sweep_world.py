"""The accessibility sweep's world: the authorization matrix's world (tests/authz/world.py,
one object of every kind a URL names) plus what makes pages show more of themselves: an idea
in every state (rejected, merged, expired, hidden after reports), a progress update on the
answered proposal and an internal note in its inbox item.

Logged-in personas log in through the real login form with PASSWORD.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from civic import clock
from civic.accounts.models import User
from civic.extensions import db
from panels.models import Invitation
from proposals import ideas, inbox, jobs, progress, screening
from proposals.models import Idea, ProgressStatus, Proposal
from proposals.rules import RejectReason
from tests.authz import world as authz_world
from tests.panels.panel_support import code_of

NOW = authz_world.NOW
CONFIG = authz_world.CONFIG
PASSWORD = "correct horse battery"  # every account of the authz world


@dataclass(frozen=True)
class Persona:
    """Who browses: `email` None means not logged in."""

    name: str
    email: str | None


PERSONAS: tuple[Persona, ...] = (
    Persona("anonymous", None),
    Persona("resident", "resident@example.org"),
    Persona("verified", "verified@example.org"),
    Persona("member", "member@example.org"),
    Persona("moderator", "moderator@example.org"),
    Persona("clerk", "clerk@example.org"),
    Persona("officer", "officer.a@example.org"),
    Persona("admin", "admin@example.org"),
)


@dataclass
class SweepWorld:
    """URL parameters (name → value), extra values per parameter (name → more values, e.g.
    every idea state) and the open invitation's reply code."""

    params: dict[str, Any]
    variants: dict[str, list[Any]]
    reply_code: str


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    return user


def _idea(author: User, agency_id: int, title: str) -> Any:
    data = ideas.IdeaData(title, "Too few places to sit.", "Add some.", "afval", agency_id)
    idea = ideas.submit_idea(author, data)
    db.session.flush()
    return idea


def _more_ideas(params: dict[str, Any]) -> dict[str, int]:
    """Expired, rejected, merged and hidden ideas next to the authz world's ones."""
    resident, moderator = _user("resident@example.org"), _user("moderator@example.org")
    agency_id = params["agency_id"]
    clock.freeze(NOW - timedelta(days=120))
    expired = _idea(resident, agency_id, "Shade trees on the market square")
    screening.accept_idea(moderator, expired)
    db.session.commit()
    clock.freeze(NOW)
    jobs.sweep()  # the expired idea's ballot closed without enough votes
    rejected = _idea(resident, agency_id, "Free parking everywhere")
    screening.reject_idea(moderator, rejected, RejectReason.OUTSIDE_REMIT, None)
    merged = _idea(resident, agency_id, "More benches by the canal")
    screening.merge_idea(moderator, merged, db.session.get(Idea, params["idea_id"]))
    hidden = _idea(resident, agency_id, "A skate park behind the library")
    screening.accept_idea(moderator, hidden)
    for reporter in ("verified@example.org", "voter1@example.org", "voter2@example.org"):
        ideas.report_idea(_user(reporter), hidden, "Offensive")
    db.session.commit()
    return {
        "expired": expired.id,
        "rejected": rejected.id,
        "merged": merged.id,
        "hidden": hidden.id,
    }


def _progress(params: dict[str, Any]) -> None:
    officer = _user("officer.a@example.org")
    proposal = db.session.get(Proposal, params["proposal_id"])
    assert proposal is not None
    data = progress.ProgressData(
        ProgressStatus.IN_PROGRESS, 40, "Five bins are in place.", clock.local(NOW).date()
    )
    progress.add_update(officer, proposal, data)
    inbox.add_note(officer, proposal, "Budget confirmed with finance.")
    db.session.commit()


def build_sweep_world(app: Flask) -> SweepWorld:
    """Build the authz world and the additions on `app`'s empty database; commit."""
    base = authz_world.build_world(app)
    params = dict(base.params)
    with app.test_request_context("/"):
        more = _more_ideas(params)
        _progress(params)
        invitation = db.session.get(Invitation, params["invitation_id"])
        assert invitation is not None
        reply_code = code_of(invitation)
    alt = base.alternatives
    ideas_in_every_state = [
        params["idea_id"],  # voting
        alt["submitted_idea_id"],
        alt["withdrawn_idea_id"],
        alt["reached_idea_id"],
        *more.values(),
    ]
    variants: dict[str, list[Any]] = {
        "idea_id": ideas_in_every_state,
        "token": [alt["unsubscribe_token"]],
    }
    return SweepWorld(params=params, variants=variants, reply_code=reply_code)
