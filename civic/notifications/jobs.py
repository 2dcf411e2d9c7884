"""The digest sweep; idempotent (sent notifications are marked)."""

from __future__ import annotations

import logging

from civic.notifications import services

log = logging.getLogger(__name__)

EVERY_SECONDS = 300


def send_digests() -> int:
    """Queue every due digest e-mail; the scheduler commits."""
    sent = services.send_digests()
    if sent:
        log.info("queued %d digest e-mail(s)", sent)
    return sent
