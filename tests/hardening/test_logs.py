"""No e-mail addresses, register ids or letter codes in the logs.

The journey below makes the code log what it logs on a busy day (sign-ups, failed log-ins,
register imports good and bad, letter codes, a failing job, an unexpected error in a
request) and then searches every line. The session-wide check in conftest.py does the same
over the whole test run, the crash harness's servers and schedulers included.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from civic import logging_setup
from civic.accounts.models import Role, User
from civic.extensions import db
from civic.scheduling import RunResult, register_job, run_due, unregister_job
from panels import verification
from tests.hardening import logcheck
from tests.panels.register_support import csv_bytes, run_import
from tests.support import csrf_token

# Register ids in shapes the redaction does not know: only the code keeps them out of logs.
REGISTER_IDS = ["RIV-0042-Q", "RIV-0043-Q", "RIV-0044-Q", "123456782"]


class Lines(logging.Handler):
    """Every formatted log line (with tracebacks) of this process while the test runs."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture()
def lines(app: Flask) -> Iterator[Lines]:
    handler = Lines()
    # Alembic's fileConfig (the migration tests) disables every logger that existed then.
    for logger in logging.Logger.manager.loggerDict.values():
        if isinstance(logger, logging.Logger):
            logger.disabled = False
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def _find(text: str, values: dict[str, set[str]]) -> list[logcheck.Finding]:
    path = Path(logcheck.LOG_DIR) / "journey-check.tmp"
    path.write_text(text, encoding="utf-8")
    try:
        return logcheck.scan([path], values)
    finally:
        path.unlink()


def test_records_are_redacted_whatever_the_logger(app: Flask, lines: Lines) -> None:
    log = logging.getLogger("anything.at.all")
    log.warning("mail for %s, code %s", "Jan.Jansen+x@voorbeeld.nl", "ABCD-EFGH-JK23")
    log.warning("register id 123456782 and RS000042, code abcdefghjk23 stays (lower case)")
    try:
        raise ValueError("duplicate key: (email)=(piet@voorbeeld.nl)")
    except ValueError:
        log.exception("insert failed for %s", "piet@voorbeeld.nl")
    text = lines.text()
    assert "voorbeeld.nl" not in text and "ABCD-EFGH-JK23" not in text
    assert "123456782" not in text and "RS000042" not in text
    assert text.count("[email]") >= 3 and "[code]" in text and text.count("[register-id]") == 2
    assert "ValueError: duplicate key: (email)=([email])" in text  # the traceback, redacted


def test_redaction_keeps_ordinary_text() -> None:
    text = "ballot 12 closed at 2026-03-02 09:00:00, 1234 votes, job voting.close_due_ballots"
    assert logging_setup.redact(text) == text


def test_installations_add_their_register_id_shape(app: Flask) -> None:
    logging_setup.set_patterns([r"\bRIV-\d{4}-[A-Z]\b"])
    try:
        assert logging_setup.redact("person RIV-0042-Q moved") == "person [register-id] moved"
    finally:
        logging_setup.set_patterns(tuple(app.config.get("LOG_REDACT_PATTERNS", ())))


def _sign_up_and_fail_logins(client: FlaskClient, known: User) -> str:
    new_email = "nieuw.account@voorbeeld.nl"
    token = csrf_token(client, "/account/signup")
    form = {"email": new_email, "password": "a long enough passphrase", "csrf_token": token}
    assert client.post("/account/signup", data=form).status_code in (200, 302, 303)
    for email, password in ((known.email, "wrong password"), ("niemand@voorbeeld.nl", "x" * 12)):
        token = csrf_token(client, "/account/login")
        data = {"email": email, "password": password, "csrf_token": token}
        assert client.post("/account/login", data=data).status_code in (401, 403, 422)
    logcheck.note("e-mail address", "niemand@voorbeeld.nl")
    return new_email


def _import_registers() -> None:
    rows = [(rid, f"H{n}", 1970 + n, "v", "Centrum", "mbo") for n, rid in enumerate(REGISTER_IDS)]
    refused = run_import(csv_bytes([*rows, rows[0]]), "dubbel.csv")  # a duplicate id: refused
    assert not refused.ok
    assert run_import(csv_bytes(rows), "register.csv").ok


def _letter_codes(clerk: User, resident: User) -> str:
    _, code = verification.clerk_issue_code(clerk, REGISTER_IDS[0])
    db.session.commit()
    with pytest.raises(verification.CodeRejected):
        verification.redeem(resident, "ABCD-EFGH-JK23")
    db.session.commit()
    verification.redeem(resident, code)
    db.session.commit()
    return code


def _failing_job(app: Flask, email: str) -> None:
    def fail() -> None:
        raise RuntimeError(f"could not reach {email} for {REGISTER_IDS[3]}")

    register_job("test.leaky_failure", fail, seconds=3600)
    try:
        assert run_due(app, "test.leaky_failure") is RunResult.FAILED
    finally:
        unregister_job("test.leaky_failure")


def _add_failing_page(app: Flask) -> None:
    """A page that fails unexpectedly, its error text carrying personal data (before any
    request: Flask takes no new routes after the first)."""

    def boom() -> str:
        raise RuntimeError("template for bekende.bewoner@voorbeeld.nl, code ABCD-EFGH-JK23")

    app.add_url_rule("/test-boom", "test_boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False


def test_a_busy_day_leaves_no_personal_data_in_the_logs(
    app: Flask,
    client: FlaskClient,
    lines: Lines,
    make_user: Callable[..., User],
) -> None:
    _add_failing_page(app)
    known = make_user(Role.RESIDENT, email="bekende.bewoner@voorbeeld.nl")
    clerk = make_user(Role.CLERK, email="baliemedewerker@gemeente.example")
    with app.test_request_context("/?lang=en"):
        _sign_up_and_fail_logins(client, known)
        _import_registers()
        code = _letter_codes(clerk, known)
        _failing_job(app, known.email)
        assert run_due(app, "mail.send") in (RunResult.RAN, RunResult.SKIPPED)
    assert client.get(f"/test-boom?email={known.email}").status_code == 500

    text = lines.text()
    # The day was logged: the failing job and the server error with their tracebacks ...
    assert "job test.leaky_failure failed" in text and "RuntimeError: could not reach" in text
    assert "Exception on /test-boom [GET]" in text
    # ... and nothing personal is in it.
    seen = logcheck.noted()
    assert {known.email, clerk.email} <= seen["e-mail address"]
    assert set(REGISTER_IDS) <= seen["register id"]
    assert code in seen["letter code"]
    assert _find(text, seen) == []


def test_the_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    log = tmp_path / "some.log"
    log.write_text(
        "INFO ok R10 and ERROR 1\nWARNING mail to Bekende.Bewoner@voorbeeld.nl failed\n"
        "INFO code ABCD-EFGH-JK23 printed\n",
        encoding="utf-8",
    )
    values = {
        "e-mail address": {"bekende.bewoner@voorbeeld.nl"},
        "register id": {"R1"},
        "letter code": {"ABCD-EFGH-JK23"},
    }
    found = logcheck.scan([log], values)
    assert [(f.kind, f.line_number) for f in found] == [("e-mail address", 2), ("letter code", 3)]


def test_json_lines_carry_the_redacted_message_and_exception(app: Flask) -> None:
    try:
        raise KeyError("jan@voorbeeld.nl")
    except KeyError:
        record = logging.getLogger("civic.test").makeRecord(
            "civic.test", logging.ERROR, __file__, 1, "no %s", ("jan@voorbeeld.nl",), sys.exc_info()
        )
    entry = json.loads(logging_setup.JsonFormatter().format(record))
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "ERROR",
        "civic.test",
        "no [email]",
    )
    assert entry["exception"].endswith("KeyError: '[email]'")
