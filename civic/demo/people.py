"""Demo residents: the demo account verified through a letter code, and the many verified
residents who vote, volunteer and rate (one shared password hash, hashed once)."""

from __future__ import annotations

from sqlalchemy import select

from civic import audit, clock
from civic.accounts.models import Role, User
from civic.accounts.passwords import hash_password
from civic.demo.base import USERS
from civic.errors import NotFound
from civic.extensions import db
from panels import verification
from panels.models import RegisterPerson, ResidentLink

RESIDENTS = 160  # enough for every demo ballot (the largest has 141 votes)
RESIDENT_PASSWORD = "demo-inwoner-2026"  # noqa: S105 - demo data only, printed on purpose
FIRST = (
    "Sanne", "Daan", "Fatma", "Joost", "Lotte", "Yusuf", "Emma", "Bram", "Noa", "Sem",
    "Aisha", "Thijs", "Iris", "Mehmet", "Fleur", "Ruben", "Sara", "Kees", "Ilse", "Milan",
    "Julia", "Hamza", "Anna", "Wouter", "Nadia", "Pieter", "Eva", "Jesse", "Mila", "Henk",
)  # fmt: skip
LAST = (
    "de Vries", "Jansen", "Bakker", "Yilmaz", "Visser", "Smit", "Meijer", "el Amrani",
    "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Dijk",
    "Kaya", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Koster", "Verhoeven", "Prins",
)  # fmt: skip


def resident_email(n: int) -> str:
    """The e-mail of bulk demo resident `n` (1-based)."""
    return f"inwoner{n:03d}@rivierstad.demo"


def display_name(n: int) -> str:
    """A believable Dutch name for demo person `n`."""
    return f"{FIRST[n % len(FIRST)]} {LAST[(n * 7 + n // len(FIRST)) % len(LAST)]}"


def register_id_of(n: int) -> str:
    """The clear register id the clerk types for bulk resident `n` (RS000101 onwards)."""
    return f"RS{100 + n:06d}"


def register_ready() -> bool:
    """The synthetic register of this demo is present (not someone else's register)."""
    try:
        return isinstance(verification.person_by_register_id("RS000042"), RegisterPerson)
    except NotFound:  # someone else's register: the story is skipped
        return False


def verify_with_code(clerk: User, user: User, register_id: str) -> ResidentLink:
    """The clerk issues a letter code for the person; the resident redeems it."""
    _row, code = verification.clerk_issue_code(clerk, register_id)
    return verification.redeem(user, code)


def create_account(email: str, name: str, password_hash: str) -> User:
    """A confirmed resident account (audited like every demo account)."""
    user = User(
        email=email,
        password_hash=password_hash,
        display_name=name,
        role=Role.RESIDENT,
        email_confirmed_at=clock.now(),
    )
    db.session.add(user)
    db.session.flush()
    audit.record("demo", "account.created", user, after={"role": Role.RESIDENT.value})
    return user


def user_by_email(email: str) -> User:
    """A demo account that must exist."""
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        raise LookupError(email)
    return user


def verify_demo_resident(clerk: User) -> bool:
    """Link the demo resident to register person RS000042 (once); True when linked now."""
    spec = next(u for u in USERS if u.verified)
    user = user_by_email(spec.email)
    if verification.link_for(user) is not None:
        return False
    verify_with_code(clerk, user, "RS000042")
    return True


def residents_loaded() -> bool:
    """The marker of this section: the last bulk resident exists."""
    email = resident_email(RESIDENTS)
    return db.session.scalar(select(User.id).where(User.email == email)) is not None


def shared_hash() -> str:
    """The one password hash of every bulk demo account (hashed once per run)."""
    return hash_password(RESIDENT_PASSWORD)


def create_residents(clerk: User, password_hash: str) -> list[User]:
    """Many verified residents (accounts, letter codes from the clerk, redeemed)."""
    made = []
    for n in range(1, RESIDENTS + 1):
        user = create_account(resident_email(n), display_name(n), password_hash)
        verify_with_code(clerk, user, register_id_of(n))
        made.append(user)
    return made


def residents() -> list[User]:
    """The bulk demo residents, in number order."""
    emails = [resident_email(n) for n in range(1, RESIDENTS + 1)]
    found = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    return [found[e] for e in emails]


def demo_resident() -> User:
    """The demo resident account of the accounts table."""
    return user_by_email(next(u.email for u in USERS if u.verified))
