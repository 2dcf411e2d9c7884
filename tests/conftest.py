"""Shared fixtures: app on a fresh database (SQLite file or PostgreSQL), client, factories,
a real SMTP server on loopback, and the switches that make CI fail instead of skip."""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from civic import clock, create_app
from civic.extensions import db
from tests.support import SmtpSink, free_port

POSTGRES_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = POSTGRES_URL.startswith(("postgres://", "postgresql"))

_TEMPLATE_DIR = Path(tempfile.mkdtemp(prefix="civic-tests-"))
_TEMPLATE_DB = _TEMPLATE_DIR / "template.sqlite"


def _base_config(db_url: str) -> dict[str, Any]:
    return {"SQLALCHEMY_DATABASE_URI": db_url, "MAIL_URL": "smtp://127.0.0.1:1"}


def _build_schema_once() -> None:
    """Create the schema once per session: a template SQLite file, or the PostgreSQL tables."""
    import civic.models  # noqa: F401  (all tables)

    url = POSTGRES_URL if ON_POSTGRES else f"sqlite:///{_TEMPLATE_DB}"
    app = create_app("testing", _base_config(url))
    with app.app_context():
        if ON_POSTGRES:
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        db.create_all()
        db.session.commit()
        db.engine.dispose()


_schema_built = False


def _reset_postgres() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    db.session.execute(
        text("INSERT INTO audit_head (id, seq, last_hash) VALUES (1, 0, :h)"), {"h": "0" * 64}
    )
    db.session.commit()


@pytest.fixture()
def app(tmp_path: Path) -> Iterator[Flask]:
    """A Civic app on a database of its own (fresh copy of the template schema)."""
    global _schema_built
    if not _schema_built:
        _build_schema_once()
        _schema_built = True
    if ON_POSTGRES:
        application = create_app("testing", _base_config(POSTGRES_URL))
    else:
        db_file = tmp_path / "civic.sqlite"
        shutil.copyfile(_TEMPLATE_DB, db_file)
        application = create_app("testing", _base_config(f"sqlite:///{db_file}"))
    with application.app_context():
        if ON_POSTGRES:
            _reset_postgres()
        yield application
        db.session.remove()
        db.engine.dispose()
    clock.reset()


class IsolatedClient(FlaskClient):
    """Runs every request in a fresh context, like a real server: the test's own app
    context (and its `g`, db session, cached locale and user) never leaks into requests."""

    def open(self, *args: Any, **kwargs: Any) -> Any:  # noqa: A003
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture()
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture()
def make_user(app: Flask) -> Callable[..., Any]:
    """Factory: make_user(role=Role.RESIDENT, agency=None, email=None, password=...)."""
    from civic.accounts.models import Role, User
    from civic.accounts.passwords import hash_password

    counter = {"n": 0}

    def factory(
        role: Role = Role.RESIDENT,
        agency: Any = None,
        email: str | None = None,
        password: str = "correct horse battery",
        verified: bool = False,
        confirmed: bool = True,
    ) -> User:
        counter["n"] += 1
        user = User(
            email=email or f"user{counter['n']}-{role.value}@example.org",
            password_hash=hash_password(password),
            role=role,
            agency_id=agency.id if agency is not None else None,
            email_confirmed_at=clock.now() if confirmed else None,
            verified_at=clock.now() if verified else None,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return factory


@pytest.fixture()
def make_agency(app: Flask) -> Callable[..., Any]:
    """Factory: make_agency(name, slug=None, response_days=56)."""
    from civic.agencies.models import Agency

    def factory(
        name: str = "Afdeling Afval",
        slug: str | None = None,
        response_days: int = 56,
        service_areas: str = "afval",
    ) -> Agency:
        agency = Agency(
            name=name,
            slug=slug or re.sub(r"\W+", "-", name.lower()),
            response_days=response_days,
            service_areas=service_areas,
        )
        db.session.add(agency)
        db.session.commit()
        return agency

    return factory


@pytest.fixture()
def login(app: Flask) -> Callable[[FlaskClient, Any], None]:
    """Log a user in on a test client by creating a real server-side session."""
    from civic.accounts.sessions import start_session

    def do_login(test_client: FlaskClient, user: Any) -> None:
        token = start_session(user)
        db.session.commit()
        with test_client.session_transaction() as sess:
            sess["_user_id"] = token
            sess["_fresh"] = True

    return do_login


@pytest.fixture()
def smtp_server(app: Flask) -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) on a free loopback port; MAIL_URL points at it."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink("127.0.0.1", free_port())
    lock = threading.Lock()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            parsed = message_from_bytes(envelope.content, policy=policy.default)
            with lock:
                sink.messages.append(parsed)  # type: ignore[arg-type]
            return "250 OK"

    sink.controller = Controller(Handler(), hostname=sink.host, port=sink.port)
    sink.controller.start()
    app.config["MAIL_URL"] = sink.url
    yield sink
    with contextlib.suppress(AssertionError, RuntimeError):
        sink.controller.stop()
