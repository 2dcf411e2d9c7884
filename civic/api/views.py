"""Thin handlers of the open-data API: parse parameters, read records, answer conditionally."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for

from civic.api import bp, draw_records, pilot_records, records
from civic.api.draw_records import PublicDrawStatus
from civic.api.http import conditional_json
from civic.api.openapi import COLLECTIONS, openapi_document
from civic.api.params import MAX_ID, choice, integer, object_id, page, text, window
from proposals.models import ProposalStatus
from proposals.pilot_models import PilotStatus
from proposals.rules import IdeaStatus
from voting.rules import BallotStatus


def _args() -> Any:
    from flask import request

    return request.args


@bp.get("/")
def index() -> Response:
    """Links to every collection and to the OpenAPI document."""

    def build() -> dict[str, Any]:
        links = {n: url_for(f"api.{n}", _external=True) for n in COLLECTIONS}
        return {"links": {**links, "openapi": url_for("api.openapi", _external=True)}}

    return conditional_json(build)


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API."""
    return conditional_json(openapi_document)


@bp.get("/ideas")
def ideas() -> Response:
    """Public ideas, newest first; filter by status, service area or agency (slug)."""
    args = _args()
    win = window(args)
    filters = {
        "status": choice(args, "status", IdeaStatus),
        "area": text(args, "area"),
        "agency": text(args, "agency"),
    }
    return conditional_json(lambda: page(*records.ideas(win, **filters), win, filters))


@bp.get("/ideas/<int:idea_id>")
def idea(idea_id: int) -> Response:
    """One public idea."""
    return conditional_json(lambda: records.idea(object_id(idea_id)))


@bp.get("/ballots")
def ballots() -> Response:
    """Ballots, newest first, with counts per choice."""
    args = _args()
    win = window(args)
    filters = {
        "status": choice(args, "status", BallotStatus),
        "subject_type": text(args, "subject_type"),
    }
    return conditional_json(lambda: page(*records.ballots(win, **filters), win, filters))


@bp.get("/ballots/<int:ballot_id>")
def ballot(ballot_id: int) -> Response:
    """One ballot with counts per choice."""
    return conditional_json(lambda: records.ballot(object_id(ballot_id)))


@bp.get("/proposals")
def proposals() -> Response:
    """Proposals in the agencies' inboxes, newest first."""
    args = _args()
    win = window(args)
    filters = {"status": choice(args, "status", ProposalStatus), "agency": text(args, "agency")}
    return conditional_json(
        lambda: page(*records.proposals(win, **filters), win, filters), clock_bound=True
    )


@bp.get("/proposals/<int:proposal_id>")
def proposal(proposal_id: int) -> Response:
    """One proposal."""
    return conditional_json(lambda: records.proposal(object_id(proposal_id)), clock_bound=True)


@bp.get("/panels")
def panels() -> Response:
    """Panels with composition against the population, quotas and draw records."""
    win = window(_args())
    return conditional_json(lambda: page(*records.panels(win), win, {}))


@bp.get("/panels/<int:panel_id>")
def panel(panel_id: int) -> Response:
    """One panel."""
    return conditional_json(lambda: records.panel(object_id(panel_id)))


@bp.get("/agencies")
def agencies() -> Response:
    """Agencies with their figures."""
    win = window(_args())
    return conditional_json(lambda: page(*records.agencies(win), win, {}), clock_bound=True)


@bp.get("/agencies/<int:agency_id>")
def agency(agency_id: int) -> Response:
    """One agency with its figures."""
    return conditional_json(lambda: records.agency(object_id(agency_id)), clock_bound=True)


@bp.get("/draws")
def draws() -> Response:
    """Published and drawn draws by lot, newest first."""
    args = _args()
    win = window(args)
    filters = {
        "status": choice(args, "status", PublicDrawStatus),
        "purpose": text(args, "purpose"),
        "subject_id": integer(args, "subject_id", 0, 1, MAX_ID) or None,
    }
    return conditional_json(lambda: page(*draw_records.draws(win, **filters), win, filters))


@bp.get("/draws/<int:draw_id>")
def draw(draw_id: int) -> Response:
    """One public draw: the record's hashes, the seed and the selection."""
    return conditional_json(lambda: draw_records.draw(object_id(draw_id)))


@bp.get("/pilots")
def pilots() -> Response:
    """Pilots, newest first, with criteria, evaluation figures, decision and rollout."""
    args = _args()
    win = window(args)
    filters = {"status": choice(args, "status", PilotStatus), "agency": text(args, "agency")}
    return conditional_json(lambda: page(*pilot_records.pilots(win, **filters), win, filters))


@bp.get("/pilots/<int:pilot_id>")
def pilot(pilot_id: int) -> Response:
    """One pilot."""
    return conditional_json(lambda: pilot_records.pilot(object_id(pilot_id)))
