"""APScheduler wiring: the `flask scheduler` process and the optional in-dev-server thread."""

from __future__ import annotations

import atexit
import logging
import os
import threading
from datetime import timedelta
from typing import TypeVar

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from civic import clock
from civic.scheduling.services import registered_jobs, run_all_due, run_due, slot_start

log = logging.getLogger(__name__)
S = TypeVar("S", bound=BaseScheduler)
# A run fires this long after its slot starts, so clocks that differ a little between
# processes still agree on the slot.
SLOT_MARGIN = timedelta(seconds=1)

_background: BackgroundScheduler | None = None
_background_lock = threading.Lock()


def build_scheduler(app: Flask, scheduler_class: type[S]) -> S:
    """A scheduler with every registered job, each firing just after its slot boundaries."""
    scheduler = scheduler_class(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )
    now = clock.now()
    for job in registered_jobs():
        first = slot_start(now, job.seconds) + timedelta(seconds=job.seconds) + SLOT_MARGIN
        scheduler.add_job(
            run_due,
            IntervalTrigger(seconds=job.seconds, start_date=first, timezone="UTC"),
            args=[app, job.name],
            id=job.name,
            name=job.name,
        )
    # Catch up once at start-up instead of waiting up to a whole interval.
    scheduler.add_job(run_all_due, args=[app], id="startup", name="startup")
    return scheduler


def start_background(app: Flask) -> bool:
    """Start the in-process scheduler once per process; True if this call started it."""
    global _background
    with _background_lock:
        if _background is not None:
            return False
        _background = build_scheduler(app, BackgroundScheduler)
        _background.start()
    atexit.register(stop_background)
    log.info("in-process scheduler started (pid %s)", os.getpid())
    return True


def stop_background() -> None:
    """Stop the in-process scheduler, if any."""
    global _background
    with _background_lock:
        if _background is not None:
            _background.shutdown(wait=False)
            _background = None
