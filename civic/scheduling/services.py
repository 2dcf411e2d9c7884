"""The job registry and `run_due`: run a job for its time slot once across all processes."""

from __future__ import annotations

import enum
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from civic import clock
from civic.extensions import db
from civic.scheduling.models import JobRun, RunStatus

log = logging.getLogger(__name__)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RunResult(enum.StrEnum):
    """What `run_due` did."""

    RAN = "ran"
    SKIPPED = "skipped"  # another process (or an earlier call) already took this slot
    FAILED = "failed"


@dataclass(frozen=True)
class Job:
    """A registered job: an idempotent sweep run every `seconds` inside an app context."""

    name: str
    func: Callable[[], Any]
    seconds: int


_REGISTRY: dict[str, Job] = {}


def register_job(name: str, func: Callable[[], Any], *, seconds: int) -> Job:
    """Register a job; packages call this at import time. The body runs inside an app
    context; `run_due` commits after it returns and rolls back if it raises."""
    if seconds < 1:
        raise ValueError("a job needs an interval of at least one second")
    existing = _REGISTRY.get(name)
    if existing is not None and (existing.func is not func or existing.seconds != seconds):
        raise ValueError(f"job {name!r} is already registered")
    job = Job(name, func, seconds)
    _REGISTRY[name] = job
    return job


def unregister_job(name: str) -> None:
    """Remove a job (tests)."""
    _REGISTRY.pop(name, None)


def registered_jobs() -> list[Job]:
    """Every registered job, by name."""
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def slot_start(moment: datetime, seconds: int) -> datetime:
    """The start of the slot that `moment` falls in; slots are aligned to the Unix epoch, so
    every process computes the same slot for the same moment."""
    elapsed = int((moment - EPOCH).total_seconds())
    return EPOCH + timedelta(seconds=elapsed - elapsed % seconds)


def _claim(job: Job, slot: datetime) -> int | None:
    """Insert the run row; None when another process holds the slot."""
    taken = db.session.scalar(select(JobRun.id).where(JobRun.job == job.name, JobRun.slot == slot))
    if taken is not None:  # cheap check first; the unique constraint decides races
        return None
    run = JobRun(job=job.name, slot=slot, status=RunStatus.RUNNING, started_at=clock.now())
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return run.id


def _close(run_id: int, status: RunStatus, error: str | None = None) -> None:
    db.session.execute(
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(status=status, finished_at=clock.now(), error=error)
    )
    db.session.commit()


def _run(job: Job, now: datetime) -> RunResult:
    run_id = _claim(job, slot_start(now, job.seconds))
    if run_id is None:
        return RunResult.SKIPPED
    try:
        job.func()
        db.session.commit()
    except Exception as error:  # noqa: BLE001 - a failing job must not stop the scheduler
        db.session.rollback()
        log.exception("job %s failed", job.name)
        message = "".join(traceback.format_exception_only(error)).strip()[:2000]
        _close(run_id, RunStatus.FAILED, message)
        return RunResult.FAILED
    _close(run_id, RunStatus.SUCCEEDED)
    return RunResult.RAN


def run_due(app: Flask, name: str, *, now: datetime | None = None) -> RunResult:
    """Run job `name` for the slot containing `now` (default: the clock), unless any process
    already ran or is running that slot."""
    job = _REGISTRY.get(name)
    if job is None:
        raise ValueError(f"no job named {name!r}")
    with app.app_context():
        try:
            return _run(job, now or clock.now())
        finally:
            db.session.remove()


def run_all_due(app: Flask) -> list[tuple[str, RunResult]]:
    """Run every registered job for its current slot (`flask scheduler --once`)."""
    return [(job.name, run_due(app, job.name)) for job in registered_jobs()]


def prune_runs() -> None:
    """Delete succeeded runs older than SCHEDULER_KEEP_RUNS; failed runs stay for inspection."""
    keep = current_app.config.get("SCHEDULER_KEEP_RUNS", timedelta(days=14))
    db.session.execute(
        delete(JobRun).where(
            JobRun.status == RunStatus.SUCCEEDED, JobRun.started_at < clock.now() - keep
        )
    )
