"""`flask db upgrade` builds exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from civic import create_app
from civic.extensions import db

PG_URL = os.environ.get("DATABASE_URL", "")


def _postgres_scratch_url() -> Iterator[str]:
    """A throw-away database next to the test database."""
    base = sa.engine.make_url(PG_URL).set(drivername="postgresql+psycopg")
    name = f"{base.database}_migrations"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture()
def scratch_url(tmp_path: Path) -> Iterator[str]:
    if PG_URL.startswith("postgres"):
        yield from _postgres_scratch_url()
    else:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"


def _upgrade(url: str) -> Flask:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return app


# Objects the migration builds by hand (full-text search), which models do not describe.
HAND_BUILT = ("sqlite_sequence", "alembic_version", "idea_fts", "ix_idea_fulltext")


def _ignore_hand_built(diff: object) -> bool:
    text = repr(diff)
    return any(name in text for name in HAND_BUILT)


def test_migrations_match_models(scratch_url: str) -> None:
    app = _upgrade(scratch_url)
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = [d for d in compare_metadata(context, db.metadata) if not _ignore_hand_built(d)]
        db.engine.dispose()
    assert diffs == [], f"models and migrations differ; run `flask db migrate`: {diffs}"


def test_migrated_database_keeps_audit_append_only(scratch_url: str) -> None:
    app = _upgrade(scratch_url)
    from civic import audit

    with app.app_context():
        audit.record(None, "test.event", None, object_type="test", object_id="1")
        db.session.commit()
        with pytest.raises(sa.exc.DatabaseError):
            db.session.execute(sa.text("UPDATE audit_entry SET action = 'forged'"))
            db.session.commit()
        db.session.rollback()
        db.engine.dispose()


def test_migrated_database_has_the_full_text_index(scratch_url: str) -> None:
    app = _upgrade(scratch_url)
    with app.app_context():
        inspector = sa.inspect(db.engine)
        if db.engine.dialect.name == "sqlite":
            assert "idea_fts" in inspector.get_table_names()
        else:
            assert "ix_idea_fulltext" in {i["name"] for i in inspector.get_indexes("idea")}
        db.engine.dispose()
