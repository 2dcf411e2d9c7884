"""Authenticated vote submissions against Civic in production configuration, and a bare
Flask + SQLAlchemy app as the baseline, both under gunicorn on SQLite, in the same run.

Usage: .venv/bin/python benchmarks/votes.py [--voters N] [--clients C] [--workers W]

Civic: ProductionConfig (secure cookies, secrets from the environment), a fresh SQLite file,
N verified residents who log in through the real form (server-side sessions, CSRF tokens)
before the clock starts; then every resident POSTs one vote for the same idea with the CSRF
token of the idea page, C at a time over loopback. The baseline inserts one row per POST
(no login, no CSRF, no tally, no audit) with the same gunicorn settings and load. Afterwards
both databases are checked: L = acknowledged votes without a row, D = rows beyond one per
voter plus any tally above the row count. The last line is `ratio=R lost=L duplicated=D`.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
PASSWORD = "benchmark password 2026"
_CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
_COOKIE = re.compile(r"^([^=;]+)=([^;]*)")


# --- the baseline app (imported by gunicorn as votes:baseline_app()) ---


def baseline_app():  # type: ignore[no-untyped-def]  # noqa: ANN201
    """Flask + Flask-SQLAlchemy, one row per POST, same SQLite pragmas as Civic."""
    from flask import Flask, request
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _pragmas(connection, _record):  # type: ignore[no-untyped-def]  # noqa: ANN001,ANN202
        cursor = connection.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=15000", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{os.environ['BASELINE_DB']}"
    db = SQLAlchemy(app)

    class Vote(db.Model):  # type: ignore[name-defined,misc]
        id = db.Column(db.Integer, primary_key=True)
        voter = db.Column(db.Integer, unique=True, nullable=False)

    with app.app_context():
        db.create_all()

    @app.post("/vote")
    def vote():  # type: ignore[no-untyped-def]  # noqa: ANN202
        db.session.add(Vote(voter=int(request.form["voter"])))
        db.session.commit()
        return "", 303, {"Location": "/"}

    return app


# --- HTTP with manual cookies (production cookies are Secure; this is plain loopback) ---


@dataclass
class Browser:
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Host": "localhost"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and (match := _COOKIE.match(value)):
                self.cookies[match.group(1)] = match.group(2)
        conn.close()
        return response.status, data


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _gunicorn(app: str, env: dict[str, str], workers: int, chdir: Path) -> tuple:
    port = _free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
        "--chdir", str(chdir), "--log-level", "warning", "--backlog", "2048", app,
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env)
    for _ in range(600):
        try:
            # Every worker has booted once a burst of requests is answered.
            for _ in range(4 * workers):
                Browser(port).request("GET", "/")
            return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn for {app} did not start")


def _stop(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    process.terminate()
    process.wait(30)


# --- the load ---


@dataclass
class Run:
    seconds: float
    latencies: list[float]
    acknowledged: list[int]

    @property
    def rate(self) -> float:
        return len(self.acknowledged) / self.seconds

    @property
    def p99_ms(self) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def _load(jobs: list[tuple[int, Callable[[], int]]], clients: int) -> Run:
    """Run every job (voter id, request) on `clients` threads started together."""
    latencies: list[float] = []
    acknowledged: list[int] = []
    lock = threading.Lock()
    queue = list(reversed(jobs))
    start = threading.Barrier(clients + 1)

    def worker() -> None:
        start.wait()
        while True:
            with lock:
                if not queue:
                    return
                voter, job = queue.pop()
            began = time.perf_counter()
            status = job()
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)
                if status == 303:
                    acknowledged.append(voter)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return Run(time.perf_counter() - began, latencies, acknowledged)


# --- Civic ---


def _civic_env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CIVIC_ENV": "production",
        "SECRET_KEY": "benchmark-secret-key-0123456789abcdef",
        "REGISTER_HMAC_KEY": "benchmark-register-key-0123456789",
        "DATABASE_URL": f"sqlite:///{tmp / 'civic.sqlite'}",
        "CIVIC_INSTANCE_PATH": str(tmp),
        "PYTHONPATH": str(ROOT),
    }


def _seed_civic(env: dict[str, str], voters: int) -> tuple[int, list[str]]:
    """Schema, an agency, an idea open for votes and `voters` verified residents."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from civic import create_app
    from civic.accounts.models import Role, User
    from civic.accounts.passwords import hash_password
    from civic.agencies.models import Agency
    from civic.extensions import db
    from proposals import ideas, screening

    app = create_app("production", {"IDEA_VOTE_THRESHOLD": voters * 10})
    with app.app_context(), app.test_request_context():
        db.create_all()
        from civic.audit.models import AuditHead

        if db.session.get(AuditHead, 1) is None:
            db.session.add(AuditHead(id=1, seq=0, last_hash="0" * 64))
        agency = Agency(name="Afval", slug="afval", response_days=56, service_areas="afval")
        db.session.add(agency)
        hashed = hash_password(PASSWORD)  # one hash for all: seeding, not the measurement
        emails = [f"resident{i}@example.org" for i in range(voters)]
        moderator = User(email="mod@example.org", password_hash=hashed, role=Role.MODERATOR)
        db.session.add(moderator)
        from civic import clock

        now = clock.now()
        db.session.add_all(
            User(email=e, password_hash=hashed, email_confirmed_at=now, verified_at=now)
            for e in emails
        )
        db.session.flush()
        author = db.session.scalar(db.select(User).where(User.email == emails[0]))
        data = ideas.IdeaData("Benchmark idea", "A problem.", "A change.", "afval", agency.id)
        idea = ideas.submit_idea(author, data)
        screening.accept_idea(moderator, idea)
        db.session.commit()
        idea_id = idea.id
        db.engine.dispose()
    return idea_id, emails


def _log_in(port: int, email: str, idea_id: int) -> tuple[Browser, str]:
    browser = Browser(port)
    status, page = browser.request("GET", "/account/login")
    token = _CSRF.search(page)
    assert status == 200 and token, status
    form = {"csrf_token": token.group(1), "email": email, "password": PASSWORD}
    status, _ = browser.request("POST", "/account/login", form)
    assert status in (302, 303), f"login of {email}: {status}"
    status, page = browser.request("GET", f"/ideas/{idea_id}")
    match = re.search(r'action="/ideas/\d+/vote"[^>]*>\s*<input[^>]*value="([^"]+)"', page)
    assert status == 200 and match, f"no vote form for {email}"
    return browser, match.group(1)


def _civic(tmp: Path, voters: int, clients: int, workers: int) -> tuple[Run, int, int, int]:
    env = _civic_env(tmp)
    idea_id, emails = _seed_civic(env, voters)
    process, port = _gunicorn("civic:create_app()", env, workers, ROOT)
    try:
        sessions: list[tuple[Browser, str] | None] = [None] * voters

        def login(i: int) -> Callable[[], int]:
            def job() -> int:
                sessions[i] = _log_in(port, emails[i], idea_id)
                return 303

            return job

        _load([(i, login(i)) for i in range(voters)], clients)

        def vote(i: int) -> Callable[[], int]:
            browser, token = sessions[i]  # type: ignore[misc]
            return lambda: browser.request("POST", f"/ideas/{idea_id}/vote", {"csrf_token": token})[
                0
            ]

        run = _load([(i, vote(i)) for i in range(voters)], clients)
    finally:
        _stop(process)
    with sqlite3.connect(tmp / "civic.sqlite") as conn:
        rows = dict(conn.execute(
            "SELECT u.email, count(*) FROM vote v JOIN user_account u ON u.id = v.voter_id "
            "GROUP BY u.email"
        ).fetchall())  # fmt: skip
        tally = conn.execute("SELECT tally FROM ballot").fetchone()[0]
    acknowledged = {emails[i] for i in run.acknowledged}
    lost = sum(1 for e in acknowledged if e not in rows)
    duplicated = sum(n - 1 for n in rows.values()) + max(0, tally - sum(rows.values()))
    return run, lost, duplicated, tally


def _baseline(tmp: Path, voters: int, clients: int, workers: int) -> tuple[Run, int, int]:
    env = {**os.environ, "BASELINE_DB": str(tmp / "baseline.sqlite")}
    process, port = _gunicorn("votes:baseline_app()", env, workers, HERE)
    try:

        def vote(i: int) -> Callable[[], int]:
            return lambda: Browser(port).request("POST", "/vote", {"voter": str(i)})[0]

        run = _load([(i, vote(i)) for i in range(voters)], clients)
    finally:
        _stop(process)
    with sqlite3.connect(tmp / "baseline.sqlite") as conn:
        rows = dict(conn.execute("SELECT voter, count(*) FROM vote GROUP BY voter").fetchall())
    lost = sum(1 for i in run.acknowledged if i not in rows)
    return run, lost, sum(n - 1 for n in rows.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--voters", type=int, default=400)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="civic-votes-") as folder:
        tmp = Path(folder)
        base, base_lost, base_dup = _baseline(tmp, args.voters, args.clients, args.workers)
        print(
            f"baseline: {len(base.acknowledged)}/{args.voters} rows acknowledged, "
            f"{base.rate:.1f} POST/s, p99 {base.p99_ms:.1f} ms "
            f"(lost {base_lost}, duplicated {base_dup})"
        )
        civic, lost, duplicated, tally = _civic(tmp, args.voters, args.clients, args.workers)
        print(
            f"civic: {len(civic.acknowledged)}/{args.voters} votes acknowledged, "
            f"{civic.rate:.1f} votes/s, p99 {civic.p99_ms:.1f} ms, tally {tally}"
        )
        print(f"gunicorn --workers {args.workers}, {args.clients} concurrent clients, SQLite")
        ratio = civic.rate / base.rate if base.rate else 0.0
        print(f"ratio={ratio:.2f} lost={lost} duplicated={duplicated}")


if __name__ == "__main__":
    main()
