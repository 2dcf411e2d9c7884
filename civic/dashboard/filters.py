"""The dashboard's filters: period, service area and agency, parsed from a query string."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from civic.agencies.models import Agency
from civic.errors import InvalidInput
from civic.extensions import db

AREA_MAX = 80


class Period(enum.StrEnum):
    """How far back the figures look, counted from now."""

    ALL = "all"
    YEAR = "12m"
    QUARTER = "3m"
    MONTH = "1m"


PERIOD_DAYS = {Period.YEAR: 365, Period.QUARTER: 91, Period.MONTH: 30}
PERIOD_LABELS = {
    Period.ALL: _l("All time"),
    Period.YEAR: _l("Last 12 months"),
    Period.QUARTER: _l("Last 3 months"),
    Period.MONTH: _l("Last 30 days"),
}


@dataclass(frozen=True)
class Filters:
    """What the figures are restricted to; None means no restriction."""

    period: Period = Period.ALL
    area: str | None = None
    agency_id: int | None = None
    agency_slug: str | None = None

    def since(self, now: datetime) -> datetime | None:
        """The start of the period (whole days, so the cache key is stable within a day)."""
        if self.period == Period.ALL:
            return None
        start = now - timedelta(days=PERIOD_DAYS[self.period])
        return start.replace(hour=0, minute=0, second=0, microsecond=0)

    def key(self, now: datetime) -> tuple[object, ...]:
        """A hashable cache key: the resolved period start, the area and the agency."""
        return (self.since(now), (self.area or "").casefold(), self.agency_id)

    def query_args(self) -> dict[str, str]:
        """The filters as query-string arguments (for links and CSV downloads)."""
        args = {"period": self.period.value}
        if self.area:
            args["area"] = self.area
        if self.agency_slug:
            args["agency"] = self.agency_slug
        return args


def parse_filters(args: Mapping[str, str]) -> Filters:
    """Read ?period=&area=&agency=; an unknown period or agency is refused with a message."""
    raw_period = (args.get("period") or Period.ALL.value).strip()
    try:
        period = Period(raw_period)
    except ValueError:
        raise InvalidInput(_l("Unknown period. Choose one of the periods offered.")) from None
    if any(ord(c) < 32 for value in args.values() for c in value):
        raise InvalidInput(_l("The filters contain characters that are not allowed."))
    area = (args.get("area") or "").strip() or None
    if area is not None and len(area) > AREA_MAX:
        raise InvalidInput(_l("The service area name is too long."))
    slug = (args.get("agency") or "").strip() or None
    agency_id = None
    if slug is not None:
        agency_id = db.session.scalar(select(Agency.id).where(Agency.slug == slug))
        if agency_id is None:
            raise InvalidInput(_l("Unknown agency. Choose one of the agencies offered."))
    return Filters(period, area, agency_id, slug)
