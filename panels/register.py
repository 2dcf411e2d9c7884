"""Register import: check a whole CSV extract, then apply it in one transaction, or not at all.

Pass 1 streams the file and validates every row, keeping only the 32-byte HMAC digests of
the register ids (to find duplicates) — never the clear ids. Pass 2 reads the file again,
loads the rows into a temporary staging table in batches (Core executemany) and merges it
into `register_person` with a few set-based statements that change only rows that differ.
Nothing is written before pass 1 has found the file clean; any failure in pass 2 raises and
the caller's rollback undoes everything (the staging table is created inside the transaction).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from civic import audit, clock
from civic.db import UTCDateTime
from civic.errors import Conflict
from civic.extensions import db
from panels.models import ImportStatus, RegisterImport, RegisterPerson, RegisterStatus
from panels.register_rules import (
    DEFAULT_EXTRA_FIELDS,
    DEFAULT_GENDERS,
    MAX_LINE_BYTES,
    ErrorList,
    Header,
    RegisterError,
    RegisterFormat,
    RegisterRow,
    check_row,
    choose_delimiter,
    is_blank,
    parse_header,
)

BATCH_SIZE = 5000
DEFAULT_MAX_BYTES = 250 * 1024 * 1024
PROGRESS_STEP = 1 << 20  # report progress about once per MiB
HOUSEHOLD_TAG = b"household:"  # domain separation: a household id never hashes like a person id
Progress = Callable[[int], None]

_STAGING = Table(
    "register_import_staging",
    MetaData(),
    Column("register_key", String(64), primary_key=True),
    Column("household_key", String(64), nullable=False),
    Column("birth_year", Integer, nullable=False),
    Column("gender", String(20), nullable=False),
    Column("area", String(80), nullable=False),
    Column("extra", Text, nullable=False),
    Column("status", String(30), nullable=False),
    prefixes=["TEMPORARY"],
)
_COPIED = ("household_key", "birth_year", "gender", "area", "extra", "status")


def register_key(register_id: str, key: bytes) -> str:
    """The stored form of a register id: hex HMAC-SHA256 (the clear id is never stored)."""
    return hmac.digest(key, register_id.strip().encode(), "sha256").hex()


def household_key(household_id: str, key: bytes) -> str:
    """The stored form of a household/address id (HMAC with its own domain tag)."""
    return hmac.digest(key, HOUSEHOLD_TAG + household_id.strip().encode(), "sha256").hex()


@dataclass(frozen=True)
class ImportSettings:
    """Everything the import needs from the configuration, resolved once."""

    key: bytes
    fmt: RegisterFormat
    current_year: int
    max_bytes: int

    @classmethod
    def from_app(cls) -> ImportSettings:
        """Read REGISTER_* settings from the current app."""
        config = current_app.config
        fmt = RegisterFormat(
            extra_fields=tuple(config.get("REGISTER_EXTRA_FIELDS", DEFAULT_EXTRA_FIELDS)),
            genders={
                k.lower(): v for k, v in config.get("REGISTER_GENDERS", DEFAULT_GENDERS).items()
            },
        )
        return cls(
            key=str(config["REGISTER_HMAC_KEY"]).encode(),
            fmt=fmt,
            current_year=clock.local(clock.now()).year,
            max_bytes=int(config.get("REGISTER_MAX_BYTES", DEFAULT_MAX_BYTES)),
        )


class _Stop(Exception):
    """A file-level problem: reading stops at once."""

    def __init__(self, error: RegisterError) -> None:
        super().__init__(error.code)
        self.error = error


class _LineReader:
    """Decodes a binary stream line by line: counts lines and bytes, hashes, reports progress."""

    def __init__(self, stream: BinaryIO, progress: Progress | None) -> None:
        self.stream = stream
        self.progress = progress
        self.line = 0
        self.bytes = 0
        self.sha256 = hashlib.sha256()
        self._unreported = 0

    def __iter__(self) -> Iterator[str]:
        while raw := self.stream.readline(MAX_LINE_BYTES + 1):
            self.line += 1
            self._count(raw)
            yield self._decode(raw)
        self._flush_progress()

    def _count(self, raw: bytes) -> None:
        self.bytes += len(raw)
        self.sha256.update(raw)
        self._unreported += len(raw)
        if self._unreported >= PROGRESS_STEP:
            self._flush_progress()

    def _flush_progress(self) -> None:
        if self.progress is not None and self._unreported:
            self.progress(self._unreported)
        self._unreported = 0

    def _decode(self, raw: bytes) -> str:
        if self.line == 1:
            if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise _Stop(RegisterError("utf16", 1))
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        if len(raw) > MAX_LINE_BYTES:
            raise _Stop(RegisterError("line_too_long", self.line, params={"limit": MAX_LINE_BYTES}))
        if b"\x00" in raw:
            raise _Stop(RegisterError("binary", self.line))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            params = {"byte": f"{raw[error.start]:02x}"}
            raise _Stop(RegisterError("not_utf8", self.line, params=params)) from None

    def finish_hash(self) -> str:
        """Hash the rest of the stream (after an early stop) and return the file's sha256."""
        while chunk := self.stream.read(1 << 20):
            self.bytes += len(chunk)
            self.sha256.update(chunk)
        return self.sha256.hexdigest()


def _records(
    reader: _LineReader, settings: ImportSettings
) -> Iterator[tuple[int, RegisterRow | RegisterError]]:
    """(line, row or error) for every data row; raises _Stop for file-level problems."""
    lines = iter(reader)
    first = next((text for text in lines if text.strip()), None)
    if first is None:
        raise _Stop(RegisterError("file_empty"))
    delimiter = choose_delimiter(first)
    rows = csv.reader(itertools.chain([first], lines), delimiter=delimiter, strict=True)
    header = parse_header(_next_record(rows, reader), settings.fmt, delimiter)
    if isinstance(header, RegisterError):
        raise _Stop(header)
    yield from _data_rows(rows, reader, header, settings)


def _next_record(rows: Iterator[list[str]], reader: _LineReader) -> list[str]:
    try:
        return next(rows)
    except csv.Error:
        raise _Stop(RegisterError("bad_quotes", reader.line)) from None


def _data_rows(
    rows: Iterator[list[str]], reader: _LineReader, header: Header, settings: ImportSettings
) -> Iterator[tuple[int, RegisterRow | RegisterError]]:
    fmt, year = settings.fmt, settings.current_year
    while True:
        start = reader.line + 1
        try:
            fields = next(rows)
        except StopIteration:
            return
        except csv.Error:
            raise _Stop(RegisterError("bad_quotes", start)) from None
        if not is_blank(fields):
            yield start, check_row(fields, header, start, year, fmt)


@dataclass
class FileCheck:
    """What pass 1 found: the file-level error, or the row errors, and the sizes."""

    total_rows: int = 0
    file_error: RegisterError | None = None
    errors: ErrorList = field(default_factory=ErrorList)
    sha256: str | None = None
    bytes: int = 0

    @property
    def ok(self) -> bool:
        """True when the file can be imported."""
        return self.file_error is None and self.errors.count == 0


def check_file(
    stream: BinaryIO, settings: ImportSettings, progress: Progress | None = None
) -> FileCheck:
    """Pass 1: validate every row and find duplicate register ids; writes nothing."""
    check = FileCheck()
    reader = _LineReader(stream, progress)
    seen: dict[bytes, int] = {}
    try:
        for line, item in _records(reader, settings):
            check.total_rows += 1
            if isinstance(item, RegisterError):
                check.errors.add(item)
                continue
            digest = hmac.digest(settings.key, item.register_id.encode(), "sha256")
            first = seen.setdefault(digest, line)
            if first != line:
                check.errors.add(
                    RegisterError("duplicate_id", line, "register_id", {"first": first})
                )
        if check.total_rows == 0:
            raise _Stop(RegisterError("no_rows", reader.line))
    except _Stop as stop:
        check.file_error = stop.error
    check.sha256 = reader.finish_hash()
    check.bytes = reader.bytes
    return check


def _stream_size(stream: BinaryIO) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


@dataclass
class ImportResult:
    """The import's record plus the errors to show (empty when it completed)."""

    record: RegisterImport
    errors: list[RegisterError]
    error_count: int

    @property
    def ok(self) -> bool:
        """True when the register was changed."""
        return self.record.status == ImportStatus.COMPLETED

    @property
    def omitted(self) -> int:
        """Errors counted but not listed (beyond the reporting cap)."""
        return self.error_count - len(self.errors)


def import_register(
    stream: BinaryIO, file_name: str, actor: Any, *, progress: Progress | None = None
) -> ImportResult:
    """Check the whole file, then apply it; a bad file changes nothing but the import history.

    The import is one state change of the register, so it writes ONE audit row with the
    counts ("register.imported"), not one per person. Flushes; the caller commits.
    """
    settings = ImportSettings.from_app()
    record = RegisterImport(
        started_at=clock.now(),
        actor_id=getattr(actor, "id", None),
        file_name=file_name[:255],
        status=ImportStatus.REJECTED,
    )
    size = _stream_size(stream)
    if size > settings.max_bytes:
        mb = {"size_mb": size // 2**20, "limit_mb": settings.max_bytes // 2**20}
        return _reject(
            record, actor, FileCheck(file_error=RegisterError("too_large", params=mb), bytes=size)
        )
    check = check_file(stream, settings, progress)
    if not check.ok:
        return _reject(record, actor, check)
    stream.seek(0)
    _apply(stream, settings, record, check, progress)
    audit.record(actor, "register.imported", record, after=record.counts())
    db.session.flush()
    return ImportResult(record, [], 0)


def _fill(record: RegisterImport, check: FileCheck) -> None:
    record.file_sha256 = check.sha256
    record.file_bytes = check.bytes
    record.total_rows = check.total_rows
    record.finished_at = clock.now()


def _reject(record: RegisterImport, actor: Any, check: FileCheck) -> ImportResult:
    """Record a refused file (no person is touched) and return its errors."""
    _fill(record, check)
    if check.file_error is not None:
        errors, count = [check.file_error], 1
    else:
        errors, count = check.errors.errors, check.errors.count
    record.error_count = count
    db.session.add(record)
    db.session.flush()
    after = {"error_count": count, "first_error": errors[0].code, "file_bytes": record.file_bytes}
    audit.record(actor, "register.import_rejected", record, after=after)
    return ImportResult(record, errors, count)


def _staging_rows(
    stream: BinaryIO, settings: ImportSettings, progress: Progress | None
) -> tuple[_LineReader, Iterator[dict[str, Any]]]:
    reader = _LineReader(stream, progress)

    def rows() -> Iterator[dict[str, Any]]:
        key = settings.key
        for _line, row in _records(reader, settings):
            if isinstance(row, RegisterError):  # the file changed since pass 1
                raise Conflict(row.message)
            extra = (
                json.dumps(row.extra, sort_keys=True, separators=(",", ":")) if row.extra else "{}"
            )
            yield {
                "register_key": register_key(row.register_id, key),
                "household_key": household_key(row.household_id, key),
                "birth_year": row.birth_year,
                "gender": row.gender,
                "area": row.area,
                "extra": extra,
                "status": row.status,
            }

    return reader, rows()


def _apply(
    stream: BinaryIO,
    settings: ImportSettings,
    record: RegisterImport,
    check: FileCheck,
    progress: Progress | None,
) -> None:
    """Pass 2: stage the rows in batches, then merge them into the register."""
    _fill(record, check)
    record.status = ImportStatus.COMPLETED
    db.session.add(record)
    db.session.flush()
    conn = db.session.connection()
    conn.exec_driver_sql("DROP TABLE IF EXISTS register_import_staging")
    _STAGING.create(conn)
    reader, rows = _staging_rows(stream, settings, progress)
    try:
        while batch := list(itertools.islice(rows, BATCH_SIZE)):
            conn.execute(insert(_STAGING), batch)
    except _Stop as stop:
        raise Conflict(stop.error.message) from None
    if reader.sha256.hexdigest() != check.sha256:
        raise Conflict(_changed_message())
    _merge(conn, record)
    _STAGING.drop(conn)
    record.finished_at = clock.now()


def _changed_message() -> str:
    from flask_babel import gettext

    return gettext("The file changed while it was being imported. Nothing was imported.")


def _merge(conn: Any, record: RegisterImport) -> None:
    """Set-based merge of the staging table; fills the record's counts."""
    person, staging, now = RegisterPerson.__table__, _STAGING, clock.now()
    stamp = {"last_import_id": record.id, "updated_at": now}
    differs = or_(*(person.c[name] != staging.c[name] for name in _COPIED))
    changed = conn.execute(
        update(person)
        .where(person.c.register_key == staging.c.register_key, differs)
        .values({**{name: staging.c[name] for name in _COPIED}, **stamp})
    )
    in_file = select(literal(1)).where(staging.c.register_key == person.c.register_key).exists()
    absent = conn.execute(
        update(person)
        .where(person.c.status.in_([RegisterStatus.ACTIVE, RegisterStatus.INELIGIBLE]), ~in_file)
        .values({"status": RegisterStatus.ABSENT, **stamp})
    )
    known = select(literal(1)).where(person.c.register_key == staging.c.register_key).exists()
    columns = ["register_key", *_COPIED]
    source = select(
        *(staging.c[name] for name in columns),
        literal(record.id).label("first_import_id"),
        literal(record.id).label("last_import_id"),
        literal(now, UTCDateTime()).label("updated_at"),
    ).where(~known)
    targets = [*columns, "first_import_id", "last_import_id", "updated_at"]
    # SQLAlchemy 2.1 reports an INSERT's rowcount only when asked to (else -1 on psycopg).
    added = conn.execute(
        insert(person).from_select(targets, source), execution_options={"preserve_rowcount": True}
    )
    record.updated, record.marked_absent, record.added = (
        changed.rowcount,
        absent.rowcount,
        added.rowcount,
    )
    record.unchanged = record.total_rows - record.added - record.updated


def register_stats() -> dict[str, list[tuple[str, int]]]:
    """Counts of people by status and by area (area only for people not absent)."""
    by_status = db.session.execute(
        select(RegisterPerson.status, func.count())
        .group_by(RegisterPerson.status)
        .order_by(RegisterPerson.status)
    ).all()
    by_area = db.session.execute(
        select(RegisterPerson.area, func.count())
        .where(RegisterPerson.status == RegisterStatus.ACTIVE)
        .group_by(RegisterPerson.area)
        .order_by(RegisterPerson.area)
    ).all()
    return {
        "status": [(str(status), int(n)) for status, n in by_status],
        "area": [(str(area), int(n)) for area, n in by_area],
    }


def import_history(limit: int = 50) -> list[RegisterImport]:
    """The latest imports, newest first."""
    return list(
        db.session.scalars(select(RegisterImport).order_by(RegisterImport.id.desc()).limit(limit))
    )
