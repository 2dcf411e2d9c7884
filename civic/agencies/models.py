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
    # Comma-separated service-area codes, e.g. "afval,parkeren"; small and read-mostly.
    service_areas: Mapped[str] = mapped_column(Text, default="")
    response_days: Mapped[int] = mapped_column(Integer, default=56)
    lead_email: Mapped[str | None] = mapped_column(String(254))

    @property
    def service_area_list(self) -> list[str]:
        """The service areas as a list."""
        return [a.strip() for a in self.service_areas.split(",") if a.strip()]
