"""Pilots in the open-data API: set-up, criteria with targets, verdict counts per criterion,
go / no-go with reasons, rollout dates and the public tester draw; testers as counts only."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from civic import clock
from proposals.pilot_models import DEFAULT_WEEKS
from tests.api.draw_world import DrawWorld, seed_draw_world


@pytest.fixture()
def dw(app: Flask) -> DrawWorld:
    return seed_draw_world(app)


def _get(client: FlaskClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_json()


def test_list_newest_first_with_filters(client: FlaskClient, dw: DrawWorld) -> None:
    body = _get(client, "/api/v1/pilots")
    assert [p["id"] for p in body["items"]] == [dw.setup.id, dw.recruiting.id, dw.pilot.id]
    assert body["total"] == 3
    planned = _get(client, "/api/v1/pilots?status=rollout_planned&agency=wegen")
    assert [p["id"] for p in planned["items"]] == [dw.pilot.id]
    assert planned["links"]["self"].endswith(
        "status=rollout_planned&agency=wegen&limit=20&offset=0"
    )
    assert _get(client, "/api/v1/pilots?agency=afval")["total"] == 0
    first = _get(client, "/api/v1/pilots?limit=2")
    assert first["links"]["next"].endswith("/api/v1/pilots?limit=2&offset=2")


def test_decided_pilot_with_evaluation_decision_and_rollout(
    client: FlaskClient, dw: DrawWorld
) -> None:
    body = _get(client, f"/api/v1/pilots/{dw.pilot.id}")
    assert body["status"] == "rollout_planned"
    assert body["proposal_id"] == dw.world.proposal.id
    assert body["agency"]["slug"] == "wegen"
    assert (body["testers"], body["duration_weeks"]) == (2, 1)
    assert (body["volunteers"], body["testers_drawn"]) == (3, 2)
    assert body["starts_at"] and body["ends_at"] and body["evaluating_at"]
    first, second = body["criteria"]
    assert (first["position"], first["target"]) == (1, "70% answer met")
    assert first["evaluation"] == {"met": 1, "partly": 1, "not_met": 0, "total": 2}
    assert second["evaluation"] == {"met": 1, "partly": 0, "not_met": 1, "total": 2}
    decision = body["decision"]
    assert decision["outcome"] == "go" and decision["summary"] == "Worth it, with shades."
    assert [(r["criterion_id"], r["met"], r["reason"]) for r in decision["reasons"]] == [
        (first["id"], True, "Most testers agreed."),
        (second["id"], False, "Some glare."),
    ]
    today = clock.local(clock.now()).date()
    rollout = body["rollout"]
    assert rollout["note"] == "From July" and rollout["done_at"] is None
    assert rollout["planned_for"] > today.isoformat()
    draw = body["draw"]
    assert (draw["id"], draw["status"]) == (dw.pilot.draw_id, "drawn")
    tester_draw = _get(client, draw["links"]["self"].removeprefix("http://localhost"))
    assert tester_draw["subject_id"] == dw.pilot.id and len(tester_draw["selected"]) == 2


def test_earlier_stages_hide_what_is_not_public_yet(client: FlaskClient, dw: DrawWorld) -> None:
    recruiting = _get(client, f"/api/v1/pilots/{dw.recruiting.id}")
    assert recruiting["status"] == "recruiting" and recruiting["testers_drawn"] == 0
    assert [c["evaluation"] for c in recruiting["criteria"]] == [None, None]
    assert recruiting["draw"]["status"] == "published"
    assert recruiting["decision"] is None and recruiting["rollout"] is None
    setup = _get(client, f"/api/v1/pilots/{dw.setup.id}")
    assert setup["status"] == "setup" and setup["criteria"] == []  # still being written
    assert setup["draw"] is None and setup["duration_weeks"] == 4 != DEFAULT_WEEKS
    assert setup["recruiting_at"] is None and setup["starts_at"] is None


def test_pilot_etag_and_missing_pilot(client: FlaskClient, dw: DrawWorld) -> None:
    url = f"/api/v1/pilots/{dw.pilot.id}"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    for bad in ("/api/v1/pilots/999999", "/api/v1/pilots?status=x", "/api/v1/pilots?offset=-1"):
        response = client.get(bad)
        assert response.status_code in (400, 404), bad
        assert response.mimetype == "application/problem+json"
