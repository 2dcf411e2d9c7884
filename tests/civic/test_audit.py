"""The audit chain: append-only, hash-chained, verifiable, safe under concurrent writers."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from civic import audit
from civic.audit.models import AuditEntry
from civic.audit.rules import diff
from civic.audit.services import verify_chain
from civic.extensions import db


def _write(n: int) -> None:
    for i in range(n):
        audit.record(
            "tester",
            "test.changed",
            None,
            {"value": i},
            {"value": i + 1},
            object_type="thing",
            object_id=str(i),
        )
    db.session.commit()


def _tamper(seq: int) -> None:
    """Change one row by hand, as an attacker with database access would."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(sa.text("DROP TRIGGER audit_entry_no_update"))
    else:
        db.session.execute(sa.text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_change"))
    db.session.execute(
        sa.text("UPDATE audit_entry SET after = :a WHERE seq = :s"),
        {"a": '{"value":999}', "s": seq},
    )
    db.session.commit()


def test_diff_keeps_only_changed_keys() -> None:
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3}) == ('{"b":2}', '{"b":3}')


def test_verify_intact_chain(app: Flask, runner: Any) -> None:
    _write(5)
    assert verify_chain() == (5, None)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    assert "intact: 5 rows" in result.output


def test_changed_row_is_named(app: Flask, runner: Any) -> None:
    _write(5)
    _tamper(3)
    result = runner.invoke(args=["audit", "verify"])
    if db.engine.dialect.name == "postgresql":  # the schema outlives this test there
        db.session.execute(sa.text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_no_change"))
        db.session.commit()
    assert result.exit_code == 1
    assert "seq=3" in result.output
    assert "content does not match" in result.output


def test_rows_cannot_be_updated_or_deleted(app: Flask) -> None:
    _write(1)
    for statement in ("UPDATE audit_entry SET action = 'x'", "DELETE FROM audit_entry"):
        with pytest.raises(sa.exc.DatabaseError):
            db.session.execute(sa.text(statement))
            db.session.flush()
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 1


def test_concurrent_writers_do_not_fork_the_chain(app: Flask) -> None:
    """Two transactions read the head at the same moment; the head row lock serialises them."""
    barrier = threading.Barrier(2, timeout=20)
    errors: list[BaseException] = []

    def writer(tag: str) -> None:
        try:
            with app.app_context():
                for i in range(10):
                    if i == 0:
                        barrier.wait()
                    audit.record(tag, "test.concurrent", None, object_type="t", object_id=str(i))
                    db.session.commit()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - surfaced below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(t,)) for t in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    db.session.expire_all()
    assert verify_chain() == (20, None)
