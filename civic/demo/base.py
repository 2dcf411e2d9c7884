"""The base of the demo: agencies, one account of every role, the synthetic register."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass

import click
from flask import current_app
from sqlalchemy import func, select

from civic import audit, clock
from civic.accounts.models import Role, User
from civic.accounts.passwords import hash_password
from civic.agencies.models import Agency
from civic.extensions import db
from panels.register_rules import DEFAULT_EXTRA_FIELDS

MUNICIPALITY = "Gemeente Rivierstad"
AREAS = ("Centrum", "Noord", "Oost", "Zuid", "West", "Havenkwartier")
EDUCATION = ("basis", "vmbo", "mbo", "havo-vwo", "hbo-wo")
REGISTER_SIZE = 3000


@dataclass(frozen=True)
class DemoAgency:
    slug: str
    name: str
    service_areas: str
    lead_email: str


AGENCIES = (
    DemoAgency(
        "burgerzaken", "Burgerzaken", "paspoort,verhuizen,geboorte", "lead@burgerzaken.demo"
    ),
    DemoAgency("afval", "Afval en Reiniging", "afval,straatreiniging", "lead@afval.demo"),
    DemoAgency("zorg", "Zorg en Welzijn", "wmo,mantelzorg,jeugd", "lead@zorg.demo"),
)


@dataclass(frozen=True)
class DemoUser:
    email: str
    role: Role
    name: str
    agency: str | None = None
    verified: bool = False  # verified through a letter code (see people.py)


USERS = (
    DemoUser("admin@rivierstad.demo", Role.ADMIN, "Anouk Beheer"),
    DemoUser("moderator@rivierstad.demo", Role.MODERATOR, "Mohammed Moderator"),
    DemoUser("clerk@rivierstad.demo", Role.CLERK, "Carla Balie"),
    DemoUser("officer@burgerzaken.demo", Role.OFFICER, "Olaf Burgerzaken", "burgerzaken"),
    DemoUser("officer@afval.demo", Role.OFFICER, "Fatima Afval", "afval"),
    DemoUser("officer@zorg.demo", Role.OFFICER, "Zeynep Zorg", "zorg"),
    DemoUser("resident@rivierstad.demo", Role.RESIDENT, "Rik Inwoner", verified=True),
    DemoUser("new.resident@rivierstad.demo", Role.RESIDENT, "Noor Nieuw"),
)


def demo_password(email: str) -> str:
    """A fixed, printable password per demo account (demo data only)."""
    return "demo-" + email.split("@", 1)[0].replace(".", "-") + "-2026"


def load_agencies() -> dict[str, Agency]:
    """The three agencies, created once."""
    found: dict[str, Agency] = {}
    for spec in AGENCIES:
        agency = db.session.scalar(select(Agency).where(Agency.slug == spec.slug))
        if agency is None:
            agency = Agency(
                slug=spec.slug,
                name=spec.name,
                service_areas=spec.service_areas,
                lead_email=spec.lead_email,
            )
            db.session.add(agency)
            db.session.flush()
            audit.record("demo", "agency.created", agency, after={"slug": spec.slug})
        found[spec.slug] = agency
    return found


def load_users(agencies: dict[str, Agency]) -> list[tuple[DemoUser, bool]]:
    """One account per role, created once; (spec, created now)."""
    made = []
    for spec in USERS:
        user = db.session.scalar(select(User).where(User.email == spec.email))
        created = user is None
        if user is None:
            now = clock.now()
            user = User(
                email=spec.email,
                password_hash=hash_password(demo_password(spec.email)),
                display_name=spec.name,
                role=spec.role,
                agency_id=agencies[spec.agency].id if spec.agency else None,
                email_confirmed_at=now,
            )
            db.session.add(user)
            db.session.flush()
            audit.record("demo", "account.created", user, after={"role": spec.role.value})
        made.append((spec, created))
    return made


def register_rows(n: int = REGISTER_SIZE) -> Iterator[str]:
    """A deterministic synthetic register extract (header first), CSV lines."""
    extra = current_app.config.get("REGISTER_EXTRA_FIELDS", DEFAULT_EXTRA_FIELDS)
    yield ",".join(("register_id", "household_id", "birth_year", "gender", "area", *extra))
    for i in range(1, n + 1):
        digest = hashlib.sha256(f"rivierstad:{i}".encode()).digest()
        household = i - (digest[0] % 3 == 0 and i > 1)  # about a third share a household
        birth_year = 1935 + digest[1] % 72
        gender = "vm"[digest[2] % 2] if digest[3] % 50 else "x"
        area = AREAS[digest[4] % len(AREAS)]
        values = [EDUCATION[digest[5 + k] % len(EDUCATION)] for k, _ in enumerate(extra)]
        yield ",".join((f"RS{i:06d}", f"HH{household:06d}", str(birth_year), gender, area, *values))


def load_register() -> str:
    """Import the synthetic register once."""
    from panels.models import RegisterPerson
    from panels.register import import_register

    existing = db.session.scalar(select(func.count()).select_from(RegisterPerson)) or 0
    if existing:
        return f"register: {existing} people already present"
    data = ("\n".join(register_rows()) + "\n").encode()
    result = import_register(io.BytesIO(data), "rivierstad-demo.csv", "demo")
    if not result.ok:
        raise click.ClickException(f"demo register refused: {result.errors[:3]}")
    return f"register: {result.record.added} people imported"
