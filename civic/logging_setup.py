"""Logging for the web workers, the scheduler and CLI commands: one format, and a safety net
that takes e-mail addresses, register ids and letter codes out of every log record.

The code never means to log personal data; the redaction catches what slips through anyway
(an exception text carrying SQL parameters, a URL with an address in its query string).
It works on every record made in the process, whichever logger or handler it goes to: the
record factory rewrites the message, its arguments and the exception text when the record is
made, before any handler or formatter sees it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask

# Quotes and brackets around an address are not part of it (rare in real addresses).
EMAIL = re.compile(r"[\w.!#$%&*+/=?^~-]+@[\w-]+(?:\.[\w-]+)+")
# Letter codes: 12 characters of panels.codes.ALPHABET, grouped XXXX-XXXX-XXXX or not.
_CODE_CHAR = "[A-HJ-NP-Z2-9]"
LETTER_CODE = re.compile(
    rf"(?<![\w-]){_CODE_CHAR}{{4}}-?{_CODE_CHAR}{{4}}-?{_CODE_CHAR}{{4}}(?![\w-])"
)
# Register ids: citizen service numbers (9 digits) and the demo register's RS000123 form;
# an installation adds the shape of its own register's ids with LOG_REDACT_PATTERNS.
REGISTER_IDS = (r"(?<!\d)\d{9}(?!\d)", r"\bRS\d{6}\b")
LOG_FORMAT_TEXT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"

_patterns: list[tuple[re.Pattern[str], str]] = []
_installed_factory: Callable[..., logging.LogRecord] | None = None


def set_patterns(extra: list[str] | tuple[str, ...] = ()) -> None:
    """Choose what is redacted: e-mail addresses, letter codes, register ids and `extra`."""
    patterns = [(EMAIL, "[email]"), (LETTER_CODE, "[code]")]
    patterns += [(re.compile(p), "[register-id]") for p in (*REGISTER_IDS, *extra)]
    _patterns[:] = patterns


def redact(text: str) -> str:
    """`text` with every e-mail address, letter code and register id replaced by a label."""
    if not _patterns:
        set_patterns()
    for pattern, label in _patterns:
        text = pattern.sub(label, text)
    return text


def _redact_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string must not lose the record
        message = f"{record.msg!r} {record.args!r}"
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[0] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text, record.exc_info = redact(text), None
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def install_redaction() -> None:
    """Redact every log record made from now on in this process (idempotent)."""
    global _installed_factory
    current = logging.getLogRecordFactory()
    if current is _installed_factory:
        return
    previous = current

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return _redact_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed_factory = factory


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, process, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def _configure_root(level: str, fmt: str) -> None:
    """A stderr handler on the root logger, unless something (a test runner, gunicorn's
    --log-config, an earlier app) configured one already."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(LOG_FORMAT_TEXT))
    root.addHandler(handler)
    root.setLevel(level)


def _setting(app: Flask, name: str, default: str) -> str:
    return str(app.config.get(name) or os.environ.get(name) or default)


def init_app(app: Flask) -> None:
    """Redaction always; the log format (LOG_FORMAT text|json) and level (LOG_LEVEL), from
    the config or the environment."""
    set_patterns(tuple(app.config.get("LOG_REDACT_PATTERNS", ())))
    install_redaction()
    level = _setting(app, "LOG_LEVEL", "INFO").upper()
    _configure_root(level, _setting(app, "LOG_FORMAT", "text").lower())
