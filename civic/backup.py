"""`flask backup` and `flask restore`: a consistent copy of the database while the app runs.

SQLite: the online backup API copies the database as of one moment (a read snapshot; the
app keeps writing in WAL mode). PostgreSQL: pg_dump in its custom format, also one snapshot;
the password goes to pg_dump in PGPASSWORD, never on the command line. A restore goes into
an empty database only (unless forced) and then checks the audit chain.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import Engine, MetaData, func, select, text
from sqlalchemy.engine import URL, make_url

from civic import clock
from civic.extensions import db

# Rows that every freshly built schema holds: not "data" for the empty-database check.
_BOOKKEEPING = {"alembic_version"}
PG_BIN_DIRS = "/usr/lib/postgresql/{major}/bin"


class BackupError(click.ClickException):
    """A backup or restore that cannot go ahead; the message says why."""


@dataclass(frozen=True)
class RestoreReport:
    """What a restore found: rows per table, the audit chain check and its head."""

    counts: dict[str, int]
    chain_rows: int
    broken: tuple[int, str] | None
    head_hash: str | None


# --- helpers shared by both databases ---


def _url() -> URL:
    return make_url(str(current_app.config["SQLALCHEMY_DATABASE_URI"]))


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def default_path(url: URL) -> Path:
    """instance/backups/civic-<UTC time>.sqlite (or .dump for PostgreSQL)."""
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    suffix = "sqlite" if _is_sqlite(url) else "dump"
    return Path(current_app.instance_path) / "backups" / f"civic-{stamp}.{suffix}"


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table, by table name (every table the database has, not only the models')."""
    meta = MetaData()
    meta.reflect(bind=engine)
    with engine.connect() as conn:
        return {
            name: int(conn.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in sorted(meta.tables.items())
        }


def holds_data(engine: Engine) -> list[str]:
    """Tables with rows, leaving out bookkeeping (a new schema's empty audit head)."""
    counts = table_counts(engine)
    full = [t for t, n in counts.items() if n and t not in _BOOKKEEPING]
    if "audit_head" in full:
        with engine.connect() as conn:
            seq = conn.scalar(text("SELECT max(seq) FROM audit_head"))
        if not seq:
            full.remove("audit_head")
    return full


# --- SQLite ---


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy `source` into `target` with the online backup API, as of one moment."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)
        dst.commit()
    finally:
        dst.close()
        src.close()


def _sqlite_backup(url: URL, path: Path) -> None:
    source = _sqlite_file(url)
    if not source.exists():
        raise BackupError(f"database file {source} does not exist")
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    _sqlite_copy(source, partial)
    check = sqlite3.connect(partial)
    try:
        result = check.execute("PRAGMA quick_check").fetchone()
    finally:
        check.close()
    if not result or result[0] != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check: {result}")
    os.replace(partial, path)  # a backup file is whole or absent


def _sqlite_restore(url: URL, path: Path) -> None:
    target = _sqlite_file(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    _sqlite_copy(path, target)


# --- PostgreSQL ---


def _pg_env(url: URL) -> dict[str, str]:
    """libpq variables for pg_dump/pg_restore: the password never appears in `ps`."""
    env = dict(os.environ)
    for key in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSERVICE"):
        env.pop(key, None)
    values = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
    }
    env.update({k: str(v) for k, v in values.items() if v})
    return env


def _server_major(engine: Engine) -> int:
    with engine.connect() as conn:
        number = int(conn.scalar(text("SHOW server_version_num")) or 0)
    return number // 10000


def pg_tool(name: str, major: int) -> str:
    """The pg_dump/pg_restore that matches the server's major version.

    PG_BIN_DIR (config or environment) wins; then Debian's /usr/lib/postgresql/<major>/bin;
    then whatever is on PATH, if its major version is at least the server's."""
    configured = current_app.config.get("PG_BIN_DIR") or os.environ.get("PG_BIN_DIR")
    candidates = [Path(configured) / name] if configured else []
    candidates.append(Path(PG_BIN_DIRS.format(major=major)) / name)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found and _tool_major(found) >= major:
        return found
    raise BackupError(f"no {name} for PostgreSQL {major}: install it or set PG_BIN_DIR")


def _tool_major(path: str) -> int:
    output = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"(\d+)(?:\.\d+)?", output.stdout)
    return int(match.group(1)) if match else 0


def _run_pg(command: list[str], url: URL) -> None:
    result = subprocess.run(command, env=_pg_env(url), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise BackupError(f"{Path(command[0]).name} failed: " + " / ".join(detail))


def _pg_backup(url: URL, path: Path) -> None:
    partial = path.with_name(path.name + ".partial")
    tool = pg_tool("pg_dump", _server_major(db.engine))
    _run_pg([tool, "--format=custom", "--no-password", f"--file={partial}"], url)
    os.replace(partial, path)


def _pg_restore(url: URL, path: Path) -> None:
    tool = pg_tool("pg_restore", _server_major(db.engine))
    db.engine.dispose()  # no idle connection of ours in the way of --clean
    command = [tool, "--clean", "--if-exists", "--no-owner", "--no-privileges"]
    command += ["--single-transaction", "--exit-on-error", "--no-password"]
    command += [f"--dbname={url.database}", str(path)]
    _run_pg(command, url)


# --- the use cases ---


def backup(path: Path | None = None) -> Path:
    """Write a consistent copy of the app's database to `path` (default under instance/)."""
    url = _url()
    path = path or default_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    if _is_sqlite(url):
        _sqlite_backup(url, path)
    else:
        _pg_backup(url, path)
    return path


def restore(path: Path, *, force: bool = False) -> RestoreReport:
    """Load a backup into the app's database, refusing one that holds data unless `force`;
    then count the rows and check the audit chain."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    url = _url()
    full = holds_data(db.engine)
    if full and not force:
        raise BackupError(
            "the database is not empty (data in: " + ", ".join(full) + "); use --force to "
            "overwrite it"
        )
    db.session.remove()
    if _is_sqlite(url):
        db.engine.dispose()
        _sqlite_restore(url, path)
    else:
        _pg_restore(url, path)
    db.engine.dispose()
    return _report()


def _report() -> RestoreReport:
    from civic.audit.models import AuditHead
    from civic.audit.services import verify_chain

    counts = table_counts(db.engine)
    rows, broken = verify_chain()
    head = db.session.get(AuditHead, 1)
    db.session.remove()
    return RestoreReport(counts, rows, broken, head.last_hash if head is not None else None)


def register(app: Flask) -> None:
    """Add `flask backup` and `flask restore`."""

    @app.cli.command("backup")
    @click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(path: Path | None) -> None:
        """Copy the database to PATH (default: instance/backups/civic-<time>)."""
        written = backup(path)
        click.echo(f"Backup written to {written} ({written.stat().st_size} bytes).")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="Overwrite a database that holds data.")
    def restore_command(path: Path, force: bool) -> None:
        """Load a backup into the (empty) database, then check the audit chain."""
        report = restore(path, force=force)
        for table, count in report.counts.items():
            click.echo(f"{table}: {count}")
        if report.broken is not None:
            seq, reason = report.broken
            click.echo(f"Audit chain BROKEN at row seq={seq}: {reason}.", err=True)
            raise SystemExit(1)
        click.echo(f"Audit chain intact: {report.chain_rows} rows, head {report.head_hash}.")
