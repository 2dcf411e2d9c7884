"""The dashboard pages: figures from the database, tables, CSV downloads, filters, cache."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape

from flask.testing import FlaskClient

from civic.extensions import db
from tests.dashboard.support import World


def _table(html: str, slug: str) -> list[list[str]]:
    """The body rows of table #table-<slug> as text cells."""
    match = re.search(rf'<table class="table" id="table-{slug}">(.*?)</table>', html, re.S)
    assert match, f"no table {slug}"
    body = match.group(1).split("<tbody>")[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)
        ]
        for r in rows
    ]


def _figure(html: str, slug: str) -> dict:
    match = re.search(rf'id="chart-{slug}" data-chart data-figure="([^"]*)"', html)
    assert match, f"no chart {slug}"
    return json.loads(unescape(match.group(1)))


def test_front_page_shows_funnel_votes_agencies(client: FlaskClient, world: World) -> None:
    html = client.get("/dashboard/?lang=en").get_data(as_text=True)
    funnel = _table(html, "funnel")
    assert funnel == [
        ["Submitted", "4"],
        ["Screened", "2"],
        ["Put to the vote", "2"],
        ["Vote closed", "2"],
        ["Reached the threshold", "1"],
        ["Answered by the agency", "1"],
        ["Tested in a pilot", "0"],
        ["Rolled out", "0"],
    ]
    figure = _figure(html, "funnel")
    assert figure["data"][0]["x"] == [4, 2, 2, 2, 1, 1, 0, 0]
    votes = _table(html, "votes")
    assert votes == [["2026-03", "3"], ["2026-04", "1"]]
    assert _figure(html, "votes")["data"][0]["y"] == [3, 1]
    agencies = {row[0]: row[1:] for row in _table(html, "agencies")}
    # ideas, reached, proposals, open, overdue, answered, on time %, median days, adopted %, rating
    assert agencies["Afdeling Wegen"] == [
        "2",
        "1",
        "1",
        "0",
        "0",
        "1",
        "100.0",
        "10.0",
        "100.0",
        "4.0",
    ]
    assert agencies["Afdeling Afval"][:6] == ["2", "0", "0", "0", "0", "0"]
    assert agencies["Afdeling Afval"][6] == "n/a"


def test_dutch_numbers_and_labels(client: FlaskClient, world: World) -> None:
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "Resultaten" in html
    agencies = {row[0]: row[1:] for row in _table(html, "agencies")}
    assert agencies["Afdeling Wegen"][6] == "100,0"


def test_filters_by_agency_area_and_period(client: FlaskClient, world: World) -> None:
    html = client.get("/dashboard/?lang=en&agency=wegen").get_data(as_text=True)
    assert _table(html, "funnel")[0] == ["Submitted", "2"]
    assert [r[0] for r in _table(html, "agencies")] == ["Afdeling Wegen"]
    html = client.get("/dashboard/?lang=en&area=Parken").get_data(as_text=True)
    assert _table(html, "funnel")[0] == ["Submitted", "1"]
    html = client.get("/dashboard/?lang=en&period=1m").get_data(as_text=True)
    assert _table(html, "funnel")[0] == ["Submitted", "0"]  # all ideas are 110 days old
    assert _table(html, "votes") == [["No data for these filters yet."]]


def test_bad_filter_gets_a_specific_message(client: FlaskClient, world: World) -> None:
    response = client.get("/dashboard/?lang=en&period=forever")
    assert response.status_code == 422
    assert "Unknown period" in response.get_data(as_text=True)
    response = client.get("/dashboard/?lang=en&agency=nope")
    assert response.status_code == 422
    assert "Unknown agency" in response.get_data(as_text=True)


def test_csv_matches_table_and_guards_formulas(client: FlaskClient, world: World) -> None:
    response = client.get("/dashboard/funnel.csv?lang=en")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Stage", "Ideas"]
    assert rows[1] == ["Submitted", "4"]
    response = client.get(f"/dashboard/panels/{world.panel.id}/area.csv?lang=en")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1:] == [["Noord", "3", "100.0", "8", "66.7"], ["Zuid", "0", "0.0", "4", "33.3"]]


def test_panel_composition_against_population(client: FlaskClient, world: World) -> None:
    html = client.get("/dashboard/panels?lang=en").get_data(as_text=True)
    assert "Panel Afval" in html and "Draft panel" not in html
    slug = f"panel-{world.panel.id}-gender"
    assert _table(html, slug) == [
        ["female", "1", "33.3", "6", "50.0"],
        ["male", "2", "66.7", "6", "50.0"],
    ]
    figure = _figure(html, slug)
    assert [t["y"] for t in figure["data"]] == [[33.3, 66.7], [50.0, 50.0]]


def test_cache_is_invalidated_by_any_audited_change(client: FlaskClient, world: World, app) -> None:
    from civic.dashboard.cache import figure_cache

    client.get("/dashboard/?lang=en")
    cache = figure_cache()
    misses = cache.misses
    client.get("/dashboard/?lang=en")
    assert cache.misses == misses  # warm: nothing recomputed
    idea = world.ideas["benches"]
    from civic.accounts.models import Role
    from proposals import screening
    from tests.dashboard.support import _user

    with app.test_request_context("/?lang=en"):
        moderator = _user("mod2@example.org", role=Role.MODERATOR)
        screening.accept_idea(moderator, idea)
        db.session.commit()
    html = client.get("/dashboard/?lang=en").get_data(as_text=True)
    assert cache.misses > misses
    assert _table(html, "funnel")[1] == ["Screened", "3"]


def test_plotly_served_from_the_package_with_long_cache(client: FlaskClient, app) -> None:
    from civic.dashboard.views import plotly_version

    with app.app_context():
        version = plotly_version()
    with client.get(f"/dashboard/vendor/plotly-{version}.min.js") as response:
        assert response.status_code == 200
        assert "immutable" in response.headers["Cache-Control"]
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert response.data.startswith(b"/**\n* plotly.js v" + version.encode())
    assert client.get("/dashboard/vendor/plotly-0.0.1.min.js").status_code == 404
