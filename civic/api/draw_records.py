"""What the API publishes of draws by lot: the public record's facts, the seed and the selection.

Only published and drawn draws are public (a prepared record may still change). A draw's pool
holds pseudonyms (V<invitation id> for panels, V<volunteer id> for pilots) and feature labels,
never a name, e-mail address or register key; the pool itself is left to the people.csv
download and only the selected pseudonyms and the reserve order appear here.
"""

from __future__ import annotations

import enum
from typing import Any

from flask import url_for
from sqlalchemy import Select, select

from civic.api.params import Window
from civic.api.values import count, when
from civic.draws import services
from civic.draws.models import Draw, DrawStatus
from civic.errors import NotFound
from civic.extensions import db


class PublicDrawStatus(enum.StrEnum):
    """The states in which a draw is public (the `status` filter of /draws)."""

    PUBLISHED = DrawStatus.PUBLISHED.value
    DRAWN = DrawStatus.DRAWN.value


PUBLIC = [DrawStatus.PUBLISHED, DrawStatus.DRAWN]


def draw_links(draw_id: int) -> dict[str, str]:
    """The API object, the public page and the four public files of a draw."""

    def download(endpoint: str) -> str:
        return url_for(endpoint, draw_id=draw_id, same_id=draw_id, _external=True)

    return {
        "self": url_for("api.draw", draw_id=draw_id, _external=True),
        "page": url_for("draws.detail", draw_id=draw_id, _external=True),
        "record": download("draws.record"),
        "result": download("draws.result"),
        "features": download("draws.features"),
        "people": download("draws.people"),
    }


def draw_ref(draw_id: int, status: DrawStatus) -> dict[str, Any]:
    """A short reference to a public draw, as panels and pilots list it."""
    return {"id": draw_id, "status": DrawStatus(status).value, "links": draw_links(draw_id)}


def _draw(draw: Draw) -> dict[str, Any]:
    facts = services.summary(draw)
    drawn = draw.status == DrawStatus.DRAWN
    return {
        "id": draw.id,
        "purpose": draw.purpose,
        "subject_id": draw.subject_id,
        "k": draw.k,
        "n": facts["n"],
        "algorithm": draw.algorithm.value,
        "version": facts["version"],
        "status": draw.status.value,
        "record_sha256": draw.record_sha256,
        "pool_sha256": facts["pool_sha256"],
        "quotas_sha256": facts["quotas_sha256"],
        "lottery_sha256": facts["lottery_sha256"],
        "lottery_m": facts["lottery_m"],
        "quotas": [
            {"feature": q["feature"], "value": q["value"], "min": q["min"], "max": q["max"]}
            for q in draw.quotas
        ],
        "seed": draw.seed if drawn else None,
        "selected": sorted(draw.selected or []) if drawn else None,
        "reserve": list(draw.reserve or []) if drawn else None,
        "published_at": when(draw.published_at),
        "drawn_at": when(draw.drawn_at) if drawn else None,
        "links": draw_links(draw.id),
    }


def _draw_query() -> Select[Any]:
    return select(Draw).where(Draw.status.in_(PUBLIC))


def draws(
    win: Window, status: PublicDrawStatus | None, purpose: str | None, subject_id: int | None
) -> tuple[list[dict[str, Any]], int]:
    """Published and drawn draws, newest first."""
    query = _draw_query()
    if status is not None:
        query = query.where(Draw.status == DrawStatus(status.value))
    if purpose:
        query = query.where(Draw.purpose == purpose)
    if subject_id is not None:
        query = query.where(Draw.subject_id == subject_id)
    found = db.session.scalars(query.order_by(Draw.id.desc()).limit(win.limit).offset(win.offset))
    return [_draw(d) for d in found], count(query)


def draw(draw_id: int) -> dict[str, Any]:
    """One public draw, or NotFound (a prepared draw is not public yet)."""
    found = db.session.scalars(_draw_query().where(Draw.id == draw_id)).first()
    if found is None:
        raise NotFound()
    return _draw(found)


def public_draws(purpose: str, subject_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """References to the public draws of each subject (panel, pilot), oldest first."""
    result: dict[int, list[dict[str, Any]]] = {i: [] for i in subject_ids}
    if not subject_ids:
        return result
    rows = db.session.execute(
        select(Draw.subject_id, Draw.id, Draw.status)
        .where(Draw.purpose == purpose, Draw.subject_id.in_(subject_ids), Draw.status.in_(PUBLIC))
        .order_by(Draw.subject_id, Draw.id)
    ).all()
    for subject_id, draw_id, status in rows:
        result[subject_id].append(draw_ref(draw_id, status))
    return result
