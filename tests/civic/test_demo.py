"""`flask demo` loads a municipality with an account of every role, and a second run changes
nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from civic.accounts.models import Role, User
from civic.accounts.passwords import verify_password
from civic.audit.models import AuditEntry
from civic.demo import USERS, demo_password
from civic.extensions import db
from panels.models import RegisterPerson


def _counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(User)) or 0,
        db.session.scalar(select(func.count()).select_from(RegisterPerson)) or 0,
        db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
    )


def test_demo_loads_every_role_and_is_idempotent(runner: Any) -> None:
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    users, people, audits = _counts()
    assert users == len(USERS) and people > 1000
    assert {u.role for u in db.session.scalars(select(User))} == set(Role)
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN))
    assert admin is not None and admin.password_hash.startswith("$argon2id$")
    assert verify_password(admin.password_hash, demo_password(admin.email))
    assert demo_password(admin.email) in first.output  # credentials printed
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert _counts() == (users, people, audits)
