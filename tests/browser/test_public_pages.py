"""The public pages in a real browser: accessible, keyboard usable, language switch, 320 px."""

from __future__ import annotations

from typing import Any


def test_home_is_accessible_and_switches_language(page: Any, axe: Any) -> None:
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "nl"
    axe.check(page)
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "en"
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "Better public services, made together"
    axe.check(page)
    page.goto("/no-such-page")
    axe.check(page)
    # the choice is remembered on the next visit
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en"


def test_skip_link_is_first_and_moves_focus(page: Any) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.className")
    assert "skip-link" in focused
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#main"


def test_usable_at_320_pixels(page: Any) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/")
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= 320, f"horizontal scrolling at 320 px: {overflow}px wide"
