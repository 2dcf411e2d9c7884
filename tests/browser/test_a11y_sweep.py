"""Accessibility sweep: every HTML page of the URL map, as every persona, in a real browser.

The world (sweep_world.py) holds an object of every kind a URL names. For each persona one
browser context logs in through the real login form, then opens every GET route with its
parameters filled from the world (an idea route once per idea state). Pages answered with
200 text/html are the ones the persona may open; each is loaded at 320 px wide and must not
scroll sideways (WCAG 1.4.10 reflow), then is checked at desktop width with axe-core
(WCAG 2.1 A/AA); a CSP error in the console counts too. JSON, CSV, JavaScript and static
files are left out by their content type; refusals (login redirects, 403, 404) are not
swept, except each persona's first error page of each kind. Every page is checked once more
in English, by the first persona that opens it. The world is only read: no form is submitted
besides the login and a reply code.

One Chromium runs every persona's context side by side (Playwright's async API in a worker
thread), so the sweep takes a fraction of the time one tab would; the tests per persona then
report what their context found, every problem at once.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, url_for

import civic.models  # noqa: F401  (all tables)
from civic import clock, create_app
from civic.extensions import db
from tests.browser.conftest import (
    AXE_JS,
    CHROMIUM_FLAGS,
    WCAG_TAGS,
    LiveServer,
    _chromium_path,
    _unavailable,
)
from tests.browser.sweep_world import CONFIG, NOW, PASSWORD, PERSONAS, Persona, build_sweep_world
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(
    ON_POSTGRES, reason="the sweep reads pages of its own SQLite world; it runs in the SQLite pass"
)

NARROW = {"width": 320, "height": 640}
WIDE = {"width": 1280, "height": 900}
PARALLEL = 4  # persona contexts at once
FIRST = "admin"  # the longest sweep starts first
# Files and health checks, never pages (other non-HTML answers are left out by content type).
SKIPPED_ENDPOINTS = {"static", "proposals.static", "dashboard.plotly_js", "public.health"}
TIMEOUT_MS = 20000

# Only violations are collected (passes and incomplete results are not serialised: faster).
AXE_RUN = """async tags => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => `${v.id} (${v.impact}) ${v.help} -> ` +
    v.nodes.slice(0, 4).map(n => n.target.join(' ')).join('; '));
}"""
# The elements that stick out furthest to the right at narrow width, for the report.
WIDEST = """limit => Array.from(document.querySelectorAll('body *'))
  .map(e => [e, e.getBoundingClientRect().right])
  .filter(([e, right]) => right > limit)
  .sort((a, b) => b[1] - a[1]).slice(0, 3)
  .map(([e, right]) => e.tagName.toLowerCase()
       + (typeof e.className === 'string' && e.className ? '.' + e.className : '')
       + ':' + Math.round(right)).join(', ')"""


@dataclass(frozen=True)
class Target:
    endpoint: str
    url: str


@dataclass
class Result:
    """What one persona's context saw."""

    opened: set[str] = field(default_factory=set)  # endpoints
    english: set[str] = field(default_factory=set)  # endpoints checked in English
    views: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Sweep:
    results: dict[str, Result]
    targets: list[Target]
    seconds: float


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


class Checker:
    """One persona's browser context, its page and the problems found in it."""

    def __init__(self, context: Any, page: Any, persona: Persona, shared: dict[str, Any]) -> None:
        self.context, self.page, self.persona = context, page, persona
        self.in_english: set[str] = shared["english"]  # endpoints claimed for English
        self.result = Result()
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.result.problems.append(f"CSP on {self.page.url}: {message.text}")

    async def log_in(self, lock: asyncio.Lock) -> None:
        if self.persona.email is None:
            return
        async with lock:  # one login at a time: each writes a session row
            await self.page.goto("/account/login")
            await self.page.fill("input[name=email]", self.persona.email)
            await self.page.fill("input[name=password]", PASSWORD)
            await self.page.locator("main form button[type=submit]").click()
            await self.page.wait_for_load_state("load")
        assert "/account/login" not in self.page.url, f"{self.persona.name} could not log in"

    async def probe(self, url: str) -> tuple[int, str]:
        """Status and content type of a GET with the context's cookies, without following."""
        response = await self.context.request.get(url, max_redirects=0)
        status, kind = response.status, response.headers.get("content-type", "")
        await response.dispose()
        return status, kind

    async def check_open(self, url: str, lang: str = "nl") -> None:
        await self.page.goto(url)
        await self.check_current(url, lang)

    async def check_current(self, label: str, lang: str = "nl") -> None:
        """Check the page as loaded at 320 px: reflow, then axe at desktop width."""
        page, problems = self.page, self.result.problems
        await page.wait_for_load_state("load")
        if await page.locator("html").get_attribute("lang") != lang:
            problems.append(f"{label}: html lang is not {lang!r}")
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        if width > NARROW["width"]:
            wide = await page.evaluate(WIDEST, NARROW["width"])
            problems.append(f"{label} [{lang}]: {width}px wide at 320 px ({wide})")
        await page.set_viewport_size(WIDE)
        for violation in await page.evaluate(AXE_RUN, WCAG_TAGS):
            problems.append(f"{label} [{lang}]: {violation}")
        await page.set_viewport_size(NARROW)
        self.result.views += 1

    async def sweep(self, targets: list[Target], reply_code: str) -> None:
        errors_seen: set[int] = set()
        for target in targets:
            status, kind = await self.probe(target.url)
            if not kind.startswith("text/html"):
                continue
            if status == 200:
                self.result.opened.add(target.endpoint)
                await self.check_open(target.url)
                if target.endpoint not in self.in_english:
                    self.in_english.add(target.endpoint)  # one event loop: no race
                    joiner = "&" if "?" in target.url else "?"
                    await self.check_open(f"{target.url}{joiner}lang=en", lang="en")
                    self.result.english.add(target.endpoint)
            elif status in (403, 404) and status not in errors_seen:
                errors_seen.add(status)  # the error page itself, once per persona
                await self.check_open(target.url)
        if self.persona.email is None:
            await self._reply_flow(reply_code)

    async def _reply_flow(self, code: str) -> None:
        """The reply page behind the code form (reached only with a valid code)."""
        page = self.page
        await page.goto("/reply")
        await page.fill("main input[name=code]", code)
        await page.locator("main form button[type=submit]").click()
        await page.wait_for_load_state("load")
        assert "/reply/answer" in page.url, f"the reply code was refused: {page.url}"
        self.result.opened.add("reply.answer")
        await self.check_current("/reply/answer")


async def _sweep_persona(
    browser: Any, base_url: str, persona: Persona, shared: dict[str, Any]
) -> Result:
    async with shared["slots"]:
        started = time.monotonic()
        context = await browser.new_context(base_url=base_url, locale="nl-NL", viewport=NARROW)
        context.set_default_timeout(TIMEOUT_MS)
        # axe-core in every document the context loads, by the browser itself: not subject
        # to the page's CSP, and not sent over the wire once per page.
        await context.add_init_script(script=shared["axe"])
        checker = Checker(context, await context.new_page(), persona, shared)
        try:
            await checker.log_in(shared["login"])
            await checker.sweep(shared["targets"], shared["reply_code"])
        finally:
            await context.close()
        checker.result.seconds = time.monotonic() - started
        return checker.result


async def _sweep_all(base_url: str, targets: list[Target], reply_code: str) -> dict[str, Result]:
    from playwright.async_api import async_playwright

    shared = {
        "slots": asyncio.Semaphore(PARALLEL),
        "login": asyncio.Lock(),
        "axe": AXE_JS.read_text(encoding="utf-8"),
        "english": set(),
        "targets": targets,
        "reply_code": reply_code,
    }
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=_chromium_path(), args=CHROMIUM_FLAGS
        )
        try:
            order = sorted(PERSONAS, key=lambda p: p.name != FIRST)
            results = await asyncio.gather(
                *(_sweep_persona(browser, base_url, p, shared) for p in order)
            )
        finally:
            await browser.close()
    return {p.name: r for p, r in zip(order, results, strict=True)}


def _run_in_thread(base_url: str, targets: list[Target], reply_code: str) -> dict[str, Result]:
    """Run the async sweep on a thread of its own: the sync Playwright of the other browser
    tests keeps an event loop on the main thread."""
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["results"] = asyncio.run(_sweep_all(base_url, targets, reply_code))
        except BaseException as error:  # handed to the test below
            outcome["error"] = error

    worker = threading.Thread(target=work, name="a11y-sweep")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return dict(outcome["results"])


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sweep]:
    if _chromium_path() is None:
        _unavailable("Chromium is not installed")
    if not AXE_JS.exists():
        _unavailable("axe-core is not installed (run `npm install`)")
    directory = tmp_path_factory.mktemp("a11y")
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'world.sqlite'}", **CONFIG}
    app = create_app("testing", config)
    with app.app_context():
        db.create_all()
        db.session.commit()
        world = build_sweep_world(app)
        db.session.remove()
    targets = _targets(app, world.params, world.variants)
    clock.freeze(NOW)
    server = LiveServer(app)
    server.start()
    started = time.monotonic()
    try:
        results = _run_in_thread(server.url, targets, world.reply_code)
        yield Sweep(results, targets, time.monotonic() - started)
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()
        clock.reset()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.parametrize("persona", PERSONAS, ids=[p.name for p in PERSONAS])
def test_every_page_is_accessible(sweep: Sweep, persona: Persona) -> None:
    result = sweep.results[persona.name]
    print(
        f"\n{persona.name}: {len(result.opened)} pages, {result.views} page views "
        f"in {result.seconds:.1f}s"
    )
    assert result.opened, f"{persona.name} opened no page"
    assert not result.problems, f"{len(result.problems)} problems as {persona.name}:\n" + (
        "\n".join(result.problems)
    )


def test_every_html_route_was_swept_in_both_languages(sweep: Sweep) -> None:
    """Each HTML page of the URL map was opened by some persona, and checked in English."""
    opened = set().union(*(r.opened for r in sweep.results.values()))
    english = set().union(*(r.english for r in sweep.results.values()))
    views = sum(r.views for r in sweep.results.values())
    print(f"\nsweep: {len(opened)} pages, {views} page views in {sweep.seconds:.1f}s")
    must_open = {
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
        "reply.answer",
    }
    assert must_open <= opened, f"never opened: {sorted(must_open - opened)}"
    # reply.answer is reached through the code form (Dutch only)
    assert opened - english <= {"reply.answer"}, f"never in English: {opened - english}"
