"""Authorization matrix: every route of the URL map, called as every persona, answers as
the declared policy (policy.py) says; every refusal of a logged-in persona is audited once.

The world (world.py) is built once into a SQLite file; every single request runs on a fresh
copy of that file, so a POST by one persona never changes what the next one sees.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import url_for
from sqlalchemy import func, select

import civic.models  # noqa: F401  (all tables)
from civic import clock, create_app
from civic.audit.models import AuditEntry
from civic.extensions import db
from tests.authz import world as world_module
from tests.authz.policy import (
    ALLOWED,
    DENIED,
    LOGIN,
    PERSONAS,
    POLICY,
    Outcome,
    Persona,
    Rule,
    rules_for,
)
from tests.conftest import IsolatedClient

SKIPPED_METHODS = {"HEAD", "OPTIONS"}  # HEAD runs the GET view; OPTIONS is answered by Flask
_CSRF_RE = re.compile(
    r'name="csrf_token" value="([^"]+)"|name="csrf_token" type="hidden" value="([^"]+)"'
)


def _routes() -> list[tuple[str, str]]:
    """(endpoint, method) of every rule in the app's URL map."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    found = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in SKIPPED_METHODS
    }
    return sorted(found)


ROUTES = _routes()


@dataclass
class Answer:
    outcome: Outcome
    status: int
    location: str
    denials: int
    soft: bool = False  # refused with a flashed message: no HTTP error, no work done


class Matrix:
    """One app on a working SQLite file that is reset to the world before every request."""

    def __init__(self, directory: Path) -> None:
        self.template = directory / "world.sqlite"
        self.work = directory / "work.sqlite"
        builder = create_app("testing", self._config(self.template))
        with builder.app_context():
            db.create_all()
            db.session.commit()
            self.world = world_module.build_world(builder)
            db.session.remove()
            db.engine.dispose()
        self.app = create_app("testing", self._config(self.work))
        self.app.test_client_class = IsolatedClient
        self._reset()
        assert self._audit_count("access.denied") == 0, "the world itself was refused somewhere"
        self.csrf: dict[str, tuple[str, str]] = {}
        for persona in PERSONAS:
            self.csrf[persona.name] = self._csrf_of(persona)

    @staticmethod
    def _config(path: Path) -> dict[str, Any]:
        return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", **world_module.CONFIG}

    def _reset(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        for suffix in ("-wal", "-shm"):
            Path(f"{self.work}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.template, self.work)
        clock.freeze(world_module.NOW)

    def _client(self, persona: Persona, csrf_raw: str | None = None) -> Any:
        client = self.app.test_client()
        token = self.world.tokens.get(persona.name)
        with client.session_transaction() as session:
            if token:
                session["_user_id"] = token
                session["_fresh"] = True
            if csrf_raw:
                session["csrf_token"] = csrf_raw
        return client

    def _csrf_of(self, persona: Persona) -> tuple[str, str]:
        """(raw session value, form token) read from the home page, as a browser gets them."""
        self._reset()
        client = self._client(persona)
        page = client.get("/").get_data(as_text=True)
        match = _CSRF_RE.search(page)
        assert match, f"no CSRF token on the home page for {persona.name}"
        with client.session_transaction() as session:
            raw = session["csrf_token"]
        return raw, match.group(1) or match.group(2)

    def url(self, endpoint: str, rule: Rule) -> str:
        """The endpoint's URL with its parameters taken from the world."""
        arguments = next(
            r for r in self.app.url_map.iter_rules() if r.endpoint == endpoint
        ).arguments
        values: dict[str, Any] = {}
        for name in sorted(arguments):
            if name in rule.params:
                values[name] = self.world.alternatives[rule.params[name]]
            else:
                assert name in self.world.params, (
                    f"{endpoint}: no world object for URL parameter {name!r}; "
                    "build one in tests/authz/world.py"
                )
                values[name] = self.world.params[name]
        with self.app.test_request_context():
            return url_for(endpoint, **values)

    def _audit_count(self, action: str) -> int:
        with self.app.app_context():
            query = select(func.count()).select_from(AuditEntry)
            count = db.session.scalar(query.where(AuditEntry.action == action))
            db.session.remove()
        return int(count or 0)

    def call(self, persona: Persona, method: str, url: str, rule: Rule) -> Answer:
        """One request on a fresh copy of the world, classified."""
        self._reset()
        effects = self._audit_count(rule.effect) if rule.effect else 0
        raw, token = self.csrf[persona.name]
        client = self._client(persona, raw)
        form = {"csrf_token": token, **rule.data} if method != "GET" else None
        response = client.open(url, method=method, data=form)
        location = response.headers.get("Location", "")
        response.close()
        answer = Answer(
            _classify(response.status_code, location),
            response.status_code,
            location,
            self._audit_count("access.denied"),
        )
        worked = not rule.effect or self._audit_count(rule.effect) > effects
        if answer.outcome == ALLOWED and not worked:
            answer.outcome, answer.soft = DENIED, True
        return answer


def _describe(answer: Answer, rule: Rule) -> str:
    text = f"{answer.status}"
    if answer.soft:
        text += f" without an {rule.effect!r} audit row"
    return f"{text} to {answer.location}" if answer.location else text


def _classify(status: int, location: str) -> Outcome:
    if status in (301, 302, 303, 307) and location.startswith("/account/login"):
        return LOGIN
    if status in (403, 404):
        return DENIED
    return ALLOWED


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    built = Matrix(tmp_path_factory.mktemp("authz"))
    yield built
    clock.reset()


def test_every_route_has_a_declared_policy() -> None:
    missing = [f"{e} {m}" for e, m in ROUTES if not rules_for(e, m)]
    assert not missing, "routes without a policy (add them to tests/authz/policy.py):\n" + (
        "\n".join(missing)
    )
    stale = sorted(set(POLICY) - {e for e, _ in ROUTES})
    assert not stale, f"policies for routes that no longer exist: {stale}"


@pytest.mark.parametrize(("endpoint", "method"), ROUTES, ids=[f"{e}:{m}" for e, m in ROUTES])
def test_route_answers_every_persona_as_declared(
    matrix: Matrix, endpoint: str, method: str
) -> None:
    rules = rules_for(endpoint, method)
    assert rules, f"{endpoint} {method}: no policy; add it to tests/authz/policy.py"
    problems = [p for rule in rules for p in _check(matrix, endpoint, method, rule)]
    assert not problems, "\n".join(problems)


def _check(matrix: Matrix, endpoint: str, method: str, rule: Rule) -> list[str]:
    """Every persona against one rule; the mismatches as readable lines."""
    url = matrix.url(endpoint, rule)
    problems = []
    for persona in PERSONAS:
        expected = rule.policy.expect(persona)
        got = matrix.call(persona, method, url, rule)
        where = f"{endpoint} {method} {url} as {persona.name}"
        if got.outcome != expected:
            problems.append(
                f"{where}: policy {rule.policy.name!r} expects {expected}, got {got.outcome} "
                f"({_describe(got, rule)})"
            )
        if got.outcome == DENIED and persona.role is not None and not got.soft:
            audited = got.denials == 1
            if persona.name in rule.unaudited and audited:
                problems.append(f"{where}: refusal is audited now; drop it from `unaudited`")
            elif persona.name not in rule.unaudited and not audited:
                problems.append(
                    f"{where}: {got.status} wrote {got.denials} access.denied rows, expected 1"
                )
    return problems
