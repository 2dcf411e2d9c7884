"""Retention: unused letter codes are deleted RETENTION_LETTER_CODE_DAYS after they expired."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from civic import clock
from civic.accounts.models import User
from civic.extensions import db
from civic.privacy import jobs
from civic.scheduling import registered_jobs
from panels import verification
from panels.models import CodePurpose, LetterCode, ResidentLink
from tests.civic.account_support import audit_rows
from tests.panels.panel_support import person


def _code(register_id: str, expires_in: timedelta) -> LetterCode:
    row, _ = verification.issue_code(
        person(register_id).id, CodePurpose.CLERK, expires_at=clock.now() + expires_in
    )
    db.session.flush()
    return row


def _ids() -> set[int]:
    return set(db.session.scalars(select(LetterCode.id)))


def test_unused_codes_go_after_the_retention_period(app: Flask, make_user: object) -> None:
    old = _code("A1", timedelta(days=1))
    recent = _code("A2", timedelta(days=1))
    used = _code("A3", timedelta(days=1))
    db.session.commit()
    user = make_user()  # type: ignore[operator]
    verification.redeem(user, verification.clear_code(used))
    db.session.commit()
    db.session.execute(
        LetterCode.__table__.update()
        .where(LetterCode.id == recent.id)
        .values(expires_at=clock.now() + timedelta(days=30))
    )
    db.session.commit()
    old_id, recent_id, used_id = old.id, recent.id, used.id

    clock.move(timedelta(days=1 + 90 - 1))
    assert jobs.purge_letter_codes() == 0
    clock.move(timedelta(days=2))
    assert jobs.purge_letter_codes() == 1
    db.session.commit()
    assert _ids() == {recent_id, used_id}
    assert old_id not in _ids()
    link = db.session.scalar(select(ResidentLink).where(ResidentLink.user_id == user.id))
    assert link is not None and link.code_id == used_id
    (entry,) = audit_rows("letter_codes.purged")
    assert '"deleted":1' in entry.after
    assert jobs.purge_letter_codes() == 0  # idempotent, and no second audit row
    db.session.commit()
    assert len(audit_rows("letter_codes.purged")) == 1
    assert db.session.get(User, user.id).is_verified


def test_the_period_is_configurable(app: Flask) -> None:
    app.config["RETENTION_LETTER_CODE_DAYS"] = 10
    _code("A1", timedelta(days=1))
    db.session.commit()
    clock.move(timedelta(days=12))
    assert jobs.purge_letter_codes() == 1
    db.session.commit()
    assert _ids() == set()


def test_the_sweep_is_registered(app: Flask) -> None:
    jobs_by_name = {job.name: job for job in registered_jobs()}
    assert jobs_by_name["privacy.purge_letter_codes"].func is jobs.purge_letter_codes
