"""Small building blocks shared by the API's serialisers: moments as text, list totals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from civic.extensions import db


def when(moment: datetime | None) -> str | None:
    """An aware UTC moment as RFC 3339 text."""
    return moment.isoformat() if moment is not None else None


def count(query: Select[Any]) -> int:
    """How many rows `query` gives (the `total` of a list page)."""
    return int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def agency_ref(agency_id: int, slug: str, name: str) -> dict[str, Any]:
    """An agency as other objects name it."""
    return {"id": agency_id, "slug": slug, "name": name}
