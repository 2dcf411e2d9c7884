"""Bad files for every import: the register upload (page and service) and the sortition
command's features.csv / people.csv. A bad file gets exactly one clear message per bad row
(or one for the whole file) and imports nothing."""

from __future__ import annotations

import contextlib
import csv
import io
import random
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from civic.accounts.models import Role
from civic.extensions import db
from panels.models import RegisterImport, RegisterPerson
from panels.register_rules import MAX_LINE_BYTES
from sortition.cli import main as sortition_main
from tests.fuzz.support import BIDI, FORMULAS, hostile_text
from tests.panels.register_support import HEADER, csv_bytes, people, person_count, run_import
from tests.support import csrf_token

ROWS = 12
# (kind, how to spoil a row: (row, line) -> row, the error code, the column it names)
SPOILERS: dict[str, tuple[Callable[[list[str]], list[str]], str, str | None]] = {
    "control": (lambda r: [*r[:4], "Wijk\x07 1", *r[5:]], "control_chars", "area"),
    "too_long": (lambda r: [*r[:4], "W" * 5000, *r[5:]], "too_long", "area"),
    "year_text": (lambda r: [*r[:2], "19x0", *r[3:]], "year_not_number", "birth_year"),
    "year_range": (lambda r: [*r[:2], "1776", *r[3:]], "year_range", "birth_year"),
    "gender": (lambda r: [*r[:3], "q", *r[4:]], "gender", "gender"),
    "missing_id": (lambda r: ["", *r[1:]], "missing_value", "register_id"),
    "extra_field": (lambda r: [*r, "surplus"], "field_count", None),
    "too_few": (lambda r: r[:-1], "field_count", None),
}


@pytest.fixture()
def admin_client(app: Flask, client: FlaskClient, make_user: Any, login: Any) -> FlaskClient:
    login(client, make_user(Role.ADMIN))
    with client.session_transaction() as session:
        session["lang"] = "en"
    return client


def _imports(status: str | None = None) -> int:
    query = select(func.count()).select_from(RegisterImport)
    if status:
        query = query.where(RegisterImport.status == status)
    return int(db.session.scalar(query) or 0)


def _english(error: Any) -> str:
    with force_locale("en"):
        return str(error.message)


def _lines_of(errors: list[Any]) -> list[int]:
    return sorted(e.line for e in errors)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    spoilt=st.dictionaries(
        st.integers(0, ROWS - 1), st.sampled_from(sorted(SPOILERS)), min_size=1, max_size=4
    ),
    separator=st.sampled_from([",", ";"]),
)
def test_one_message_per_bad_row_and_nothing_imported(
    app: Flask, spoilt: dict[int, str], separator: str
) -> None:
    before = person_count()
    rows = [[str(v) for v in row] for row in people(ROWS)]
    for index, kind in spoilt.items():
        rows[index] = SPOILERS[kind][0](rows[index])
    result = run_import(csv_bytes(rows, sep=separator))
    assert not result.ok
    assert person_count() == before
    assert _lines_of(result.errors) == sorted(i + 2 for i in spoilt)  # line 1 is the header
    for error in result.errors:
        kind = spoilt[error.line - 2]
        assert error.code == SPOILERS[kind][1], (kind, error.code)
        if SPOILERS[kind][2]:
            assert error.column == SPOILERS[kind][2]
        assert f"Line {error.line}" in _english(error)


@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.sampled_from(FORMULAS) | st.text(BIDI + "=+-@abc", min_size=1, max_size=12))
def test_formula_and_bidi_cells_are_either_refused_or_stored_verbatim(
    app: Flask, text: str
) -> None:
    """A cell starting with = + - @ is data, not a formula: stored as is (exports neutralise it,
    see test_csv_exports.py) or refused with a message that names line and column."""
    rows = [[str(v) for v in row] for row in people(3)]
    rows[1][4] = text
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([list(HEADER), *rows])
    before = person_count()
    result = run_import(buffer.getvalue().encode())
    if result.ok:  # the same three register ids every time: imported, then updated
        assert person_count() == 3
        areas = set(db.session.scalars(select(RegisterPerson.area)))
        assert text in areas or text.strip() in areas
    else:
        assert person_count() == before
        # A CR inside a quoted cell is refused as unreadable CSV (no column named).
        assert [e.line for e in result.errors] == [3]
        assert result.errors[0].column in ("area", None)


def _file_error(data: bytes) -> Any:
    before, refused = person_count(), _imports("rejected")
    result = run_import(data)
    assert not result.ok
    assert person_count() == before
    assert _imports("rejected") == refused + 1
    assert len(result.errors) == 1 and result.error_count == 1
    return result.errors[0]


def _zip_bomb(path: Path, megabytes: int = 200) -> bytes:
    """A small zip that inflates to `megabytes` of zeros (built by streaming, never held)."""
    chunk = b"\0" * (1 << 20)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("register.csv", "w", force_zip64=True) as member,
    ):
        for _ in range(megabytes):
            member.write(chunk)
    return path.read_bytes()


def _zipped_csv(path: Path) -> bytes:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("register.csv", csv_bytes(people(5)))
    return path.read_bytes()


FILE_CASES: dict[str, tuple[Callable[[Path], bytes], str, int | None]] = {
    "utf16": (lambda p: csv_bytes(people(3)).decode().encode("utf-16"), "utf16", None),
    "utf16 without BOM": (lambda p: csv_bytes(people(3)).decode().encode("utf-16-le"), "binary", 1),
    "latin1 é": (
        lambda p: (
            csv_bytes([*people(3), ("R9", "H9", 1980, "v", "Café", "mbo")])
            .decode()
            .encode("latin-1")
        ),
        "not_utf8",
        5,
    ),
    "NUL on line 3": (lambda p: csv_bytes(people(3)).replace(b"R2", b"R\x002"), "binary", 3),
    "long line": (
        lambda p: csv_bytes(people(2)) + b"R9,H9,1980,v," + b"x" * MAX_LINE_BYTES + b",mbo\n",
        "line_too_long",
        4,
    ),
    "zip of a csv": (lambda p: _zipped_csv(p / "r.zip"), "binary", None),
    "zip bomb": (lambda p: _zip_bomb(p / "bomb.zip"), "binary", None),
    "empty": (lambda p: b"", "file_empty", None),
    "only blank lines": (lambda p: b"\n\r\n  \n", "file_empty", None),
    "header only": (lambda p: ",".join(HEADER).encode() + b"\n", "no_rows", None),
    "unclosed quote": (lambda p: csv_bytes(people(2)) + b'R9,"H9,1980,v,W,mbo\n', "bad_quotes", 4),
    "unknown column": (
        lambda p: csv_bytes(people(2), header=(*HEADER, "=cmd|' /C calc'!A0")),
        "unknown_columns",
        None,
    ),
}


@pytest.mark.parametrize("case", sorted(FILE_CASES))
def test_bad_file_gets_one_message(app: Flask, tmp_path: Path, case: str) -> None:
    build, code, line = FILE_CASES[case]
    error = _file_error(build(tmp_path))
    assert error.code == code
    if line is not None:
        assert error.line == line
        assert f"line {line}" in _english(error).lower()


def test_bom_is_accepted(app: Flask) -> None:
    result = run_import(b"\xef\xbb\xbf" + csv_bytes(people(4)))
    assert result.ok and person_count() == 4


def _upload(client: FlaskClient, data: bytes | Path, name: str = "register.csv") -> Any:
    """Post the file as a browser does (the multipart body is encoded here, in memory)."""
    token = csrf_token(client, "/panels/register")
    content = data.read_bytes() if isinstance(data, Path) else data
    boundary, body = encode_multipart(
        {"csrf_token": token, "file": FileStorage(io.BytesIO(content), name, "file")}
    )
    return client.post(
        "/panels/register",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _messages(page: str) -> list[str]:
    """The error sentences of the register page (one list item each)."""
    listed = re.search(r'<ul class="import-errors">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", listed.group(1), re.S) if listed else []


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("garbage", ("not UTF-8", "not a text file", "longer than")),
        ("zip bomb", ("not a text file",)),
        ("latin1", ("not UTF-8 encoded (byte 0xe9 at line 2)",)),
    ],
)
def test_upload_page_refuses_bad_files_with_one_message(
    admin_client: FlaskClient, tmp_path: Path, case: str, expected: tuple[str, ...]
) -> None:
    if case == "garbage":
        data: bytes | Path = tmp_path / "garbage.csv"
        # Fixed garbage (seeded), so a failure reproduces byte for byte.
        generator = random.Random(2026)  # test data only, never a draw
        with data.open("wb") as out:
            for _ in range(50):
                out.write(generator.randbytes(1 << 20))
    elif case == "zip bomb":
        data = _zip_bomb(tmp_path / "bomb.zip")
    else:
        data = b"register_id,household_id,birth_year,gender,area,education\n"
        data += "R1,H1,1980,v,Café,mbo\n".encode("latin-1")
    before = person_count()
    response = _upload(admin_client, data)
    page = response.get_data(as_text=True)
    response.close()
    assert response.status_code == 422
    assert person_count() == before
    main = page[page.find("<main") :]
    assert any(text in page for text in expected), main[:3000]
    assert len(_messages(page)) == 1, _messages(page)


def test_upload_page_refuses_a_file_over_the_limit(app: Flask, admin_client: FlaskClient) -> None:
    app.config["REGISTER_MAX_BYTES"] = 1 << 20
    response = _upload(admin_client, csv_bytes(people(3)) + b"#" * (2 << 20))
    assert response.status_code == 422
    assert "the limit is 1 MB" in response.get_data(as_text=True)
    assert person_count() == 0


def test_upload_page_with_no_file_names_the_field(admin_client: FlaskClient) -> None:
    token = csrf_token(admin_client, "/panels/register")
    response = admin_client.post("/panels/register", data={"csrf_token": token})
    assert response.status_code == 422
    assert "field--error" in response.get_data(as_text=True)
    assert person_count() == 0


# --- the sortition command's files ---------------------------------------------------------

FEATURES = "feature,value,min,max\ngender,f,1,3\ngender,m,1,3\n"


def _people_csv(rows: list[str]) -> str:
    return "pid,gender,street\n" + "\n".join(rows) + "\n"


GOOD_PEOPLE = [f"p{i},{'fm'[i % 2]},street {i}" for i in range(8)]
# (file, content, line, column) of a broken input and where the error must point.
SORTITION_CASES: dict[str, tuple[str, str, int, int]] = {
    "min not a number": ("features", FEATURES.replace("f,1,3", "f,one,3"), 2, 3),
    "max below min": ("features", FEATURES.replace("m,1,3", "m,3,1"), 3, 4),
    "negative": ("features", FEATURES.replace("m,1,3", "m,-1,3"), 3, 3),
    "formula in min": ("features", FEATURES.replace("f,1,3", "f,=1+1,3"), 2, 3),
    "empty cell": ("features", FEATURES.replace("gender,m", ",m"), 3, 1),
    "duplicate quota": ("features", FEATURES + "gender,f,0,1\n", 4, 2),
    "short line": ("features", FEATURES + "gender\n", 4, 2),
    "no such column": ("features", FEATURES.replace("max", "maximum"), 1, 5),
    "unknown value": ("people", _people_csv([*GOOD_PEOPLE, "p9,x,street 9"]), 10, 2),
    "duplicate id": ("people", _people_csv([*GOOD_PEOPLE, "p1,f,street 9"]), 10, 1),
    "empty id": ("people", _people_csv([*GOOD_PEOPLE[:3], ",f,street 9", *GOOD_PEOPLE[3:]]), 5, 1),
    "short row": ("people", _people_csv([*GOOD_PEOPLE[:2], "p9", *GOOD_PEOPLE[2:]]), 4, 2),
    "latin1 é": ("people", _people_csv([*GOOD_PEOPLE, "p9,f,Café"]), 10, 3),
}


def _sortition_files(tmp_path: Path, broken: str, content: str) -> tuple[Path, Path]:
    features, people_file = tmp_path / "features.csv", tmp_path / "people.csv"
    features.write_text(FEATURES)
    people_file.write_text(_people_csv(GOOD_PEOPLE))
    target = features if broken == "features" else people_file
    encoding = "latin-1" if "é" in content else "utf-8"
    target.write_bytes(content.encode(encoding))
    return features, people_file


def _select(features: Path, people_file: Path, tmp_path: Path) -> list[str]:
    return [
        "select", "--features", str(features), "--people", str(people_file),
        "--id-column", "pid", "--household-columns", "street",
        "--report", str(tmp_path / "report.json"), "--size", "4", "--lottery-size", "10",
    ]  # fmt: skip


# Errors that do not point at the right line yet: case -> finding (told to the lead).
SORTITION_KNOWN: dict[str, str] = {
    "latin1 é": "sortition/csvfiles.py _rows: a UnicodeDecodeError is reported at line 1, "
    "column 1 ('cannot be read: ...'), not at the line and column of the bad byte.",
}


@pytest.mark.parametrize("case", sorted(SORTITION_CASES))
def test_sortition_files_errors_name_file_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    broken, content, line, column = SORTITION_CASES[case]
    features, people_file = _sortition_files(tmp_path, broken, content)
    assert sortition_main(_select(features, people_file, tmp_path)) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert f"{broken}.csv" in err
    located = f"line {line}, column {column}" in err
    if case in SORTITION_KNOWN:
        assert not located, f"fixed: drop {case!r} from SORTITION_KNOWN"
        assert "line 1, column 1" in err
    else:
        assert located, err
    assert not (tmp_path / "report.json").exists()


def test_sortition_command_exits_1_on_a_broken_file(tmp_path: Path) -> None:
    features, people_file = _sortition_files(tmp_path, "features", FEATURES + "gender,f,0,x\n")
    done = subprocess.run(
        [sys.executable, "-m", "sortition", *_select(features, people_file, tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 1
    assert "features.csv, line 4, column 4" in done.stderr


@settings(max_examples=40, deadline=None, database=None)
@given(
    broken=st.sampled_from(["features", "people"]),
    line=st.integers(0, 8),
    column=st.integers(0, 3),
    text=hostile_text().filter(lambda t: len(t) < 2000),
)
def test_sortition_survives_any_cell(broken: str, line: int, column: int, text: str) -> None:
    """Any text in any cell: exit 0 (still valid), 1 (located error) or 2 (infeasible),
    never a traceback; a located error names the file and a line and column."""
    import tempfile

    source = FEATURES if broken == "features" else _people_csv(GOOD_PEOPLE)
    rows = [r.split(",") for r in source.splitlines()]
    row = rows[min(line, len(rows) - 1)]
    row[min(column, len(row) - 1)] = text
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        features, people_file = _sortition_files(tmp, broken, "")
        target = features if broken == "features" else people_file
        target.write_text(buffer.getvalue(), encoding="utf-8")
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = sortition_main(_select(features, people_file, tmp))
    assert code in (0, 1, 2)
    if code == 1:
        # A broken feature value may surface as a missing column of people.csv.
        located = r"(features|people)\.csv, line \d+, column \d+: "
        assert re.search(located, err.getvalue()), err.getvalue()
