"""Public pages of draws: the record, everybody's probability, the seed, the selection, files."""

from __future__ import annotations

from flask import Response, render_template
from sqlalchemy import select

from civic.draws import bp, services
from civic.draws.models import Draw, DrawStatus
from civic.extensions import db


def _download(text: str, name: str, mimetype: str) -> Response:
    response = Response(text, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/")
def index() -> str:
    """Every published draw, newest first."""
    draws = db.session.scalars(
        select(Draw)
        .where(Draw.status.in_([DrawStatus.PUBLISHED, DrawStatus.DRAWN]))
        .order_by(Draw.id.desc())
    ).all()
    return render_template("draws/list.html", draws=draws)


@bp.get("/<int:draw_id>")
def detail(draw_id: int) -> str:
    """The public record of one draw and how to check it."""
    draw = services.get_draw(draw_id)
    return render_template(
        "draws/detail.html",
        draw=draw,
        summary=services.summary(draw),
        probabilities=services.probabilities(draw),
        command=services.verify_command(draw),
    )


@bp.get("/<int:draw_id>/draw-<int:same_id>-record.json")
def record(draw_id: int, same_id: int) -> Response:
    """The record exactly as published (its SHA-256 is on the page)."""
    draw = services.get_draw(draw_id if draw_id == same_id else 0)
    return _download(draw.record, f"draw-{draw.id}-record.json", "application/json")


@bp.get("/<int:draw_id>/draw-<int:same_id>.json")
def result(draw_id: int, same_id: int) -> Response:
    """The record with the seed and the selection, for `python -m sortition verify`."""
    draw = services.get_draw(draw_id if draw_id == same_id else 0)
    return _download(services.result_json(draw), f"draw-{draw.id}.json", "application/json")


@bp.get("/<int:draw_id>/draw-<int:same_id>-features.csv")
def features(draw_id: int, same_id: int) -> Response:
    """The quotas in the features.csv format."""
    draw = services.get_draw(draw_id if draw_id == same_id else 0)
    return _download(services.features_csv(draw), f"draw-{draw.id}-features.csv", "text/csv")


@bp.get("/<int:draw_id>/draw-<int:same_id>-people.csv")
def people(draw_id: int, same_id: int) -> Response:
    """The pseudonymous pool in the people.csv format."""
    draw = services.get_draw(draw_id if draw_id == same_id else 0)
    return _download(services.people_csv(draw), f"draw-{draw.id}-people.csv", "text/csv")
