"""Thin handlers of the public dashboard: pages, CSV downloads and the bundled plotly.js."""

from __future__ import annotations

import os
from typing import Any

from flask import abort, render_template, request, send_file
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from civic import clock
from civic.agencies.models import Agency
from civic.dashboard import bp, queries, sections
from civic.dashboard.csvfile import csv_response
from civic.dashboard.filters import PERIOD_LABELS, Filters, Period, parse_filters
from civic.extensions import db
from proposals.ideas import service_areas

ONE_YEAR = 365 * 24 * 3600


def plotly_version() -> str:
    """The version of the installed plotly.js bundle (part of its URL, so caches renew)."""
    from plotly.offline import get_plotlyjs_version

    return str(get_plotlyjs_version())


def _plotly_path() -> str:
    import plotly

    return os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")


def _form_context(filters: Filters) -> dict[str, Any]:
    from sqlalchemy import select

    return {
        "filters": filters,
        "periods": [(p.value, PERIOD_LABELS[p]) for p in Period],
        "areas": service_areas(),
        "agencies": list(
            db.session.execute(select(Agency.slug, Agency.name).order_by(Agency.name))
        ),
        "plotly_version": plotly_version(),
    }


@bp.get("/")
def index() -> str:
    """The front page: idea funnel, votes over time, agencies."""
    filters = parse_filters(request.args)
    page_sections = sections.overview(filters, clock.now())
    return render_template("dashboard/index.html", sections=page_sections, **_form_context(filters))


@bp.get("/panels")
def panels() -> str:
    """Each panel's composition against the population."""
    filters = parse_filters(request.args)
    panel_list = sections.panel_sections(filters, clock.now())
    return render_template("dashboard/panels.html", panels=panel_list, **_form_context(filters))


@bp.get("/<any(funnel, votes, agencies, pilots):name>.csv")
def section_csv(name: str) -> Response:
    """The table beside a chart of the front page, as CSV."""
    filters = parse_filters(request.args)
    section = {s.slug: s for s in sections.overview(filters, clock.now())}[name]
    return csv_response(f"{name}.csv", section.table.headers, section.table.rows)


@bp.get("/panels/<int:panel_id>/<any(gender, age, area):feature>.csv")
def panel_csv(panel_id: int, feature: str) -> Response:
    """One panel's composition on one feature, as CSV."""
    filters = parse_filters(request.args)
    for panel, panel_sections in sections.panel_sections(filters, clock.now()):
        if panel.id == panel_id:
            section = panel_sections[queries.FEATURES.index(feature)]
            return csv_response(
                f"panel-{panel_id}-{feature}.csv", section.table.headers, section.table.rows
            )
    abort(404)


@bp.get("/vendor/plotly-<version>.min.js")
def plotly_js(version: str) -> Response:
    """plotly.js from the installed plotly package: works offline, cached for a year."""
    if version != plotly_version():
        abort(404)
    response = send_file(
        _plotly_path(), mimetype="text/javascript", max_age=ONE_YEAR, conditional=True
    )
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    return response


@bp.app_template_filter("dashboard_figure")
def format_figure(value: Any) -> str:
    """A table cell: numbers in the reader's notation, a dash for 'not known yet'."""
    from flask_babel import format_decimal

    if value is None:
        return _("n/a")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float):
        return str(format_decimal(value, format="#,##0.0"))
    return str(format_decimal(value, format="#,##0"))
