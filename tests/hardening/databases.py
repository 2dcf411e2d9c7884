"""Fresh databases for the hardening tests: a new SQLite file, or a new PostgreSQL database
created for the test (and dropped after it) on the server of DATABASE_URL."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from civic import create_app
from civic.extensions import db
from tests.conftest import ON_POSTGRES, POSTGRES_URL


def _driver_url(url: str) -> str:
    """The SQLAlchemy form (psycopg 3) of a postgresql:// URL."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _admin_engine() -> Engine:
    """A connection to the server's maintenance database, for CREATE/DROP DATABASE."""
    url = make_url(_driver_url(POSTGRES_URL)).set(database="postgres")
    return create_engine(url, isolation_level="AUTOCOMMIT")


@contextlib.contextmanager
def fresh_database(tmp_path: Path, name: str) -> Iterator[str]:
    """A URL (SQLAlchemy form) of a new, empty database; PostgreSQL ones are dropped after."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / (name + '.sqlite')}"
        return
    database = f"civic_hard_{name}_{secrets.token_hex(4)}"
    admin = _admin_engine()
    with admin.connect() as conn:
        # template0 takes no connections, so a concurrent CREATE DATABASE cannot block this.
        statement = f"CREATE DATABASE \"{database}\" TEMPLATE template0 ENCODING 'UTF8'"
        conn.execute(text(statement))
    try:
        yield (
            make_url(_driver_url(POSTGRES_URL))
            .set(database=database)
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def app_on(url: str, **overrides: Any) -> Flask:
    """A testing app on `url` (mail to a closed port unless overridden)."""
    config = {"SQLALCHEMY_DATABASE_URI": url, "MAIL_URL": "smtp://127.0.0.1:1", **overrides}
    return create_app("testing", config)


def build_schema(url: str) -> None:
    """Every table plus the audit rules, as the test fixtures build them."""
    application = app_on(url)
    with application.app_context():
        db.create_all()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
