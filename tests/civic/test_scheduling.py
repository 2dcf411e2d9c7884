"""Scheduled jobs: a slot runs once across processes, failures are recorded, --once works."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from civic import clock, create_app
from civic.extensions import db
from civic.scheduling import RunResult, register_job, run_due, unregister_job
from civic.scheduling.models import JobRun, RunStatus
from civic.scheduling.services import prune_runs, slot_start

T0 = datetime(2025, 3, 3, 9, 0, 5, tzinfo=UTC)


@pytest.fixture()
def counter() -> Iterator[dict[str, Any]]:
    """A job `test.count` that counts its runs and fails while `fail` is set."""
    state: dict[str, Any] = {"runs": 0, "fail": False}
    lock = threading.Lock()

    def count() -> None:
        with lock:
            state["runs"] += 1
        if state["fail"]:
            raise RuntimeError("the sweep broke")

    register_job("test.count", count, seconds=60)
    yield state
    unregister_job("test.count")


def _runs() -> list[JobRun]:
    db.session.expire_all()
    return list(db.session.scalars(select(JobRun).where(JobRun.job == "test.count")))


def test_slots_are_aligned_for_every_process() -> None:
    assert slot_start(T0, 60) == datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    assert slot_start(T0 + timedelta(seconds=54), 60) == slot_start(T0, 60)
    assert slot_start(T0 + timedelta(seconds=55), 60) == datetime(2025, 3, 3, 9, 1, tzinfo=UTC)
    assert slot_start(T0, 30) == datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def test_a_slot_runs_once_and_the_next_slot_runs_again(app: Flask, counter: dict[str, Any]) -> None:
    clock.freeze(T0)
    assert run_due(app, "test.count") is RunResult.RAN
    assert run_due(app, "test.count") is RunResult.SKIPPED
    clock.move(timedelta(seconds=60))
    assert run_due(app, "test.count") is RunResult.RAN
    assert counter["runs"] == 2
    runs = _runs()
    assert [r.status for r in runs] == [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED]
    assert all(r.finished_at is not None for r in runs)


def test_two_processes_run_a_slot_once(app: Flask, counter: dict[str, Any]) -> None:
    """Two app instances (own engines and sessions) on one database; both look for the slot's
    row, find none, and only then both insert it."""
    clock.freeze(T0)
    other = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    )
    barrier = threading.Barrier(2, timeout=30)
    results: list[RunResult] = []
    errors: list[BaseException] = []
    inserts: list[int] = []

    def before_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO JOB_RUN"):
            inserts.append(threading.get_ident())
            barrier.wait()  # both have checked that the slot is free; now both claim it

    def process(application: Flask) -> None:
        try:
            results.append(run_due(application, "test.count"))
        except BaseException as error:  # noqa: BLE001 - surfaced below
            errors.append(error)

    engines = []
    for application in (app, other):
        with application.app_context():
            engines.append(db.engine)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", before_insert)
    try:
        threads = [threading.Thread(target=process, args=(a,)) for a in (app, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", before_insert)
        with other.app_context():
            db.engine.dispose()
    assert not errors
    assert len(set(inserts)) == 2  # both really tried to claim the slot
    assert sorted(results) == sorted([RunResult.RAN, RunResult.SKIPPED])
    assert counter["runs"] == 1
    assert len(_runs()) == 1


def test_a_failing_job_is_recorded_and_the_next_slot_still_runs(
    app: Flask, counter: dict[str, Any]
) -> None:
    clock.freeze(T0)
    counter["fail"] = True
    assert run_due(app, "test.count") is RunResult.FAILED
    [failed] = _runs()
    assert failed.status is RunStatus.FAILED
    assert failed.error is not None and "RuntimeError: the sweep broke" in failed.error
    assert run_due(app, "test.count") is RunResult.SKIPPED  # the slot was used, if badly

    counter["fail"] = False
    clock.move(timedelta(minutes=1))
    assert run_due(app, "test.count") is RunResult.RAN
    assert [r.status for r in _runs()] == [RunStatus.FAILED, RunStatus.SUCCEEDED]


def test_a_failing_job_leaves_no_half_written_work(app: Flask) -> None:
    def half() -> None:
        db.session.add(JobRun(job="test.half", slot=T0, started_at=T0))
        db.session.flush()
        raise ValueError("stopped halfway")

    register_job("test.half.job", half, seconds=60)
    try:
        assert run_due(app, "test.half.job") is RunResult.FAILED
    finally:
        unregister_job("test.half.job")
    assert db.session.scalar(select(JobRun).where(JobRun.job == "test.half")) is None


def test_unknown_job_and_bad_registration(app: Flask) -> None:
    with pytest.raises(ValueError, match="no job"):
        run_due(app, "no.such.job")
    with pytest.raises(ValueError, match="already registered"):
        register_job("mail.send", lambda: None, seconds=30)
    with pytest.raises(ValueError, match="at least one second"):
        register_job("test.zero", lambda: None, seconds=0)


def test_prune_keeps_failed_and_recent_runs(app: Flask) -> None:
    clock.freeze(T0)
    old, recent = T0 - timedelta(days=30), T0 - timedelta(days=1)
    for job, started, status in [
        ("a", old, RunStatus.SUCCEEDED),
        ("b", old, RunStatus.FAILED),
        ("c", recent, RunStatus.SUCCEEDED),
    ]:
        db.session.add(JobRun(job=job, slot=started, started_at=started, status=status))
    db.session.commit()
    prune_runs()
    db.session.commit()
    assert sorted(db.session.scalars(select(JobRun.job))) == ["b", "c"]


def test_cli_once_runs_every_due_job(app: Flask, runner: Any, counter: dict[str, Any]) -> None:
    first = runner.invoke(args=["scheduler", "--once"])
    assert first.exit_code == 0, first.output
    assert "test.count: ran" in first.output and "mail.send: ran" in first.output
    assert counter["runs"] == 1
    again = runner.invoke(args=["scheduler", "--once"])
    assert "test.count: skipped" in again.output and counter["runs"] == 1

    counter["fail"] = True
    clock.move(timedelta(minutes=1))
    failed = runner.invoke(args=["scheduler", "--once"])
    assert failed.exit_code == 1 and "test.count: failed" in failed.output


def test_scheduler_is_off_unless_enabled(app: Flask) -> None:
    from civic.scheduling import runner

    assert app.config["SCHEDULER_ENABLED"] is False
    assert runner._background is None


def test_enabled_scheduler_waits_for_the_serving_process(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CLI commands and the reloader's watcher build the app too; none of them may start it."""
    from civic.scheduling import runner

    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    enabled = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "SCHEDULER_ENABLED": True})
    assert runner._background is None
    hooks = [f.__name__ for f in enabled.before_request_funcs.get(None, [])]
    assert "_start_scheduler" in hooks


def test_blocking_scheduler_has_every_job_on_slot_boundaries(app: Flask) -> None:
    from apscheduler.schedulers.blocking import BlockingScheduler

    from civic.scheduling.runner import SLOT_MARGIN, build_scheduler

    clock.freeze(T0)
    scheduler = build_scheduler(app, BlockingScheduler)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert {"mail.send", "scheduling.prune_runs"} <= set(jobs)
    trigger = jobs["mail.send"].trigger
    assert trigger.interval == timedelta(seconds=30)
    assert trigger.start_date == datetime(2025, 3, 3, 9, 0, 30, tzinfo=UTC) + SLOT_MARGIN
