"""Government agencies that answer proposals."""

from __future__ import annotations

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civic.extensions import db


class Agency(db.Model):  # type: ignore[name-defined,misc]
    """An agency: its name, URL slug, service areas and default response deadline."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    # Service-area names, normalised (trimmed, de-duplicated, no commas) and joined by commas.
    # A handful per agency, always read with it and never queried on their own, so one text
    # column beats a join table; set them through `set_service_areas`.
    service_areas: Mapped[str] = mapped_column(Text, default="")
    # Default response deadline for proposals sent to this agency, in days (8 weeks).
    response_days: Mapped[int] = mapped_column(Integer, default=56)
    # Escalations of overdue proposals go to this address.
    lead_email: Mapped[str | None] = mapped_column(String(254))

    @property
    def service_area_list(self) -> list[str]:
        """The service areas as a list."""
        return [a.strip() for a in (self.service_areas or "").split(",") if a.strip()]

    def set_service_areas(self, names: list[str]) -> None:
        """Store already-normalised names (see civic.agencies.rules.normalise_areas)."""
        self.service_areas = ",".join(names)
