"""Draw records in the open-data API: public draws only, the record's hashes, the seed and
the selection once drawn, links to the files that verify it, and each panel's draws."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from civic.draws import services
from civic.draws.models import Draw
from civic.extensions import db
from tests.api.draw_world import PANEL_SEED, DrawWorld, seed_draw_world


@pytest.fixture()
def dw(app: Flask) -> DrawWorld:
    return seed_draw_world(app)


def _path(url: str) -> str:
    return url.removeprefix("http://localhost")


def test_list_has_published_and_drawn_draws_only(client: FlaskClient, dw: DrawWorld) -> None:
    body = client.get("/api/v1/draws").get_json()
    public = sorted(
        [dw.drawn.id, dw.published.id, dw.pilot.draw_id, dw.recruiting.draw_id], reverse=True
    )
    assert [d["id"] for d in body["items"]] == public  # newest first
    assert body["total"] == 4 and dw.prepared.id not in public
    assert body["links"]["next"] is None
    drawn = client.get("/api/v1/draws?status=drawn").get_json()
    assert [d["id"] for d in drawn["items"]] == [dw.pilot.draw_id, dw.drawn.id]
    assert drawn["links"]["self"].endswith("/api/v1/draws?status=drawn&limit=20&offset=0")
    panel_id = dw.world.panel.id
    mine = client.get(f"/api/v1/draws?purpose=panel&subject_id={panel_id}").get_json()
    assert [d["id"] for d in mine["items"]] == [dw.published.id, dw.drawn.id]
    pilots = client.get("/api/v1/draws?purpose=pilot&limit=1").get_json()
    assert pilots["total"] == 2 and len(pilots["items"]) == 1
    assert pilots["links"]["next"].endswith("purpose=pilot&limit=1&offset=1")


def test_drawn_record_seed_selection_and_links(client: FlaskClient, dw: DrawWorld) -> None:
    draw = db.session.get(Draw, dw.drawn.id)
    body = client.get(f"/api/v1/draws/{draw.id}").get_json()
    summary = services.summary(draw)
    assert body["status"] == "drawn" and body["purpose"] == "panel"
    assert body["subject_id"] == dw.world.panel.id
    assert (body["k"], body["n"], body["algorithm"]) == (4, 8, "leximin")
    for key in ("pool_sha256", "quotas_sha256", "lottery_sha256", "version", "record_sha256"):
        assert body[key] == summary[key], key
    assert body["lottery_m"] == 50 and len(body["lottery_sha256"]) == 64
    assert body["quotas"][0] == {"feature": "gender", "value": "female", "min": 2, "max": 2}
    assert body["seed"] == PANEL_SEED
    selected, reserve = services.selection_for(draw, PANEL_SEED)
    assert body["selected"] == sorted(selected) and body["reserve"] == reserve
    assert len(body["selected"]) == 4 and len(body["reserve"]) == 4
    assert all(re.fullmatch(r"V\d+", p) for p in body["selected"] + body["reserve"])
    assert body["published_at"] and body["drawn_at"]
    links = body["links"]
    assert _path(links["self"]) == f"/api/v1/draws/{draw.id}"
    assert client.get(_path(links["page"])).status_code == 200
    record = client.get(_path(links["record"]))
    assert record.get_data(as_text=True) == draw.record
    assert json.loads(client.get(_path(links["result"])).data)["seed"] == PANEL_SEED
    assert client.get(_path(links["features"])).get_data(as_text=True).startswith("feature,")
    people = client.get(_path(links["people"])).get_data(as_text=True)
    assert people.splitlines()[0] == "id,gender,household" and "HOUSEKEY" not in people


def test_published_draw_has_no_seed_and_prepared_is_not_public(
    client: FlaskClient, dw: DrawWorld
) -> None:
    body = client.get(f"/api/v1/draws/{dw.published.id}").get_json()
    assert body["status"] == "published"
    assert (body["seed"], body["selected"], body["reserve"], body["drawn_at"]) == (
        None,
        None,
        None,
        None,
    )
    assert body["pool_sha256"] == services.summary(dw.published)["pool_sha256"]
    sample = client.get(f"/api/v1/draws/{dw.recruiting.draw_id}").get_json()
    assert sample["algorithm"] == "sample" and sample["purpose"] == "pilot"
    assert sample["lottery_sha256"] is None and sample["lottery_m"] is None
    assert sample["quotas"] == [] and sample["subject_id"] == dw.recruiting.id
    for url in (f"/api/v1/draws/{dw.prepared.id}", "/api/v1/draws/999999"):
        missing = client.get(url)
        assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_panel_lists_its_public_draws(client: FlaskClient, dw: DrawWorld) -> None:
    panel = client.get(f"/api/v1/panels/{dw.world.panel.id}").get_json()
    refs = panel["draws"]
    assert [(r["id"], r["status"]) for r in refs] == [
        (dw.drawn.id, "drawn"),
        (dw.published.id, "published"),
    ]
    assert _path(refs[0]["links"]["self"]) == f"/api/v1/draws/{dw.drawn.id}"
    assert _path(refs[0]["links"]["page"]) == f"/draws/{dw.drawn.id}"
    listing = client.get("/api/v1/panels").get_json()
    assert listing["items"][0]["draws"] == refs


def test_seeding_a_draw_changes_its_etag(client: FlaskClient, dw: DrawWorld, app: Flask) -> None:
    url = f"/api/v1/draws/{dw.published.id}"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, no-cache" and first.headers["Last-Modified"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    listing = client.get("/api/v1/draws").headers["ETag"]
    with app.test_request_context("/?lang=en"):
        services.enter_seed(db.session.get(Draw, dw.published.id), "later seed", dw.world.officer)
        db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["seed"] == "later seed"
    assert client.get("/api/v1/draws", headers={"If-None-Match": listing}).status_code == 200


def test_bad_draw_parameters_are_problems(client: FlaskClient, dw: DrawWorld) -> None:
    for url in (
        "/api/v1/draws?status=prepared",
        "/api/v1/draws?subject_id=0",
        "/api/v1/draws?subject_id=x",
        "/api/v1/draws?purpose=%01",
        "/api/v1/draws?limit=101",
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.mimetype == "application/problem+json"
