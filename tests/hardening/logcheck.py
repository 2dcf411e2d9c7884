"""No personal data in the logs of a test run.

While the tests run, every log record of this process goes to a file, and the crash
harness's servers and schedulers write their output next to it. Every e-mail address of a
user the tests create, every clear register id the code hashes and every letter code it
derives is noted (by wrapping the functions that see them, without changing what they do).
At the end of the session all those files are searched for all those values.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOG_DIR = Path(os.environ.get("CIVIC_TEST_LOG_DIR") or tempfile.mkdtemp(prefix="civic-logs-"))
SESSION_LOG = LOG_DIR / "pytest-session.log"
_lock = threading.Lock()
_seen: dict[str, set[str]] = {"e-mail address": set(), "register id": set(), "letter code": set()}


@dataclass(frozen=True)
class Finding:
    """A personal value found in a log file."""

    kind: str
    value: str
    path: Path
    line_number: int
    line: str


def note(kind: str, value: str) -> None:
    """Remember a personal value that must not appear in any log.

    Values that identify nobody would only match log punctuation or timestamps: fuzzed
    "register ids" such as "--" or "00". So a register id counts when it has a digit and
    either a letter ("RIV-0042-Q") or at least six characters (a 9-digit BSN); other values
    need two characters and a letter or digit."""
    value = (value or "").strip()
    has_letter = any(ch.isalpha() for ch in value)
    has_digit = any(ch.isdigit() for ch in value)
    if kind == "register id":
        meaningful = has_digit and (has_letter or len(value) >= 6)
    else:
        meaningful = len(value) >= 2 and (has_letter or has_digit)
    if meaningful:
        with _lock:
            _seen[kind].add(value)


def noted() -> dict[str, set[str]]:
    """A copy of every value noted so far, by kind."""
    with _lock:
        return {kind: set(values) for kind, values in _seen.items()}


def _pattern(value: str) -> re.Pattern[str]:
    # Whole values only: register id "R1" must not match inside "R10" or "ERROR 1".
    return re.compile(rf"(?<![\w@.-]){re.escape(value)}(?![\w@-])", re.IGNORECASE)


def scan(paths: Iterable[Path], values: dict[str, set[str]]) -> list[Finding]:
    """Every line of `paths` that contains one of `values`."""
    patterns = [(kind, v, _pattern(v)) for kind, vs in values.items() for v in sorted(vs)]
    findings = []
    for path in paths:
        if not path.is_file():
            continue
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                for kind, value, pattern in patterns:
                    if pattern.search(line):
                        findings.append(Finding(kind, value, path, number, line.rstrip()[:300]))
    return findings


def log_files() -> list[Path]:
    """The session log and every subprocess log of this run."""
    return sorted(p for p in LOG_DIR.rglob("*") if p.is_file())


# --- recording the values, and the logs ---


def _recording(function: Callable[..., Any], kind: str, *, result: bool) -> Callable[..., Any]:
    if getattr(function, "_logcheck", False):
        return function

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        value = function(*args, **kwargs)
        note(kind, str(value if result else args[0]))
        return value

    wrapper._logcheck = True  # type: ignore[attr-defined]
    return wrapper


def _note_new_user(_mapper: Any, _connection: Any, target: Any) -> None:
    note("e-mail address", target.email)


def install_recorders() -> None:
    """Note every created user's e-mail, hashed register id and derived letter code."""
    from sqlalchemy import event

    from civic.accounts.models import User
    from panels import codes, register, verification

    if not event.contains(User, "after_insert", _note_new_user):
        event.listen(User, "after_insert", _note_new_user)
    for module in (register, verification):
        module.register_key = _recording(module.register_key, "register id", result=False)
    codes.derive_code = _recording(codes.derive_code, "letter code", result=True)
    original_display = codes.display
    if not getattr(original_display, "_logcheck", False):

        @functools.wraps(original_display)
        def display(code: str) -> str:
            shown = original_display(code)
            note("letter code", shown)
            return shown

        display._logcheck = True  # type: ignore[attr-defined]
        codes.display = display


def capture_session_logs(level: int = logging.INFO) -> logging.Handler:
    """Send every log record of this process (INFO and up, as in production) to a file."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(SESSION_LOG, encoding="utf-8")
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    return handler


def report(findings: list[Finding]) -> str:
    """A readable list of findings."""
    lines = [f"{len(findings)} line(s) of the test run's logs hold personal data:"]
    for f in findings[:30]:
        lines.append(f"  {f.path.name}:{f.line_number}: {f.kind} {f.value!r}: {f.line}")
    return "\n".join(lines)
