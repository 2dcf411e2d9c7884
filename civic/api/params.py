"""Query parameters of the API, checked strictly: a bad value is a 400 problem, never a guess."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import request, url_for
from flask_babel import lazy_gettext as _l

from civic.errors import CivicError, NotFound

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_OFFSET = 1_000_000_000
MAX_ID = 2_147_483_647  # PostgreSQL integer
TEXT_MAX = 80
_DIGITS = re.compile(r"[0-9]{1,10}")
E = TypeVar("E", bound=enum.Enum)


class BadParameter(CivicError):
    """A query parameter the API does not understand."""

    code = "bad_parameter"
    status = 400
    default_message = _l("A query parameter has a value the API does not accept.")


def integer(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A whole number within [low, high]."""
    raw = args.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise BadParameter(
            _l(
                "%(name)s must be a whole number from %(low)s to %(high)s.",
                name=name,
                low=low,
                high=high,
            ),
            parameter=name,
        )
    return int(raw)


def choice(args: Mapping[str, str], name: str, kind: type[E]) -> E | None:
    """One of an enum's values, or None when absent."""
    raw = args.get(name)
    if raw is None:
        return None
    try:
        return kind(raw)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        raise BadParameter(
            _l("%(name)s must be one of: %(allowed)s.", name=name, allowed=allowed), parameter=name
        ) from None


def text(args: Mapping[str, str], name: str) -> str | None:
    """A short free text (a service area, an agency slug), or None when absent or empty."""
    raw = args.get(name)
    if raw is None or not raw.strip():
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in raw):
        raise BadParameter(_l("%(name)s contains control characters.", name=name), parameter=name)
    if len(raw) > TEXT_MAX:
        raise BadParameter(
            _l("%(name)s may be at most %(max)s characters.", name=name, max=TEXT_MAX),
            parameter=name,
        )
    return raw.strip()


def object_id(value: int) -> int:
    """A path id; beyond the database's range it cannot exist."""
    if not 1 <= value <= MAX_ID:
        raise NotFound()
    return value


@dataclass(frozen=True)
class Window:
    """limit/offset of a list request."""

    limit: int
    offset: int


def window(args: Mapping[str, str]) -> Window:
    """?limit= (1-100, default 20) and ?offset= (0 or more)."""
    return Window(
        integer(args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        integer(args, "offset", 0, 0, MAX_OFFSET),
    )


def page(
    items: list[dict[str, Any]], total: int, win: Window, filters: Mapping[str, object]
) -> dict[str, Any]:
    """A list response: items, totals and links to this, the first, previous and next page
    (keeping the list's `filters`)."""
    endpoint = request.endpoint or ""
    args = {k: str(v) for k, v in filters.items() if v is not None}

    def link(offset: int) -> str:
        return url_for(endpoint, **args, limit=win.limit, offset=offset, _external=True)

    prev_offset = max(win.offset - win.limit, 0)
    return {
        "items": items,
        "total": total,
        "limit": win.limit,
        "offset": win.offset,
        "links": {
            "self": link(win.offset),
            "first": link(0),
            "prev": link(prev_offset) if win.offset > 0 else None,
            "next": link(win.offset + win.limit) if win.offset + win.limit < total else None,
        },
    }
