"""`flask backup` and `flask restore`: a snapshot taken while a vote is half-written restores
into a fresh database with the same rows per table and the same audit chain head."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from civic import clock
from civic.accounts.models import Role, User
from civic.audit.models import AuditHead
from civic.backup import table_counts
from civic.extensions import db
from proposals import ideas, screening
from proposals.models import Idea
from tests.hardening.databases import app_on, fresh_database

VOTERS = 12


def _head() -> tuple[int, str]:
    head = db.session.execute(select(AuditHead.seq, AuditHead.last_hash)).one()
    return int(head[0]), str(head[1])


@pytest.fixture()
def idea_with_votes(
    app: Flask, make_user: Callable[..., User], make_agency: Callable[..., Any]
) -> tuple[Idea, list[User]]:
    """An idea accepted for voting with VOTERS verified residents, all but one voted."""
    app.config["IDEA_VOTE_RULES"] = {"afval": {"threshold": 100, "months": 3}}
    agency = make_agency("Afdeling Afval", service_areas="afval")
    moderator = make_user(Role.MODERATOR)
    residents = [make_user(Role.RESIDENT, verified=True) for _ in range(VOTERS)]
    with app.test_request_context("/?lang=en"):
        idea = ideas.submit_idea(
            residents[0],
            ideas.IdeaData("Benches", "Nowhere to sit.", "Ten benches.", "afval", agency.id),
        )
        screening.accept_idea(moderator, idea)
        db.session.commit()
        for resident in residents[:-1]:
            ideas.vote_for(idea, resident)
            db.session.commit()
    return idea, residents


def _half_written_vote(
    app: Flask, idea_id: int, voter_id: int, written: threading.Event, release: threading.Event
) -> None:
    """Cast a vote (vote row, tally, audit row flushed), hold the transaction open until
    released, then commit."""
    with app.test_request_context("/?lang=en"):
        idea = db.session.get(Idea, idea_id)
        voter = db.session.get(User, voter_id)
        ideas.vote_for(idea, voter)
        db.session.flush()
        written.set()
        assert release.wait(60), "the backup never finished"
        db.session.commit()
        db.session.remove()


def test_backup_during_a_write_restores_the_committed_state(
    app: Flask, idea_with_votes: tuple[Idea, list[User]], tmp_path: Path
) -> None:
    idea, residents = idea_with_votes
    written, release = threading.Event(), threading.Event()
    writer = threading.Thread(
        target=_half_written_vote, args=(app, idea.id, residents[-1].id, written, release)
    )
    writer.start()
    try:
        assert written.wait(30)
        committed = table_counts(db.engine)  # other connections see only committed rows
        db.session.rollback()
        head = _head()
        db.session.rollback()
        backup_file = tmp_path / "snapshot.bin"
        result = app.test_cli_runner().invoke(args=["backup", str(backup_file)])
        assert result.exit_code == 0, result.output
        assert "Backup written to" in result.output
    finally:
        release.set()
        writer.join(60)
    db.session.rollback()
    assert table_counts(db.engine)["vote"] == committed["vote"] + 1  # the write went through

    with fresh_database(tmp_path, "restore") as url:
        target = app_on(url)
        with target.app_context():  # the CLI runs in the current app's context
            restored = target.test_cli_runner().invoke(args=["restore", str(backup_file)])
            assert restored.exit_code == 0, restored.output
            assert f"Audit chain intact: {head[0]} rows, head {head[1]}." in restored.output
            assert table_counts(db.engine) == committed
            assert _head() == head
            assert committed["vote"] == VOTERS - 1
            db.session.remove()
            db.engine.dispose()


def test_restore_refuses_a_database_with_data_unless_forced(
    app: Flask, idea_with_votes: tuple[Idea, list[User]], tmp_path: Path
) -> None:
    backup_file = tmp_path / "backup.bin"
    assert app.test_cli_runner().invoke(args=["backup", str(backup_file)]).exit_code == 0
    with fresh_database(tmp_path, "twice") as url:
        target = app_on(url)
        with target.app_context():  # the CLI runs in the current app's context
            runner = target.test_cli_runner()
            assert runner.invoke(args=["restore", str(backup_file)]).exit_code == 0

            refused = runner.invoke(args=["restore", str(backup_file)])
            assert refused.exit_code == 1
            assert "the database is not empty" in refused.output
            assert "user_account" in refused.output

            forced = runner.invoke(args=["restore", "--force", str(backup_file)])
            assert forced.exit_code == 0, forced.output
            assert f"user_account: {VOTERS + 1}" in forced.output
            db.session.remove()
            db.engine.dispose()


def test_backup_without_a_path_goes_under_the_instance_folder(app: Flask, tmp_path: Path) -> None:
    app.instance_path = str(tmp_path / "instance")
    clock.reset()
    result = app.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    written = list((tmp_path / "instance" / "backups").iterdir())
    assert len(written) == 1 and written[0].name.startswith("civic-")
    assert not written[0].name.endswith(".partial")


def test_restore_names_a_missing_file(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "nothing.bin")])
    assert result.exit_code == 1
    assert "no backup file at" in result.output
