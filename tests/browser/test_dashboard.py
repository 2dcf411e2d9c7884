"""The dashboard in a real browser: Plotly draws every chart from the server's figures, the
tables carry the same numbers without JavaScript, and axe-core finds no WCAG violation."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.dashboard.support import seed_world

FUNNEL = [4, 2, 2, 2, 1, 1, 0, 0]


def _drawn(page: Any) -> None:
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')]"
        ".every(e => e.getAttribute('data-drawn') === 'true')"
    )


def _count(page: Any, selector: str) -> int:
    return int(page.locator(selector).count())


def test_charts_render_with_their_data(app: Flask, page: Any, axe: Any) -> None:
    world = seed_world(app)
    page.goto("/dashboard/?lang=en")
    _drawn(page)
    assert _count(page, "#chart-funnel .barlayer .point") == len(FUNNEL)
    assert page.evaluate("() => document.getElementById('chart-funnel').data[0].x") == FUNNEL
    assert _count(page, "#chart-votes .scatterlayer .point") == 2
    assert page.evaluate("() => document.getElementById('chart-votes').data[0].y") == [3, 1]
    assert _count(page, "#chart-agencies .barlayer .point") == 4  # 2 agencies x 2 series
    for element in page.locator("[data-chart]").all():
        assert element.locator("svg.main-svg").count() >= 1
    axe.check(page)
    page.goto(f"/dashboard/panels?lang=en&agency={world.agencies['afval'].slug}")
    _drawn(page)
    slug = f"panel-{world.panel.id}"
    assert _count(page, f"#chart-{slug}-gender .barlayer .point") == 4  # 2 values x 2 series
    axe.check(page)


def test_tables_carry_the_figures_without_javascript(
    app: Flask, browser: Any, live_server: Any
) -> None:
    seed_world(app)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/dashboard/?lang=en")
        cells = page.locator("#table-funnel tbody td").all_inner_texts()
        assert [int(c) for c in cells] == FUNNEL
        votes = page.locator("#table-votes tbody td").all_inner_texts()
        assert votes == ["3", "1"]
        assert page.locator("svg.main-svg").count() == 0
        # axe needs JavaScript; it checked the same server-rendered markup above.
    finally:
        context.close()
