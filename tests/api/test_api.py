"""The open-data API: contents, pagination with links, conditional requests, problems."""

from __future__ import annotations

from flask.testing import FlaskClient

from civic import clock
from civic.accounts.models import Role
from civic.extensions import db
from proposals import screening
from tests.dashboard.support import PUBLIC_NAME, World, _user


def test_ideas_are_public_ones_with_public_names_only(client: FlaskClient, world: World) -> None:
    body = client.get("/api/v1/ideas?limit=2").get_json()
    assert body["total"] == 4
    assert len(body["items"]) == 2
    assert body["links"]["prev"] is None
    assert body["links"]["next"].endswith("/api/v1/ideas?limit=2&offset=2")
    second = client.get(body["links"]["next"]).get_json()
    assert second["links"]["next"] is None
    items = body["items"] + second["items"]
    authors = {i["title"]: i["author"] for i in items}
    assert authors["More litter bins"] == PUBLIC_NAME
    assert authors["Street lights on the dike"] is None
    filtered = client.get("/api/v1/ideas?status=reached&agency=wegen").get_json()
    assert [i["title"] for i in filtered["items"]] == ["Street lights on the dike"]
    assert filtered["links"]["self"].endswith("status=reached&agency=wegen&limit=20&offset=0")


def test_ballot_counts_and_proposal_history(client: FlaskClient, world: World) -> None:
    ballot = client.get(f"/api/v1/ballots/{world.ideas['lights'].ballot_id}").get_json()
    assert ballot["counts"] == {"yes": 3, "no": 0, "abstain": 0, "total": 3}
    assert ballot["outcome"] == "reached"
    proposal = client.get(f"/api/v1/proposals/{world.proposal.id}").get_json()
    assert proposal["status"] == "answered"
    assert proposal["answer_kind"] == "adopted"
    assert [a["kind"] for a in proposal["answers"]] == ["adopted"]
    assert [(p["status"], p["percent"]) for p in proposal["progress"]] == [("in_progress", 40)]
    assert proposal["rating"] == {"average": 4.0, "count": 1}
    assert proposal["overdue"] is False


def test_panels_and_agencies(client: FlaskClient, world: World) -> None:
    panels = client.get("/api/v1/panels").get_json()
    assert [p["title"] for p in panels["items"]] == ["Panel Afval"]  # drafts are not public
    panel = panels["items"][0]
    assert panel["members"] == 3
    gender = next(f for f in panel["composition"] if f["feature"] == "gender")
    assert [(v["value"], v["members"], v["population"]) for v in gender["values"]] == [
        ("female", 1, 6),
        ("male", 2, 6),
    ]
    assert panel["invitation_waves"][0]["seed"] == "beacon-123"
    agency = client.get(f"/api/v1/agencies/{world.agencies['wegen'].id}").get_json()
    assert agency["figures"]["answered"] == 1
    assert agency["figures"]["answered_on_time_pct"] == 100.0
    assert "lead_email" not in agency


def test_etag_and_last_modified_give_304_until_data_change(
    client: FlaskClient, world: World, app
) -> None:
    first = client.get("/api/v1/ideas")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "public, no-cache"
    again = client.get("/api/v1/ideas", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    since = client.get("/api/v1/ideas", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    with app.test_request_context("/?lang=en"):
        screening.accept_idea(_user("m@example.org", role=Role.MODERATOR), world.ideas["benches"])
        db.session.commit()
    changed = client.get("/api/v1/ideas", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_clock_bound_resources_change_validators_as_time_passes(
    client: FlaskClient, world: World
) -> None:
    from datetime import timedelta

    etag = client.get("/api/v1/agencies").headers["ETag"]
    clock.move(timedelta(minutes=2))
    assert client.get("/api/v1/agencies", headers={"If-None-Match": etag}).status_code == 200


def test_bad_parameters_are_problems(client: FlaskClient, world: World) -> None:
    for url in (
        "/api/v1/ideas?limit=0",
        "/api/v1/ideas?limit=abc",
        "/api/v1/ideas?status=x",
        "/api/v1/ballots?offset=-1",
        "/api/v1/ideas?area=%00",
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == 400
    missing = client.get("/api/v1/ideas/999999")
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/ideas/{world.ideas['=cmd'].id}").status_code == 200


def test_openapi_document_lists_every_route(client: FlaskClient, app) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    routes = {
        r.rule.removeprefix("/api/v1").replace("<int:", "{").replace(">", "}")
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("api.")
    }
    documented = {p.replace("{id}", "{x}") for p in document["paths"]}
    assert {r.split("{")[0] + ("{x}" if "{" in r else "") for r in routes} == documented
