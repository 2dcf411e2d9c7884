"""Pure rules of the register CSV: header, row validation and the messages for bad files.

Nothing here touches the database, the request or the clock: the caller passes the
current year and the configured format. Messages are lazy gettext strings so the same
error reads in Dutch on the admin page and in the language chosen on the command line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

REQUIRED_COLUMNS = ("register_id", "household_id", "birth_year", "gender", "area")
STATUS_COLUMN = "status"
MIN_BIRTH_YEAR = 1900
MAX_ID_LENGTH = 64
MAX_AREA_LENGTH = 80
MAX_EXTRA_LENGTH = 80
MAX_LINE_BYTES = 64 * 1024
MAX_REPORTED_ERRORS = 1000
# Accepted spellings (lower-cased) of the register's gender codes -> the stored value.
# Dutch registers (BRP) use V/M/O; "x" is the third option on Dutch passports.
DEFAULT_GENDERS: Mapping[str, str] = {
    "v": "female", "vrouw": "female", "f": "female", "female": "female",
    "m": "male", "man": "male", "male": "male",
    "x": "other", "o": "other", "other": "other", "anders": "other",
}  # fmt: skip
DEFAULT_EXTRA_FIELDS = ("education",)
# Statuses a file may set explicitly; absence from an extract is decided by the import.
FILE_STATUSES = ("active", "moved_away", "deceased", "ineligible")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_YEAR = re.compile(r"[0-9]{1,4}")

MESSAGES: dict[str, Any] = {
    "file_empty": _l("The file is empty."),
    "no_rows": _l("The file has a header row but no data rows."),
    "too_large": _l("The file is %(size_mb)s MB; the limit is %(limit_mb)s MB."),
    "not_utf8": _l(
        "The file is not UTF-8 encoded (byte 0x%(byte)s at line %(line)s). "
        'Save it as "CSV UTF-8" and try again.'
    ),
    "utf16": _l('The file is UTF-16 encoded. Save it as "CSV UTF-8" and try again.'),
    "binary": _l("This is not a text file: line %(line)s contains NUL bytes. Upload a CSV file."),
    "line_too_long": _l(
        "Line %(line)s is longer than %(limit)s bytes. This does not look like a register file."
    ),
    "bad_quotes": _l("Line %(line)s cannot be read as CSV: check the quotation marks."),
    "missing_columns": _l("The header row lacks the required columns: %(columns)s."),
    "unknown_columns": _l(
        "The header row has columns Civic does not know: %(columns)s. Remove them, or ask "
        "the administrator to configure them as extra fields."
    ),
    "duplicate_columns": _l("The header row names these columns more than once: %(columns)s."),
    "field_count": _l(
        "Line %(line)s has %(found)s fields instead of %(expected)s. Check the separators "
        "(%(delimiter)s) and the quotation marks."
    ),
    "missing_value": _l("Line %(line)s, column %(column)s: the value is missing."),
    "too_long": _l(
        "Line %(line)s, column %(column)s: the value is longer than %(limit)s characters."
    ),
    "control_chars": _l(
        "Line %(line)s, column %(column)s: the value contains invisible control characters."
    ),
    "year_not_number": _l('Line %(line)s, column %(column)s: "%(value)s" is not a year.'),
    "year_range": _l(
        "Line %(line)s, column %(column)s: the birth year %(value)s is not between "
        "%(low)s and %(high)s."
    ),
    "gender": _l(
        'Line %(line)s, column %(column)s: "%(value)s" is not a known gender. '
        "Use one of: %(allowed)s."
    ),
    "status": _l(
        'Line %(line)s, column %(column)s: "%(value)s" is not a known status. '
        "Use one of: %(allowed)s."
    ),
    "duplicate_id": _l(
        "Line %(line)s, column register_id: the same register id is already on line %(first)s."
    ),
}


@dataclass(frozen=True)
class RegisterError:
    """One problem: a whole file (line may be set) or one row; renders as one sentence."""

    code: str
    line: int | None = None
    column: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The plain-language sentence in the current locale."""
        values = {"line": self.line, "column": self.column, **self.params}
        return str(MESSAGES[self.code]) % values


@dataclass(frozen=True)
class RegisterFormat:
    """What a valid file looks like (from app.config)."""

    extra_fields: tuple[str, ...] = DEFAULT_EXTRA_FIELDS
    genders: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_GENDERS))


@dataclass(frozen=True)
class Header:
    """A parsed header row: the position of every known column."""

    columns: tuple[str, ...]
    index: Mapping[str, int]
    extra: tuple[str, ...]
    has_status: bool
    delimiter: str = ","


@dataclass(frozen=True)
class RegisterRow:
    """A validated row, normalised: what the import stores (ids still in clear here)."""

    register_id: str
    household_id: str
    birth_year: int
    gender: str
    area: str
    extra: Mapping[str, str]
    status: str


def choose_delimiter(header_line: str) -> str:
    """',' or ';' (Dutch Excel), whichever separates more header fields."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def parse_header(
    fields: Sequence[str], fmt: RegisterFormat, delimiter: str = ","
) -> Header | RegisterError:
    """Map the header's columns, or one error naming missing, unknown or repeated columns."""
    columns = tuple(f.strip().lower() for f in fields)
    known = {*REQUIRED_COLUMNS, STATUS_COLUMN, *fmt.extra_fields}
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        return RegisterError("duplicate_columns", 1, params={"columns": ", ".join(repeated)})
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        return RegisterError("missing_columns", 1, params={"columns": ", ".join(missing)})
    unknown = [c or '""' for c in columns if c not in known]
    if unknown:
        return RegisterError("unknown_columns", 1, params={"columns": ", ".join(unknown)})
    extra = tuple(c for c in columns if c in fmt.extra_fields)
    index = {c: i for i, c in enumerate(columns)}
    return Header(columns, index, extra, STATUS_COLUMN in index, delimiter)


def is_blank(fields: Sequence[str]) -> bool:
    """An empty line or a row of empty fields (Excel's trailing ';;;;'): carries no data."""
    return all(not f.strip() for f in fields)


def _shown(value: str) -> str:
    """A short, printable echo of a bad value (never used for ids)."""
    cleaned = _CONTROL.sub("?", value)
    return cleaned if len(cleaned) <= 20 else cleaned[:20] + "…"


def _text(value: str, column: str, line: int, limit: int, required: bool) -> RegisterError | None:
    if not value:
        return RegisterError("missing_value", line, column) if required else None
    if len(value) > limit:
        return RegisterError("too_long", line, column, {"limit": limit})
    if _CONTROL.search(value):
        return RegisterError("control_chars", line, column)
    return None


def check_birth_year(value: str, line: int, current_year: int) -> int | RegisterError:
    """An integer year between 1900 and the current year."""
    column = "birth_year"
    if not value:
        return RegisterError("missing_value", line, column)
    if not _YEAR.fullmatch(value):
        return RegisterError("year_not_number", line, column, {"value": _shown(value)})
    year = int(value)
    if not MIN_BIRTH_YEAR <= year <= current_year:
        params = {"value": value, "low": MIN_BIRTH_YEAR, "high": current_year}
        return RegisterError("year_range", line, column, params)
    return year


def check_choice(
    value: str, column: str, line: int, choices: Mapping[str, str]
) -> str | RegisterError:
    """A value from a fixed list (case-insensitive), mapped to its stored form."""
    found = choices.get(value.lower())
    if found is not None:
        return found
    if not value:
        return RegisterError("missing_value", line, column)
    code = "gender" if column == "gender" else "status"
    allowed = ", ".join(sorted(choices))
    return RegisterError(code, line, column, {"value": _shown(value), "allowed": allowed})


def _extra(fields: Sequence[str], header: Header, line: int) -> dict[str, str] | RegisterError:
    values: dict[str, str] = {}
    for name in header.extra:
        value = fields[header.index[name]].strip()
        problem = _text(value, name, line, MAX_EXTRA_LENGTH, required=False)
        if problem is not None:
            return problem
        if value:
            values[name] = value
    return values


def check_row(
    fields: Sequence[str], header: Header, line: int, current_year: int, fmt: RegisterFormat
) -> RegisterRow | RegisterError:
    """Validate one data row; the first problem found is the row's one error."""
    if len(fields) != len(header.columns):
        params: dict[str, object] = {"found": len(fields), "expected": len(header.columns)}
        params["delimiter"] = f'"{header.delimiter}"'
        return RegisterError("field_count", line, None, params)
    get = {c: fields[i].strip() for c, i in header.index.items() if c in REQUIRED_COLUMNS}
    for column, limit in (("register_id", MAX_ID_LENGTH), ("household_id", MAX_ID_LENGTH)):
        if problem := _text(get[column], column, line, limit, required=True):
            return problem
    year = check_birth_year(get["birth_year"], line, current_year)
    gender = check_choice(get["gender"], "gender", line, fmt.genders)
    area_problem = _text(get["area"], "area", line, MAX_AREA_LENGTH, required=True)
    extra = _extra(fields, header, line)
    status = _status(fields, header, line)
    for result in (year, gender, area_problem, extra, status):
        if isinstance(result, RegisterError):
            return result
    assert isinstance(year, int) and isinstance(gender, str)
    assert isinstance(extra, dict) and isinstance(status, str)
    return RegisterRow(
        get["register_id"], get["household_id"], year, gender, get["area"], extra, status
    )


def _status(fields: Sequence[str], header: Header, line: int) -> str | RegisterError:
    """The explicit status column; empty or absent means active."""
    if not header.has_status:
        return "active"
    value = fields[header.index[STATUS_COLUMN]].strip()
    if not value:
        return "active"
    return check_choice(value, STATUS_COLUMN, line, {s: s for s in FILE_STATUSES})


@dataclass
class ErrorList:
    """Row errors, keeping the first `limit` and counting all."""

    limit: int = MAX_REPORTED_ERRORS
    errors: list[RegisterError] = field(default_factory=list)
    count: int = 0

    def add(self, error: RegisterError) -> None:
        """Count an error; keep it if still under the limit."""
        self.count += 1
        if len(self.errors) < self.limit:
            self.errors.append(error)

    @property
    def omitted(self) -> int:
        """How many errors were counted but not kept."""
        return self.count - len(self.errors)
