"""Accessibility sweep: every HTML page of the URL map, as every persona, in a real browser.

The world (sweep_world.py) holds an object of every kind a URL names. For each persona one
browser context logs in through the real login form, then opens every GET route with its
parameters filled from the world (an idea route once per idea state). Pages answered with
200 text/html are "open" to the persona; each is checked with axe-core (WCAG 2.1 A/AA), for
horizontal scrolling at 320 px (WCAG 1.4.10 reflow) and for CSP errors. Some personas see
every page again in English. JSON, CSV, JavaScript and static files are left out by their
content type; refusals (login redirects, 403, 404) are not swept, except the first error page
of each persona. The world is read only: no form is submitted besides the login and the
reply code.

Problems are collected per persona and reported together, so one run shows them all.
"""

from __future__ import annotations

import itertools
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, url_for

import civic.models  # noqa: F401  (all tables)
from civic import clock, create_app
from civic.extensions import db
from tests.browser.conftest import AXE_JS, WCAG_TAGS, LiveServer
from tests.browser.sweep_world import CONFIG, NOW, PASSWORD, PERSONAS, Persona, build_sweep_world
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(
    ON_POSTGRES, reason="the sweep reads pages of its own SQLite world; it runs in the SQLite pass"
)

ENGLISH = {"anonymous", "verified", "admin"}  # personas whose pages are checked in English too
NARROW = 320
WIDE = {"width": 1280, "height": 900}
# Files and health checks, never pages (other non-HTML answers are left out by content type).
SKIPPED_ENDPOINTS = {"static", "proposals.static", "dashboard.plotly_js", "public.health"}
OPENED: dict[str, set[str]] = {}  # persona → endpoints opened (for the coverage test)


@dataclass
class Target:
    endpoint: str
    url: str


@dataclass
class Sweep:
    """The served world and the URLs to visit."""

    app: Flask
    server: LiveServer
    reply_code: str
    targets: list[Target] = field(default_factory=list)


def _targets(app: Flask, params: dict[str, Any], variants: dict[str, list[Any]]) -> list[Target]:
    """Every GET rule's URL, once per combination of the variant parameter values."""
    targets = []
    with app.test_request_context():
        rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule))
        for rule in rules:
            if "GET" not in (rule.methods or ()) or rule.endpoint in SKIPPED_ENDPOINTS:
                continue
            names = sorted(rule.arguments)
            choices = [variants.get(name, [params[name]]) for name in names]
            for values in itertools.product(*choices):
                url = url_for(rule.endpoint, **dict(zip(names, values, strict=True)))
                targets.append(Target(rule.endpoint, url))
    return targets


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sweep]:
    directory = tmp_path_factory.mktemp("a11y")
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'world.sqlite'}", **CONFIG}
    app = create_app("testing", config)
    with app.app_context():
        db.create_all()
        db.session.commit()
        world = build_sweep_world(app)
        db.session.remove()
    clock.freeze(NOW)
    server = LiveServer(app)
    server.start()
    yield Sweep(app, server, world.reply_code, _targets(app, world.params, world.variants))
    server.stop()
    with app.app_context():
        db.engine.dispose()
    clock.reset()
    shutil.rmtree(directory, ignore_errors=True)


class Checker:
    """One persona's browser context and the problems found in it."""

    def __init__(self, browser: Any, sweep: Sweep, persona: Persona) -> None:
        self.persona = persona
        self.context = browser.new_context(base_url=sweep.server.url, locale="nl-NL", viewport=WIDE)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.page.on("console", self._console)
        self.axe = AXE_JS.read_text(encoding="utf-8")
        self.problems: list[str] = []
        self.checked: list[str] = []

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.problems.append(f"CSP on {self.page.url}: {message.text}")

    def log_in(self) -> None:
        if self.persona.email is None:
            return
        self.page.goto("/account/login")
        self.page.fill("input[name=email]", self.persona.email)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.locator("main form button[type=submit]").click()
        self.page.wait_for_load_state("load")
        assert "/account/login" not in self.page.url, f"{self.persona.name} could not log in"

    def probe(self, url: str) -> tuple[int, str]:
        """Status and content type of a GET with the context's cookies, without following."""
        response = self.context.request.get(url, max_redirects=0)
        status, kind = response.status, response.headers.get("content-type", "")
        response.dispose()
        return status, kind

    def check_open(self, url: str, lang: str = "nl") -> None:
        """Open `url` in the page, run axe at full width and measure it at 320 px."""
        response = self.page.goto(url)
        assert response is not None
        self.check_current(url, lang)

    def check_current(self, label: str, lang: str = "nl") -> None:
        page = self.page
        page.wait_for_load_state("load")
        if page.locator("html").get_attribute("lang") != lang:
            self.problems.append(f"{label}: html lang is not {lang!r}")
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(self.axe)  # CDP evaluation: not subject to the page's CSP
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
        )
        for violation in result["violations"]:
            targets = "; ".join(str(n["target"][0]) for n in violation["nodes"][:4])
            self.problems.append(
                f"{label} [{lang}]: {violation['id']} ({violation['impact']}) "
                f"{violation['help']} -> {targets}"
            )
        page.set_viewport_size({"width": NARROW, "height": 640})
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > NARROW:
            wide = page.evaluate(_WIDEST_JS, NARROW)
            self.problems.append(f"{label} [{lang}]: {width}px wide at 320 px ({wide})")
        page.set_viewport_size(WIDE)
        self.checked.append(f"{label} [{lang}]")


# The elements that stick out furthest to the right at narrow width, for the report.
_WIDEST_JS = """limit => Array.from(document.querySelectorAll('body *'))
  .map(e => [e, e.getBoundingClientRect().right])
  .filter(([e, right]) => right > limit)
  .sort((a, b) => b[1] - a[1]).slice(0, 3)
  .map(([e, right]) => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
       + ':' + Math.round(right)).join(', ')"""


def _reply_flow(checker: Checker, code: str) -> None:
    """The reply pages behind the code form (reached only with a valid code)."""
    page = checker.page
    page.goto("/reply")
    page.fill("main input[name=code]", code)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    assert "/reply/answer" in page.url, f"the reply code was refused: {page.url}"
    checker.check_current("/reply/answer")


@pytest.mark.parametrize("persona", PERSONAS, ids=[p.name for p in PERSONAS])
def test_every_page_is_accessible(browser: Any, sweep: Sweep, persona: Persona) -> None:
    started = time.monotonic()
    checker = Checker(browser, sweep, persona)
    opened = OPENED.setdefault(persona.name, set())
    errors_checked: set[int] = set()
    try:
        checker.log_in()
        for target in sweep.targets:
            status, kind = checker.probe(target.url)
            html = kind.startswith("text/html")
            if status == 200 and html:
                opened.add(target.endpoint)
                checker.check_open(target.url)
                if persona.name in ENGLISH:
                    joiner = "&" if "?" in target.url else "?"
                    checker.check_open(f"{target.url}{joiner}lang=en", lang="en")
            elif status in (403, 404) and html and status not in errors_checked:
                errors_checked.add(status)  # the error page itself, once per persona
                checker.check_open(target.url)
        if persona.email is None:
            _reply_flow(checker, sweep.reply_code)
    finally:
        checker.context.close()
    elapsed = time.monotonic() - started
    print(f"\n{persona.name}: {len(checker.checked)} page views in {elapsed:.1f}s")
    assert opened, f"{persona.name} opened no page"
    assert not checker.problems, f"{len(checker.problems)} problems as {persona.name}:\n" + (
        "\n".join(checker.problems)
    )


def test_every_html_route_was_swept(sweep: Sweep) -> None:
    """Each page of the URL map was opened by at least one persona (runs after the sweep)."""
    if len(OPENED) < len(PERSONAS):
        pytest.skip("run together with the sweep of every persona")
    seen = set().union(*OPENED.values())
    expected_pages = {
        "public.home",
        "proposals.detail",
        "inbox.item",
        "panels.workspace",
        "panels.wave_letters",
        "admin.audit_log",
        "pilots.manage",
        "draws.detail",
        "dashboard.index",
        "mail.message",
    }
    assert expected_pages <= seen, f"never opened: {sorted(expected_pages - seen)}"
    print(f"\nendpoints opened: {len(seen)}; per persona: " + ", ".join(
        f"{name} {len(endpoints)}" for name, endpoints in OPENED.items()
    ))
