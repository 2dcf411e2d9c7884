"""The log check of the whole test session: collected from the moment this directory is
collected (before any test runs), judged when the session ends."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.hardening import logcheck

logcheck.install_recorders()
_handler = logcheck.capture_session_logs()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any log line of it holds a noted e-mail, register id or letter code."""
    _handler.flush()
    findings = logcheck.scan(logcheck.log_files(), logcheck.noted())
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if findings:
        text = logcheck.report(findings)
        if reporter is not None:
            reporter.write("\n")
            reporter.write_line(text, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif reporter is not None:
        counts = ", ".join(f"{k}: {len(v)}" for k, v in logcheck.noted().items())
        files = len(logcheck.log_files())
        reporter.write("\n")
        reporter.write_line(f"log check: no personal data in {files} log file(s) ({counts})")
    if not findings and not os.environ.get("CIVIC_TEST_LOG_DIR"):
        shutil.rmtree(logcheck.LOG_DIR, ignore_errors=True)  # kept when something was found
