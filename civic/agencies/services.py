"""Agency use cases: list, create, edit; the staff of an agency."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from civic import audit
from civic.accounts.models import Role, User
from civic.agencies.models import Agency
from civic.agencies.rules import (
    MAX_RESPONSE_DAYS,
    MIN_RESPONSE_DAYS,
    area_problems,
    normalise_areas,
    valid_slug,
)
from civic.errors import InvalidInput, NotFound
from civic.extensions import db


class AgencyInvalid(InvalidInput):
    """Agency input breaking a rule; `field` and `reason` say which (the admin area words it)."""

    def __init__(self, field: str, reason: str, **details: object) -> None:
        super().__init__(None, field=field, reason=reason, **details)
        self.field, self.reason = field, reason


@dataclass(frozen=True)
class AgencyData:
    """What an administrator enters for an agency."""

    name: str
    slug: str
    service_areas: list[str]
    response_days: int
    lead_email: str | None


def list_agencies() -> list[Agency]:
    """All agencies by name."""
    return list(db.session.scalars(select(Agency).order_by(Agency.name)))


def get_agency(agency_id: int) -> Agency:
    """The agency with this id, or NotFound."""
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise NotFound()
    return agency


def staff_of(agency: Agency) -> list[User]:
    """The agency's officers, by e-mail."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.agency_id == agency.id, User.role == Role.OFFICER)
            .order_by(User.email)
        )
    )


def _snapshot(agency: Agency) -> dict[str, object]:
    return {
        "name": agency.name,
        "slug": agency.slug,
        "service_areas": agency.service_area_list,
        "response_days": agency.response_days,
        "lead_email": agency.lead_email,
    }


def _taken(column: object, value: str, agency_id: int | None) -> bool:
    query = select(func.count()).select_from(Agency).where(func.lower(column) == value.lower())  # type: ignore[arg-type]
    if agency_id is not None:
        query = query.where(Agency.id != agency_id)
    return bool(db.session.scalar(query))


def _check(data: AgencyData, agency_id: int | None) -> AgencyData:
    name, slug = " ".join(data.name.split()), data.slug.strip().lower()
    if not name:
        raise AgencyInvalid("name", "name_missing")
    if not valid_slug(slug):
        raise AgencyInvalid("slug", "slug_format")
    if _taken(Agency.name, name, agency_id):
        raise AgencyInvalid("name", "name_taken")
    if _taken(Agency.slug, slug, agency_id):
        raise AgencyInvalid("slug", "slug_taken")
    areas = normalise_areas(data.service_areas)
    bad = area_problems(areas)
    if bad:
        raise AgencyInvalid("service_areas", "area_format", names=", ".join(bad))
    if not MIN_RESPONSE_DAYS <= data.response_days <= MAX_RESPONSE_DAYS:
        raise AgencyInvalid(
            "response_days", "days_range", low=MIN_RESPONSE_DAYS, high=MAX_RESPONSE_DAYS
        )
    lead = (data.lead_email or "").strip().lower() or None
    return AgencyData(name, slug, areas, data.response_days, lead)


def _apply(agency: Agency, data: AgencyData) -> None:
    agency.name, agency.slug = data.name, data.slug
    agency.set_service_areas(data.service_areas)
    agency.response_days, agency.lead_email = data.response_days, data.lead_email


def create_agency(actor: User, data: AgencyData) -> Agency:
    """Add an agency."""
    data = _check(data, None)
    agency = Agency()
    _apply(agency, data)
    db.session.add(agency)
    db.session.flush()
    audit.record(actor, "agency.created", agency, None, _snapshot(agency))
    return agency


def update_agency(actor: User, agency: Agency, data: AgencyData) -> bool:
    """Change an agency; False when nothing changed."""
    data = _check(data, agency.id)
    before = _snapshot(agency)
    _apply(agency, data)
    after = _snapshot(agency)
    if before == after:
        return False
    audit.record(actor, "agency.changed", agency, before, after)
    db.session.flush()
    return True
