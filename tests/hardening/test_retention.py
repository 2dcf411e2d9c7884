"""Retention: IP addresses of failed log-ins are deleted after RETENTION_IP_DAYS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from civic import clock, retention
from civic.accounts.models import LoginAttempt
from civic.extensions import db
from civic.scheduling import RunResult, registered_jobs, run_due

T0 = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def _attempt(age: timedelta, ip: str) -> None:
    db.session.add(LoginAttempt(at=T0 - age, account_key="k" * 64, ip=ip))


def _ips() -> set[str]:
    return set(db.session.scalars(select(LoginAttempt.ip)))


def test_ip_addresses_older_than_the_retention_period_are_deleted(app: Flask) -> None:
    clock.freeze(T0)
    _attempt(timedelta(days=31), "192.0.2.1")
    _attempt(timedelta(days=30, seconds=1), "192.0.2.2")
    _attempt(timedelta(days=29, hours=23), "192.0.2.3")
    _attempt(timedelta(minutes=1), "2001:db8::1")
    db.session.commit()

    assert retention.purge_ip_addresses() == 2
    db.session.commit()
    assert _ips() == {"192.0.2.3", "2001:db8::1"}
    assert retention.purge_ip_addresses() == 0  # idempotent


def test_the_retention_period_is_configurable(app: Flask) -> None:
    clock.freeze(T0)
    app.config["RETENTION_IP_DAYS"] = 7
    _attempt(timedelta(days=8), "192.0.2.8")
    _attempt(timedelta(days=6), "192.0.2.6")
    db.session.commit()

    retention.purge_ip_addresses()
    db.session.commit()
    assert _ips() == {"192.0.2.6"}


def test_hashed_ip_addresses_of_wrong_letter_codes_go_too(app: Flask) -> None:
    from panels.models import CodeAttempt

    clock.freeze(T0)
    db.session.add(CodeAttempt(scope="reply", key="a" * 64, at=T0 - timedelta(days=40)))
    db.session.add(CodeAttempt(scope="reply", key="b" * 64, at=T0 - timedelta(hours=2)))
    db.session.commit()

    assert retention.purge_ip_addresses() == 1
    db.session.commit()
    assert list(db.session.scalars(select(CodeAttempt.key))) == ["b" * 64]


def test_the_scheduler_runs_the_sweep(app: Flask) -> None:
    """Registered by the app factory, run and committed by the scheduler like every job."""
    assert "retention.purge_ip_addresses" in {job.name for job in registered_jobs()}
    clock.freeze(T0)
    _attempt(timedelta(days=45), "198.51.100.7")
    db.session.commit()
    db.session.remove()

    assert run_due(app, "retention.purge_ip_addresses") is RunResult.RAN
    assert _ips() == set()
    assert run_due(app, "retention.purge_ip_addresses") is RunResult.SKIPPED
