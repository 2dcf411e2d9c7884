"""Scheduled sweep: send whatever is due in the outbox."""

from __future__ import annotations

import logging

from civic.mail.services import send_pending

log = logging.getLogger(__name__)


def send_mail() -> None:
    """Send due messages until fewer than a batch remain (idempotent; safe to run late)."""
    for _ in range(10):  # bounded, so one run never starves the other jobs
        report = send_pending(None)
        if report.sent or report.retried or report.failed:
            log.info("mail: %s", report.summary())
        if report.claimed < 100 or report.retried:
            return
