"""Pure rules for agencies: slugs and service-area lists."""

from __future__ import annotations

import re
from collections.abc import Iterable

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_AREA_LENGTH = 80
MIN_RESPONSE_DAYS, MAX_RESPONSE_DAYS = 1, 365
DEFAULT_RESPONSE_DAYS = 56


def valid_slug(slug: str) -> bool:
    """Lower-case letters and digits in groups joined by single hyphens, at most 80 long."""
    return 0 < len(slug) <= 80 and SLUG_RE.fullmatch(slug) is not None


def normalise_areas(names: Iterable[str]) -> list[str]:
    """Trimmed, single-spaced names; duplicates (ignoring case) and blanks dropped, order kept."""
    seen: set[str] = set()
    result: list[str] = []
    for raw in names:
        name = " ".join(raw.split())
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            result.append(name)
    return result


def area_problems(names: Iterable[str]) -> list[str]:
    """Names that cannot be stored: too long or containing a comma (the stored separator)."""
    return [n for n in names if "," in n or len(n) > MAX_AREA_LENGTH]
