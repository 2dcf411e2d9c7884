"""Plotly figures built on the server (plotly.graph_objects) and sent to the page as JSON.

The chart element's data-figure attribute holds the figure; civic/static/js/dashboard.js
calls Plotly.newPlot.
plotly is imported on first use, so app start-up and CLI commands stay quick.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Colours of the design system; both reach 3:1 against white (WCAG 1.4.11) and differ in
# lightness as well as hue, so the bars stay apart in greyscale.
PRIMARY = "#154273"
SECONDARY = "#b34700"
FONT = '"Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": "none",
        "font": {"family": FONT, "size": 14, "color": "#1b1b1b"},
        "margin": {"l": 16, "r": 16, "t": 16, "b": 16},
        "height": 360,
        "showlegend": False,
        "xaxis": {"automargin": True, "fixedrange": True},
        "yaxis": {"automargin": True, "fixedrange": True, "rangemode": "tozero"},
    }
    layout.update(extra)
    return layout


def as_data_block(figure: Any) -> str:
    """The figure as JSON text; the template puts it in a data-figure attribute (escaped by
    Jinja), which the CSP and the no-inline-script rule both allow."""
    return str(figure.to_json())


def horizontal_bars(labels: Sequence[str], values: Sequence[int], axis_title: str) -> str:
    """One bar per label, top to bottom (the idea funnel)."""
    import plotly.graph_objects as go

    figure = go.Figure(
        go.Bar(
            x=list(values),
            y=list(labels),
            orientation="h",
            marker={"color": PRIMARY},
            text=list(values),
            textposition="auto",
            hovertemplate="%{y}: %{x}<extra></extra>",
        ),
        layout=_layout(
            xaxis={"title": {"text": axis_title}, "automargin": True, "fixedrange": True},
            yaxis={"autorange": "reversed", "automargin": True, "fixedrange": True},
        ),
    )
    return as_data_block(figure)


def line(x: Sequence[str], y: Sequence[int], x_title: str, y_title: str) -> str:
    """A line with a marker per point (votes over time)."""
    import plotly.graph_objects as go

    figure = go.Figure(
        go.Scatter(
            x=list(x),
            y=list(y),
            mode="lines+markers",
            line={"color": PRIMARY, "width": 3},
            marker={"color": PRIMARY, "size": 8},
            hovertemplate="%{x}: %{y}<extra></extra>",
        ),
        layout=_layout(
            xaxis={
                "title": {"text": x_title},
                "type": "category",
                "automargin": True,
                "fixedrange": True,
            },
            yaxis={
                "title": {"text": y_title},
                "rangemode": "tozero",
                "automargin": True,
                "fixedrange": True,
            },
        ),  # fmt: skip
    )
    return as_data_block(figure)


def grouped_bars(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    y_title: str,
) -> str:
    """Bars per category, one colour per series, with a legend (at most two series)."""
    import plotly.graph_objects as go

    colours = (PRIMARY, SECONDARY)
    figure = go.Figure(
        [
            go.Bar(
                name=name,
                x=list(categories),
                y=list(values),
                marker={"color": colours[i % 2]},
                hovertemplate="%{x}, " + name + ": %{y}<extra></extra>",
            )
            for i, (name, values) in enumerate(series)
        ],
        layout=_layout(
            barmode="group",
            showlegend=True,
            legend={"orientation": "h", "y": -0.2},
            yaxis={
                "title": {"text": y_title},
                "rangemode": "tozero",
                "automargin": True,
                "fixedrange": True,
            },
        ),  # fmt: skip
    )
    return as_data_block(figure)
