"""Scheduled sweeps of the voting area; idempotent, safe to run twice or late."""

from __future__ import annotations

import logging

from voting import services

log = logging.getLogger(__name__)

CLOSE_EVERY_SECONDS = 60
RECONCILE_EVERY_SECONDS = 3600


def close_due_ballots_job() -> int:
    """Close every ballot whose deadline passed; the scheduler commits."""
    closed = services.close_due_ballots()
    if closed:
        log.info("closed %d ballot(s): %s", len(closed), [b.id for b in closed])
    return len(closed)


def reconcile_tallies_job() -> int:
    """Recount every ballot and repair drifted tallies (each repair is audit-logged)."""
    repairs = services.reconcile_tallies()
    for repair in repairs:
        log.warning(
            "ballot %d: tally %d repaired to %d", repair.ballot_id, repair.recorded, repair.counted
        )
    return len(repairs)


def register_jobs() -> None:
    """Register the voting sweeps with the scheduler (safe to call more than once)."""
    from civic.scheduling.services import register_job

    register_job("voting.close_due_ballots", close_due_ballots_job, seconds=CLOSE_EVERY_SECONDS)
    register_job("voting.reconcile_tallies", reconcile_tallies_job, seconds=RECONCILE_EVERY_SECONDS)
