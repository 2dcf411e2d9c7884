"""Browser fixtures: the app served on a loopback port, Debian's Chromium driven by Playwright,
and axe-core (WCAG 2.1 A/AA) run on every page a test reaches."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.support import free_port, require

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _chromium_path() -> str | None:
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _unavailable(reason: str) -> None:
    if require("browser"):
        pytest.fail(f"browser required (CIVIC_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session."""
    path = _chromium_path()
    if path is None:
        _unavailable("Chromium is not installed")
    if not AXE_JS.exists():
        _unavailable("axe-core is not installed (run `npm install`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


class LiveServer:
    """The test's app on a real HTTP port, in a thread."""

    def __init__(self, app: Flask) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app.config["PUBLIC_BASE_URL"] = self.url
        self._server = make_server("127.0.0.1", self.port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)


@pytest.fixture()
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


class Axe:
    """Runs axe-core in the page; a violation or a CSP error fails the test."""

    def __init__(self) -> None:
        self.source = AXE_JS.read_text(encoding="utf-8")
        self.checked: list[str] = []
        self.csp_errors: list[str] = []

    def check(self, page: Any) -> None:
        """Assert no WCAG 2.1 A/AA violation on the page as it is now."""
        page.wait_for_load_state("load")
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(self.source)  # CDP evaluation: not subject to the page's CSP
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
        )
        violations = [
            f"{v['id']} ({v['impact']}): {v['help']} -> "
            + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
            for v in result["violations"]
        ]
        assert not violations, f"axe violations on {page.url}:\n" + "\n".join(violations)
        assert not self.csp_errors, f"CSP violations: {self.csp_errors}"
        self.checked.append(page.url)


@pytest.fixture()
def axe() -> Axe:
    return Axe()


@pytest.fixture()
def page(browser: Any, live_server: LiveServer, axe: Axe) -> Iterator[Any]:
    """A fresh browser context and page; console CSP errors are collected for `axe.check`."""
    context = browser.new_context(base_url=live_server.url, locale="nl-NL")
    tab = context.new_page()
    tab.set_default_timeout(15000)

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            axe.csp_errors.append(message.text)

    tab.on("console", on_console)
    yield tab
    context.close()
