"""CSV injection: every CSV the app serves, seeded with text that starts like a spreadsheet
formula (= + - @ tab CR; OWASP "CSV Injection"), must neutralise those cells (a leading
apostrophe) so that opening the download in a spreadsheet runs nothing.

Text enters through agency names (dashboard agencies.csv), register area names (panel
composition area.csv, the draws' people.csv) and panel quota values (the draws' features.csv).
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import civic.models  # noqa: F401  (all tables)
from civic import clock, create_app
from civic.accounts.models import Role, User
from civic.agencies.models import Agency
from civic.draws.models import Draw
from civic.extensions import db
from tests.conftest import IsolatedClient
from tests.fuzz.support import FORMULA_STARTS, bare_app
from tests.panels.draw_support import count_quota, say_yes, seat_panel
from tests.panels.panel_support import invitations, load_register, make_panel, wave

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CSV_MIMETYPE = "text/csv"
# CSV routes whose cells are NOT neutralised (findings told to the lead): endpoint -> note.
# The draws' files are read back byte for byte by `python -m sortition verify`, so the fix
# belongs in both the writer and the reader (or at input: refuse such values in quotas).
UNGUARDED: dict[str, str] = {}  # the draws' files escape cells; sortition's reader undoes it


def _formula(first: str) -> st.SearchStrategy[str]:
    rest = st.text(st.sampled_from("1+AB()!|' =calc-"), min_size=1, max_size=12)
    return rest.map(lambda tail: first + tail)


def formula_text(starts: tuple[str, ...] = FORMULA_STARTS) -> st.SearchStrategy[str]:
    """Text that a spreadsheet would run: = + - @ tab or CR, then more."""
    return st.sampled_from(starts).flatmap(_formula)


def _csv_routes() -> list[str]:
    app = bare_app()
    with app.test_request_context():
        return sorted(
            rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.endswith(".csv")
        )


CSV_ROUTES = _csv_routes()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("csv") / "template.sqlite"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        db.create_all()
        db.session.commit()
        db.engine.dispose()
    yield path
    clock.reset()


def _fresh_app(template: Path, directory: Path) -> Flask:
    work = directory / "work.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, work)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work}"})
    app.test_client_class = IsolatedClient
    return app


def _seed(names: list[str], areas: list[str]) -> dict[str, Any]:
    """Agencies named `names`, a register over `areas`, a seated panel with an area quota."""
    clock.freeze(T0)
    agencies = [
        Agency(name=n, slug=f"agency-{i}", service_areas="afval", response_days=56)
        for i, n in enumerate(names)
    ]
    admin = User(email="admin@example.org", password_hash="x", role=Role.ADMIN)
    db.session.add_all([*agencies, admin])
    db.session.commit()
    rows = [
        (f"A{i}", f"HA{i}", 1960 + i % 30, "vm"[i % 2], areas[i % len(areas)], "mbo")
        for i in range(24)
    ]
    load_register(rows)
    panel = make_panel(admin, agencies[0], size=6)
    count_quota(admin, panel, "gender", "female", 3, 3)
    count_quota(admin, panel, "area", areas[0], 0, 6)
    db.session.commit()
    drawn = wave(admin, panel, 20, reply_by=(T0 + timedelta(days=21)).date())
    for invitation in invitations(drawn)[:14]:
        say_yes(invitation)
    db.session.commit()
    draw = seat_panel(admin, panel)
    assert isinstance(draw, Draw)
    return {"panel_id": panel.id, "draw_id": draw.id, "same_id": draw.id}


def _urls(app: Flask, ids: dict[str, Any]) -> dict[str, list[str]]:
    """Every URL of every CSV route, with the seeded objects as parameters."""
    found: dict[str, list[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in CSV_ROUTES:
            continue
        choices = [
            {k: v for k, v in ids.items() if k in rule.arguments},
        ]
        if "name" in rule.arguments:
            choices = [{**choices[0], "name": n} for n in ("funnel", "votes", "agencies", "pilots")]
        if "feature" in rule.arguments:
            choices = [{**choices[0], "feature": f} for f in ("gender", "age", "area")]
        found[rule.endpoint] = [url_for(rule.endpoint, **c) for c in choices]
    return found


def _unsafe_cells(body: str) -> list[str]:
    """Cells a spreadsheet would read as a formula (negative numbers are data)."""
    cells = [c for row in csv.reader(io.StringIO(body.lstrip("\ufeff"))) for c in row]
    return [c for c in cells if c.startswith(FORMULA_STARTS) and not _number(c)]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_every_csv_route_is_covered() -> None:
    assert set(CSV_ROUTES) == {
        "dashboard.section_csv",
        "dashboard.panel_csv",
        "draws.features",
        "draws.people",
    }, "a new CSV route: seed its text columns in this test"


@settings(
    max_examples=5,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    names=st.lists(formula_text(), min_size=2, max_size=2, unique=True),
    # The register refuses control characters, so areas start with = + - @ only.
    areas=st.lists(formula_text(("=", "+", "-", "@")), min_size=2, max_size=3, unique=True),
)
def test_csv_exports_neutralise_formula_cells(
    template: Path, tmp_path: Path, names: list[str], areas: list[str]
) -> None:
    app = _fresh_app(template, tmp_path)
    with app.app_context(), app.test_request_context():
        ids = _seed(names, areas)
        urls = _urls(app, ids)
        db.session.remove()
    client = app.test_client()
    seen: dict[str, str] = {}
    for endpoint, endpoint_urls in sorted(urls.items()):
        for url in endpoint_urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert response.mimetype == CSV_MIMETYPE
            body = response.get_data(as_text=True)
            seen[url] = body
            unsafe = _unsafe_cells(body)
            if endpoint in UNGUARDED:
                assert unsafe, f"{endpoint} is guarded now: drop it from UNGUARDED"
            else:
                assert not unsafe, f"{url}: formula cells {unsafe}"
    guarded = "\n".join(b for u, b in seen.items() if "/dashboard/" in u)
    for text in [*names, *areas]:
        assert f"'{text}" in guarded or text.strip() != text, f"{text!r} not exported guarded"
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
