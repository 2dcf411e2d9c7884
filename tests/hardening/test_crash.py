"""Crashes with real processes: kill -9 a gunicorn worker in the middle of a vote and the
scheduler in the middle of a deadline sweep; start two schedulers at once. Afterwards no vote
is lost or doubled, every deadline fired exactly once, the audit chain is intact.

Each test gets a database of its own (a new SQLite file, or a new PostgreSQL database)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from civic import clock
from civic.accounts.models import Role, User
from civic.accounts.passwords import hash_password
from civic.agencies.models import Agency
from civic.audit.models import AuditEntry
from civic.audit.services import verify_chain
from civic.extensions import db
from civic.scheduling.models import JobRun, RunStatus
from civic.scheduling.services import slot_start
from proposals import ideas, screening
from tests.hardening import harness
from tests.hardening.databases import app_on, build_schema, fresh_database
from voting import services as voting
from voting.models import Ballot, Vote
from voting.rules import BallotStatus

PASSWORD = "correct horse battery"
RESIDENTS = 24
BALLOTS = 12
SUBJECT = "crashtest"


@dataclass
class CrashDb:
    """A database of the test's own, with the schema, and an app on it for checks."""

    url: str
    app: Flask
    instance: Path


@pytest.fixture()
def crash_db(tmp_path: Path) -> Iterator[CrashDb]:
    with fresh_database(tmp_path, "crash") as url:
        build_schema(url)
        application = app_on(url, IDEA_VOTE_RULES={"afval": {"threshold": 1000, "months": 3}})
        try:
            yield CrashDb(url, application, tmp_path / "instance")
        finally:
            with application.app_context():
                db.session.remove()
                db.engine.dispose()
            clock.reset()


def _audit_count(action: str, object_id: int | None = None) -> int:
    query = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == str(object_id))
    return int(db.session.scalar(query) or 0)


def _chain_intact() -> None:
    rows, broken = verify_chain()
    assert broken is None, f"audit chain broken: {broken}"
    assert rows > 0


# --- (a) a web worker killed in the middle of a vote ---


def _idea_and_residents(crash: CrashDb) -> tuple[int, list[tuple[int, str]]]:
    with crash.app.test_request_context("/?lang=en"):
        agency = Agency(
            name="Afdeling Afval", slug="afval", response_days=56, service_areas="afval"
        )
        moderator = User(email="mod@crash.example", password_hash=hash_password(PASSWORD))
        moderator.role = Role.MODERATOR
        db.session.add_all([agency, moderator])
        residents = [
            User(
                email=f"resident{i}@crash.example",
                password_hash=hash_password(PASSWORD),
                email_confirmed_at=clock.now(),
                verified_at=clock.now(),
            )
            for i in range(RESIDENTS)
        ]
        db.session.add_all(residents)
        db.session.flush()
        data = ideas.IdeaData("Benches", "Nowhere to sit.", "Ten benches.", "afval", agency.id)
        idea = ideas.submit_idea(residents[0], data)
        screening.accept_idea(moderator, idea)
        db.session.commit()
        result = idea.id, [(r.id, r.email) for r in residents]
        db.session.remove()
        return result


def _vote_until_counted(base: str, email: str, idea_id: int) -> int:
    """Log in and vote, starting again after a failure (a dead worker); the failures."""
    failures = 0
    for _ in range(20):
        try:
            harness.vote(base, harness.log_in(base, email, PASSWORD), idea_id)
            return failures
        except (requests.RequestException, AssertionError):
            failures += 1
    raise AssertionError(f"{email} could not vote in 20 tries")


def test_a_worker_killed_mid_vote_loses_and_doubles_nothing(crash_db: CrashDb) -> None:
    idea_id, residents = _idea_and_residents(crash_db)
    marker = crash_db.instance.parent / "worker-crash.pid"
    with harness.processes(crash_db.url, crash_db.instance) as group:
        server = harness.start_gunicorn(
            group, workers=2, CRASH_MARKER=str(marker), CRASH_AFTER_VOTES="4"
        )
        first_workers = set(server.worker_pids())
        with ThreadPoolExecutor(max_workers=6) as pool:
            futures = [
                pool.submit(_vote_until_counted, server.url, email, idea_id)
                for _, email in residents
            ]
            # A worker holds a written, uncommitted vote: kill it there.
            pid = int(harness.wait_for(lambda: marker.exists() and marker.read_text(), 60, "crash"))
            assert pid in first_workers
            os.kill(pid, signal.SIGKILL)
            failures = sum(f.result(timeout=120) for f in futures)
        harness.wait_for(
            lambda: len(server.worker_pids()) == 2 and pid not in server.worker_pids(),
            30,
            "the master to replace the killed worker",
        )
        assert "was sent SIGKILL" in server.proc.output()
    assert failures >= 1  # the request inside the killed worker failed and was sent again

    with crash_db.app.app_context():
        idea = ideas.get_idea(idea_id)
        ballot = db.session.get(Ballot, idea.ballot_id)
        voters = list(db.session.scalars(select(Vote.voter_id).where(Vote.ballot_id == ballot.id)))
        assert sorted(voters) == sorted(r for r, _ in residents)  # each once, none lost
        assert ballot.tally == RESIDENTS
        assert _audit_count("vote.cast", ballot.id) == RESIDENTS
        _chain_intact()


# --- (b) the scheduler killed in the middle of the deadline sweep ---


def _due_ballots(crash: CrashDb, now: datetime) -> list[int]:
    """BALLOTS open ballots on the test subject whose deadline passed an hour before `now`."""
    with crash.app.test_request_context("/?lang=en"):
        voter = User(
            email="voter@crash.example",
            password_hash=hash_password(PASSWORD),
            verified_at=now - timedelta(days=1),
        )
        db.session.add(voter)
        db.session.flush()
        ids = []
        for number in range(BALLOTS):
            ballot = voting.open_ballot(
                SUBJECT,
                number + 1,
                opens_at=now - timedelta(hours=3),
                closes_at=now - timedelta(hours=1),
                threshold=None,
                electorate="verified_residents",
                actor="test",
            )
            if number % 2:
                voting.cast_vote(ballot.id, voter, now=now - timedelta(hours=2))
            ids.append(ballot.id)
        db.session.commit()
        db.session.remove()
        return ids


def _open_count() -> int:
    query = select(func.count()).select_from(Ballot).where(Ballot.status == BallotStatus.OPEN)
    count = int(db.session.scalar(query) or 0)
    db.session.rollback()
    return count


def _each_closed_once(ballot_ids: list[int], closed_at: datetime) -> None:
    for ballot_id in ballot_ids:
        ballot = db.session.get(Ballot, ballot_id)
        assert ballot.status == BallotStatus.CLOSED and ballot.outcome is not None
        assert ballot.closed_at == closed_at
        assert _audit_count("ballot.closed", ballot_id) == 1
        assert _audit_count("crashtest.side_effect", ballot_id) == 1
    _chain_intact()


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def test_a_scheduler_killed_mid_sweep_closes_every_ballot_once(crash_db: CrashDb) -> None:
    now = _now()
    ballot_ids = _due_ballots(crash_db, now)
    marker = crash_db.instance.parent / "sweep-crash.pid"
    with harness.processes(crash_db.url, crash_db.instance) as group:
        first = harness.start_scheduler(
            group,
            "scheduler-killed",
            CIVIC_TEST_FREEZE=now.isoformat(),
            CRASH_CLOSE_MARKER=str(marker),
            CRASH_AFTER_CLOSES="5",
        )
        pid = int(harness.wait_for(lambda: marker.exists() and marker.read_text(), 60, "sweep"))
        assert pid == first.pid
        with crash_db.app.app_context():
            assert _open_count() == BALLOTS  # five closed, but not committed
        first.kill9()

        with crash_db.app.app_context():
            assert _open_count() == BALLOTS  # the killed sweep left nothing behind
            assert _audit_count("ballot.closed") == 0
            assert _audit_count("crashtest.side_effect") == 0
            # Its slot stays claimed: the sweep runs again in the next slot.
            stale = db.session.scalar(
                select(JobRun).where(JobRun.job == "voting.close_due_ballots")
            )
            assert stale is not None and stale.status == RunStatus.RUNNING
            db.session.rollback()

        later = now + timedelta(seconds=60)
        second = harness.start_scheduler(
            group, "scheduler-restarted", CIVIC_TEST_FREEZE=later.isoformat()
        )
        harness.wait_for(lambda: harness.startup_done(second), 60, "the restarted scheduler")
        second.stop()

    with crash_db.app.app_context():
        assert _open_count() == 0
        _each_closed_once(ballot_ids, later)


# --- (c) two schedulers started at the same moment ---


def test_two_schedulers_run_each_job_slot_once(crash_db: CrashDb) -> None:
    now = _now()
    ballot_ids = _due_ballots(crash_db, now)
    with harness.processes(crash_db.url, crash_db.instance) as group:
        pair = [
            harness.start_scheduler(group, f"scheduler-{n}", CIVIC_TEST_FREEZE=now.isoformat())
            for n in (1, 2)
        ]
        for proc in pair:
            harness.wait_for(lambda p=proc: harness.startup_done(p), 60, f"{proc.name} start-up")
        for proc in pair:
            proc.stop()

    with crash_db.app.app_context():
        runs = db.session.execute(select(JobRun.job, JobRun.slot, JobRun.status)).all()
        names = [job for job, _, _ in runs]
        assert len(names) == len(set(names))  # one run of each job (both are in one slot)
        assert {"voting.close_due_ballots", "retention.purge_ip_addresses"} <= set(names)
        sweep = next(slot for job, slot, _ in runs if job == "voting.close_due_ballots")
        assert sweep == slot_start(now, 60)
        assert {status for _, _, status in runs} == {RunStatus.SUCCEEDED}
        _each_closed_once(ballot_ids, now)
        pids = db.session.scalars(
            select(AuditEntry.after).where(AuditEntry.action == "crashtest.side_effect")
        ).all()
        assert len(set(pids)) == 1  # one process did the whole sweep
