"""The dashboard's sections: a figure, the table with the same numbers, and its CSV name.

Sections are built from the cached query results in the reader's language; the built
sections are cached too (per filters, language and data version).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from civic.dashboard import charts, queries
from civic.dashboard.cache import cached
from civic.dashboard.filters import Filters

STAGE_LABELS = {
    "submitted": _l("Submitted"),
    "screened": _l("Screened"),
    "voting": _l("Put to the vote"),
    "decided": _l("Vote closed"),
    "reached": _l("Reached the threshold"),
    "answered": _l("Answered by the agency"),
    "pilot": _l("Tested in a pilot"),
    "rolled_out": _l("Rolled out"),
}
FEATURE_LABELS = {"gender": _l("Gender"), "age": _l("Age"), "area": _l("Area")}


@dataclass(frozen=True)
class Table:
    """Caption, column headers, raw rows (numbers stay numbers) and the numeric columns."""

    caption: str
    headers: list[str]
    rows: list[list[Any]]
    numeric: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    """One chart with its table; `csv` names the download (None: no chart data yet)."""

    slug: str
    title: str
    intro: str
    table: Table
    figure: str | None  # Plotly figure JSON
    points: int  # bars or markers the chart draws (the browser test counts them)


def _key(filters: Filters, now: datetime) -> tuple[object, ...]:
    return (*filters.key(now), str(get_locale()))


def funnel_section(filters: Filters, now: datetime) -> Section:
    """The idea funnel."""
    stages = cached("funnel", filters.key(now), lambda: queries.funnel(filters, now))
    labels = [str(STAGE_LABELS[s.key]) for s in stages]
    counts = [s.count for s in stages]
    table = Table(
        _("Ideas per stage"),
        [_("Stage"), _("Ideas")],
        [list(r) for r in zip(labels, counts, strict=True)],
        [1],
    )
    return Section(
        "funnel",
        _("From idea to result"),
        _(
            "How many ideas reached each stage. "
            "Every stage counts the ideas that got at least that far."
        ),
        table,
        charts.horizontal_bars(labels, counts, _("Ideas")),
        len(stages),
    )


def votes_section(filters: Filters, now: datetime) -> Section:
    """Votes over time."""
    buckets = cached("votes", filters.key(now), lambda: queries.votes_over_time(filters, now))
    day = queries.bucket_unit(filters) == "day"
    when = _("Day (UTC)") if day else _("Month (UTC)")
    rows = [[b.bucket, b.votes] for b in buckets]
    table = Table(
        _("Votes on ideas per day") if day else _("Votes on ideas per month"),
        [when, _("Votes")],
        rows,
        [1],
    )
    figure = (
        charts.line([b.bucket for b in buckets], [b.votes for b in buckets], when, _("Votes"))
        if buckets
        else None
    )
    return Section(
        "votes",
        _("Votes over time"),
        _("Votes for ideas, by the date they were cast. Withdrawn votes are not counted."),
        table,
        figure,
        len(buckets),
    )


def agency_headers() -> list[str]:
    """Column headers of the agency table and CSV."""
    return [
        _("Agency"), _("Ideas"), _("Ideas that reached the threshold"), _("Proposals"),
        _("Awaiting an answer"), _("Overdue"), _("Answered"), _("Answered on time (%)"),
        _("Median days to answer"), _("Adopted (%)"), _("Average rating"),
    ]  # fmt: skip


def agencies_section(filters: Filters, now: datetime) -> Section:
    """The agency table with a chart of proposals awaiting an answer and overdue ones."""
    figures = cached("agencies", filters.key(now), lambda: queries.agency_figures(filters, now))
    rows = [
        [a.name, a.ideas, a.reached, a.proposals, a.open, a.overdue, a.answered,
         a.answered_on_time_pct, a.median_days_to_answer, a.adoption_rate_pct, a.rating]
        for a in figures
    ]  # fmt: skip
    table = Table(_("Agencies and their answers"), agency_headers(), rows, list(range(1, 11)))
    figure = None
    if figures:
        names = [a.name for a in figures]
        figure = charts.grouped_bars(
            names,
            [
                (_("Awaiting an answer"), [a.open for a in figures]),
                (_("Overdue"), [a.overdue for a in figures]),
            ],
            _("Proposals"),
        )
    return Section(
        "agencies",
        _("Agencies"),
        _(
            "Proposals (reached ideas and panel recommendations) per agency, and how the "
            "agency answers them. An answer is overdue after the agency's deadline, "
            "usually eight weeks."
        ),
        table,
        figure,
        2 * len(figures),
    )


PILOT_LABELS = {
    "setup": _l("Being set up"),
    "recruiting": _l("Recruiting testers"),
    "drawn": _l("Testers drawn"),
    "running": _l("Running"),
    "evaluating": _l("Being evaluated"),
    "go": _l("Decided: go"),
    "no_go": _l("Decided: no go"),
    "rollout_planned": _l("Rollout planned"),
    "rolled_out": _l("Rolled out"),
}


def pilots_section(filters: Filters, now: datetime) -> Section:
    """Pilots per state and their go / no-go outcomes."""
    counts = cached("pilots", filters.key(now), lambda: queries.pilot_outcomes(filters, now))
    labels = [str(PILOT_LABELS[c.key]) for c in counts]
    values = [c.pilots for c in counts]
    rows = [[label, n] for label, n in zip(labels, values, strict=True)]
    table = Table(_("Pilots per state"), [_("State"), _("Pilots")], rows, [1])
    figure = charts.horizontal_bars(labels, values, _("Pilots")) if counts else None
    return Section(
        "pilots",
        _("Pilot outcomes"),
        _(
            "Before a change is rolled out, testers drawn by lot try it. The agency decides "
            "go or no go against success criteria written down before the pilot started."
        ),
        table,
        figure,
        len(counts),
    )


def overview(filters: Filters, now: datetime) -> list[Section]:
    """The sections of the dashboard's front page."""
    return cached(
        "overview",
        _key(filters, now),
        lambda: [
            funnel_section(filters, now),
            votes_section(filters, now),
            agencies_section(filters, now),
            pilots_section(filters, now),
        ],
    )


def feature_section(
    panel: queries.PanelComposition, feature: queries.FeatureComposition
) -> Section:
    """One panel's composition on one feature against the population."""
    label = str(FEATURE_LABELS[feature.feature])
    rows = [
        [v.value, v.members, v.member_pct, v.population, v.population_pct] for v in feature.values
    ]
    headers = [label, _("Panel members"), _("Panel (%)"), _("Residents (18+)"), _("Residents (%)")]
    table = Table(
        _("%(panel)s: %(feature)s", panel=panel.title, feature=label.lower()),
        headers,
        rows,
        [1, 2, 3, 4],
    )
    categories = [v.value for v in feature.values]
    figure = None
    if categories:
        figure = charts.grouped_bars(
            categories,
            [
                (_("Panel (%)"), [v.member_pct for v in feature.values]),
                (_("Residents (%)"), [v.population_pct for v in feature.values]),
            ],
            _("Share (%)"),
        )
    return Section(
        f"panel-{panel.id}-{feature.feature}", label, "", table, figure, 2 * len(categories)
    )


def panel_sections(
    filters: Filters, now: datetime
) -> list[tuple[queries.PanelComposition, list[Section]]]:
    """Every panel with a section per feature."""

    def build() -> list[tuple[queries.PanelComposition, list[Section]]]:
        panels = queries.panel_compositions(filters, now)
        return [(p, [feature_section(p, f) for f in p.features]) for p in panels]

    return cached("panels", _key(filters, now), build)
