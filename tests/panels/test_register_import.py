"""The register import service: good files, re-imports, and every kind of bad file."""

from __future__ import annotations

import hmac
import io
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import func, select

from civic.audit.models import AuditEntry
from civic.errors import Conflict
from civic.extensions import db
from panels.models import ImportStatus, RegisterImport, RegisterPerson, RegisterStatus
from panels.register import household_key, import_register, register_key
from tests.panels.register_support import (
    HEADER,
    csv_bytes,
    people,
    person_count,
    run_import,
    snapshot,
)


@pytest.fixture(autouse=True)
def english(app: Flask) -> Iterator[None]:
    """Messages in English (outside a request the CLI chooses the language the same way)."""
    with force_locale("en"):
        yield


def _person(app: Flask, register_id: str) -> RegisterPerson:
    key = register_key(register_id, app.config["REGISTER_HMAC_KEY"].encode())
    found = db.session.scalar(select(RegisterPerson).where(RegisterPerson.register_key == key))
    assert found is not None
    return found


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_good_import(app: Flask) -> None:
    result = run_import(csv_bytes(people(10)))
    assert result.ok and result.errors == []
    record = result.record
    assert (record.total_rows, record.added, record.updated, record.unchanged) == (10, 10, 0, 0)
    assert record.status == ImportStatus.COMPLETED and record.finished_at is not None
    assert person_count() == 10
    first = _person(app, "R1")
    assert (first.birth_year, first.gender, first.area) == (1951, "male", "Wijk 1")
    assert first.extra == '{"education":"mbo"}' and first.status == RegisterStatus.ACTIVE
    assert first.household_key == household_key("H0", b"test-register-key")
    assert first.first_import_id == first.last_import_id == record.id
    # One audit row for the whole import, with the counts.
    (entry,) = _audit("register.imported")
    assert '"added":10' in entry.after and entry.actor_label == "test"


def test_semicolons_bom_crlf_and_blank_lines(app: Flask) -> None:
    data = (
        b"\xef\xbb\xbf" + csv_bytes(people(3), sep=";").replace(b"\n", b"\r\n") + b";;;;;\r\n\r\n"
    )
    result = run_import(data)
    assert result.ok, [e.message for e in result.errors]
    assert person_count() == 3


def test_reimport_updates_without_deleting(app: Flask) -> None:
    run_import(csv_bytes(people(5)))
    ids = {r: _person(app, r).id for r in ("R1", "R2", "R3", "R4", "R5")}
    header = (*HEADER, "status")
    rows = [
        ("R1", "H0", 1951, "m", "Wijk 1", "mbo", "moved_away"),
        ("R2", "H1", 1952, "x", "Wijk 2", "mbo", "deceased"),
        ("R4", "H2", 1954, "m", "Wijk 0", "mbo", ""),  # unchanged
        ("R5", "H9", 1955, "v", "Wijk 3", "hbo", "ineligible"),  # moved house, new education
        ("R6", "H7", 2000, "v", "Wijk 3", "", "active"),  # new
    ]
    second = run_import(csv_bytes(rows, header)).record
    assert (second.added, second.updated, second.unchanged, second.marked_absent) == (1, 3, 1, 1)
    assert person_count() == 6  # nobody deleted
    status = {r: _person(app, r).status for r in ("R1", "R2", "R3", "R4", "R5", "R6")}
    assert status == {
        "R1": RegisterStatus.MOVED_AWAY, "R2": RegisterStatus.DECEASED,
        "R3": RegisterStatus.ABSENT, "R4": RegisterStatus.ACTIVE,
        "R5": RegisterStatus.INELIGIBLE, "R6": RegisterStatus.ACTIVE,
    }  # fmt: skip
    assert all(_person(app, r).id == i for r, i in ids.items())  # history keeps pointing right
    assert _person(app, "R4").last_import_id != second.id  # unchanged rows are not rewritten
    assert _person(app, "R5").extra == '{"education":"hbo"}'
    # R3 comes back: active again; the already-absent and moved people stay as they are.
    third = run_import(csv_bytes([("R3", "H1", 1953, "v", "Wijk 3", "mbo")])).record
    assert _person(app, "R3").status == RegisterStatus.ACTIVE
    assert _person(app, "R1").status == RegisterStatus.MOVED_AWAY
    assert third.marked_absent == 3  # R4, R5 (ineligible) and R6
    assert len(_audit("register.imported")) == 3


def test_only_the_hmac_is_stored(app: Flask) -> None:
    secret = "BSN-ZZ-4711-QX"
    rows = [(secret, "ADDR-QQ-99", 1970, "v", "Centrum", "")]
    run_import(csv_bytes(rows))
    stored = _person(app, secret).register_key
    expected = hmac.new(b"test-register-key", secret.encode(), "sha256").hexdigest()
    assert stored == expected and len(stored) == 64
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///"):
        db.session.close()
        db.engine.dispose()  # checkpoint-free: read the main file and the WAL as they are
        base = Path(url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in base.parent.glob(base.name + "*"))
        assert secret.encode() not in raw and b"ADDR-QQ-99" not in raw
        assert stored.encode() in raw


# ---- bad files: one clear message per bad row or per file, and nothing imported ----


@pytest.fixture()
def existing(app: Flask) -> list[tuple[object, ...]]:
    """A register with people in it, so 'nothing imported' also means 'nothing changed'."""
    run_import(csv_bytes(people(4)))
    return snapshot()


def _refused(data: bytes, existing: list[tuple[object, ...]]) -> list[str]:
    result = run_import(data)
    assert not result.ok and result.record.status == ImportStatus.REJECTED
    assert snapshot() == existing
    assert len(_audit("register.import_rejected")) == 1
    return [e.message for e in result.errors]


def test_missing_column(existing: list[tuple[object, ...]]) -> None:
    data = csv_bytes([r[:4] for r in people(3)], HEADER[:4])
    assert _refused(data, existing) == ["The header row lacks the required columns: area."]


def test_unknown_column_is_not_silently_dropped(existing: list[tuple[object, ...]]) -> None:
    data = csv_bytes([(*r, "42") for r in people(3)], (*HEADER, "shoe_size"))
    (message,) = _refused(data, existing)
    assert "Civic does not know: shoe_size" in message


def test_impossible_birth_years(existing: list[tuple[object, ...]]) -> None:
    rows = people(5, start=10)
    rows[1] = ("R11", "H5", 1850, "v", "Noord", "")
    rows[3] = ("R13", "H6", 2999, "v", "Noord", "")
    rows[4] = ("R14", "H6", "abc", "v", "Noord", "")
    assert _refused(csv_bytes(rows), existing) == [
        "Line 3, column birth_year: the birth year 1850 is not between 1900 and "
        f"{time.gmtime().tm_year}.",
        "Line 5, column birth_year: the birth year 2999 is not between 1900 and "
        f"{time.gmtime().tm_year}.",
        'Line 6, column birth_year: "abc" is not a year.',
    ]


def test_duplicate_id_names_both_lines(existing: list[tuple[object, ...]]) -> None:
    rows = [*people(3, start=20), ("R21", "H99", 1990, "m", "Zuid", "")]
    assert _refused(csv_bytes(rows), existing) == [
        "Line 5, column register_id: the same register id is already on line 3."
    ]


def test_wrong_encoding_latin1(existing: list[tuple[object, ...]]) -> None:
    data = csv_bytes(people(2)) + "R9,H9,1980,v,Zoë,\n".encode("latin-1")
    assert _refused(data, existing) == [
        'The file is not UTF-8 encoded (byte 0xeb at line 4). Save it as "CSV UTF-8" and try again.'
    ]


def test_wrong_encoding_utf16(existing: list[tuple[object, ...]]) -> None:
    data = csv_bytes(people(2)).decode().encode("utf-16")
    assert _refused(data, existing) == [
        'The file is UTF-16 encoded. Save it as "CSV UTF-8" and try again.'
    ]


def test_empty_file_and_header_only(existing: list[tuple[object, ...]]) -> None:
    assert _refused(b"", existing) == ["The file is empty."]
    result = run_import(b"\n \n" + csv_bytes([]))
    assert [e.message for e in result.errors] == ["The file has a header row but no data rows."]
    assert snapshot() == existing


def test_unclosed_quote(existing: list[tuple[object, ...]]) -> None:
    data = csv_bytes(people(2)) + b'R8,"H8,1980,v,Noord,\nR9,H9,1980,v,Noord,\n'
    assert _refused(data, existing) == ["Line 4 cannot be read as CSV: check the quotation marks."]


def test_too_large(app: Flask, existing: list[tuple[object, ...]]) -> None:
    app.config["REGISTER_MAX_BYTES"] = 3 * 2**20
    data = csv_bytes(people(1)) + b"#" * (4 * 2**20)
    assert _refused(data, existing) == ["The file is 4 MB; the limit is 3 MB."]


def test_fifty_megabytes_of_garbage_fail_fast(
    tmp_path: Path, existing: list[tuple[object, ...]]
) -> None:
    path = tmp_path / "garbage.csv"
    rng = random.Random(50)
    with path.open("wb") as handle:
        for _ in range(50):
            handle.write(rng.randbytes(2**20))
    started = time.perf_counter()
    with path.open("rb") as stream:
        result = import_register(stream, path.name, "test")
    db.session.commit()
    assert time.perf_counter() - started < 5
    assert [e.code for e in result.errors] in (["binary"], ["not_utf8"])
    assert result.error_count == 1 and result.record.file_bytes == 50 * 2**20
    assert snapshot() == existing


def test_many_bad_rows_are_capped(existing: list[tuple[object, ...]]) -> None:
    rows = [(f"X{i}", "H", 1980, "?", "Noord", "") for i in range(1200)]
    result = run_import(csv_bytes(rows))
    assert len(result.errors) == 1000 and result.error_count == 1200 and result.omitted == 200
    assert result.errors[0].message.startswith('Line 2, column gender: "?" is not a known gender.')
    assert snapshot() == existing


def test_history_records_refusals(existing: list[tuple[object, ...]]) -> None:
    run_import(b"", name="empty.csv")
    latest = db.session.scalars(select(RegisterImport).order_by(RegisterImport.id.desc())).first()
    assert latest is not None and latest.file_name == "empty.csv"
    assert latest.status == ImportStatus.REJECTED and latest.error_count == 1


class EditedMidImport(io.BytesIO):
    """Gives pass 1 the checked file and pass 2 a different one (edited on disk meanwhile)."""

    def __init__(self, first: bytes, second: bytes) -> None:
        super().__init__(first)
        self.second: bytes | None = second
        self.was_read = False

    def readline(self, size: int | None = -1) -> bytes:
        self.was_read = True
        return super().readline(size)

    def seek(self, pos: int, whence: int = 0) -> int:
        if self.was_read and self.second is not None:
            self.truncate(0)
            super().seek(0)
            self.write(self.second)
            self.second = None
        return super().seek(pos, whence)


def test_failure_while_writing_rolls_everything_back(app: Flask) -> None:
    run_import(csv_bytes(people(3)))
    before = snapshot()
    stream = EditedMidImport(csv_bytes(people(6)), csv_bytes(people(7)))
    with pytest.raises(Conflict):
        import_register(stream, "changed.csv", "test")
    db.session.rollback()
    assert snapshot() == before
    assert len(_audit("register.imported")) == 1
    assert db.session.scalar(select(func.count()).select_from(RegisterImport)) == 1
