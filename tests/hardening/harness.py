"""Real processes for the crash tests: gunicorn serving civic:create_app(), and
`flask --app civic scheduler` (through run_scheduler.py, which adds the test's hooks).

Every process writes its output to a file under the log check's folder, so the session's
log check searches it too. Waiting is polling a condition with a deadline, never a sleep.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.hardening import logcheck
from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


@dataclass
class Proc:
    """A started process and the file its output goes to."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill9(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self.popen.wait(30)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not go within 20 s (finally blocks)."""
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        try:
            self.popen.wait(20)
        except subprocess.TimeoutExpired:
            self.kill9()


@dataclass
class Processes:
    """Every process a test started; all are stopped when the test ends."""

    base_env: dict[str, str]
    started: list[Proc] = field(default_factory=list)

    def start(self, name: str, command: list[str], **env: str) -> Proc:
        logcheck.LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = logcheck.LOG_DIR / f"{name}-{len(self.started)}-{os.getpid()}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**self.base_env, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        proc = Proc(name, popen, log)
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            proc.stop()


@contextlib.contextmanager
def processes(database_url: str, instance: Path, **env: str) -> Iterator[Processes]:
    """A process group manager whose children use `database_url` and the testing config."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CIVIC_", "PG", "FLASK_", "GUNICORN"))
    }
    base.update(
        CIVIC_ENV="testing",
        DATABASE_URL=database_url,
        CIVIC_INSTANCE_PATH=str(instance),
        MAIL_URL="smtp://127.0.0.1:1",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        **env,
    )
    group = Processes(base)
    try:
        yield group
    finally:
        group.stop_all()


# --- gunicorn ---


@dataclass
class Server:
    """A gunicorn master and the base URL it serves."""

    proc: Proc
    url: str

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except FileNotFoundError:
            return []


def start_gunicorn(group: Processes, workers: int = 2, **env: str) -> Server:
    """gunicorn with sync workers on a free loopback port, its access log included."""
    port = free_port()
    command = [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--timeout", "60", "--graceful-timeout", "5"]
    command += ["--config", str(HERE / "gunicorn_conf.py"), "--access-logfile", "-"]
    command += ["civic:create_app()"]
    proc = group.start("gunicorn", command, **env)
    url = f"http://127.0.0.1:{port}"

    def answering() -> bool:
        if not proc.alive():
            raise AssertionError("gunicorn exited:\n" + proc.output()[-3000:])
        with contextlib.suppress(requests.RequestException):
            return requests.get(url + "/account/login", timeout=5).status_code == 200
        return False

    wait_for(answering, 60, "gunicorn to answer")
    server = Server(proc, url)
    wait_for(lambda: len(server.worker_pids()) == workers, 30, "gunicorn's workers")
    return server


# --- the scheduler ---


def start_scheduler(group: Processes, name: str = "scheduler", **env: str) -> Proc:
    """`flask --app civic scheduler` with the test's hooks (see run_scheduler.py)."""
    return group.start(name, [sys.executable, str(HERE / "run_scheduler.py")], **env)


def startup_done(proc: Proc) -> bool:
    """The scheduler finished its start-up run of every job (APScheduler logs it)."""
    if not proc.alive():
        raise AssertionError(f"{proc.name} exited:\n" + proc.output()[-3000:])
    return bool(re.search(r'Job "startup \(trigger.*executed successfully', proc.output()))


# --- a resident's browser ---


def csrf_of(page: str) -> str:
    match = _CSRF.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def log_in(base: str, email: str, password: str) -> requests.Session:
    """Log in through the real form (CSRF token from the page); a logged-in session."""
    browser = requests.Session()
    page = browser.get(base + "/account/login", timeout=30)
    answer = browser.post(
        base + "/account/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code in (302, 303), f"log-in refused: {answer.status_code}"
    return browser


def vote(base: str, browser: requests.Session, idea_id: int) -> None:
    """Press the vote button on the idea's page; raise unless the vote went through."""
    page = browser.get(f"{base}/ideas/{idea_id}", timeout=30)
    page.raise_for_status()
    answer = browser.post(
        f"{base}/ideas/{idea_id}/vote",
        data={"csrf_token": csrf_of(page.text)},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 303:
        raise requests.HTTPError(f"vote answered {answer.status_code}")
