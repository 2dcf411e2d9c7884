"""Reading the CSV files people already use with sortition-algorithms or Panelot.

Errors name the file, the line (1 = header) and the column.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

from sortition.errors import InvalidInput
from sortition.model import Person, Quota


class CsvError(InvalidInput):
    """A problem in an input file, located by file, line and column."""

    code = "bad_file"

    def __init__(self, path: Path, line: int, column: int, message: str) -> None:
        self.path, self.line, self.column = path, line, column
        super().__init__(f"{path}, line {line}, column {column}: {message}")


# Spreadsheets run cells that start with these as formulas (CSV injection). Writers that
# publish pool and quota files prefix such a cell with an apostrophe; reading drops it
# again, so the values (and the pool hash) are the same as before the escape.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_ESCAPED = (*FORMULA_STARTS, "'")


def escape_cell(value: str) -> str:
    """The cell as written to a CSV file meant for people with spreadsheets. A value that
    starts with an apostrophe gets one more, so `unescape_cell` restores every value."""
    return "'" + value if value.startswith(_ESCAPED) else value


def unescape_cell(value: str) -> str:
    """Undo `escape_cell` (a file written by another tool is read as it is, unless a cell
    starts with an apostrophe followed by a formula character or a second apostrophe)."""
    return value[1:] if value.startswith("'") and value[1:].startswith(_ESCAPED) else value


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = [[unescape_cell(cell.strip()) for cell in row] for row in csv.reader(handle)]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CsvError(path, 1, 1, f"cannot be read: {error}") from error
    if not rows:
        raise CsvError(path, 1, 1, "the file is empty; a header line is needed.")
    return rows[0], rows[1:]


def _column(path: Path, header: list[str], name: str) -> int:
    lowered = [h.lower() for h in header]
    if name.lower() not in lowered:
        raise CsvError(path, 1, len(header) + 1, f"the header has no column '{name}'.")
    return lowered.index(name.lower())


def _whole(path: Path, line: int, col: int, name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise CsvError(path, line, col + 1, f"{name} '{text}' is not a whole number.") from None
    if value < 0:
        raise CsvError(path, line, col + 1, f"{name} {value} is negative.")
    return value


def read_features(path: Path) -> list[Quota]:
    """Quotas from a CSV with the columns feature,value,min,max (other columns ignored)."""
    header, rows = _rows(path)
    cols = [_column(path, header, name) for name in ("feature", "value", "min", "max")]
    quotas: list[Quota] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in enumerate(rows, start=2):
        if not any(row):
            continue
        if len(row) <= max(cols):
            raise CsvError(path, line, len(row) + 1, "the line has too few columns.")
        feature, value = row[cols[0]], row[cols[1]]
        for col, text in ((cols[0], feature), (cols[1], value)):
            if not text:
                raise CsvError(path, line, col + 1, "this cell must not be empty.")
        low = _whole(path, line, cols[2], "min", row[cols[2]])
        high = _whole(path, line, cols[3], "max", row[cols[3]])
        if high < low:
            raise CsvError(path, line, cols[3] + 1, f"max {high} is below min {low}.")
        if (feature, value) in seen:
            raise CsvError(
                path,
                line,
                cols[1] + 1,
                f"{feature}={value} is already on line {seen[(feature, value)]}.",
            )
        seen[(feature, value)] = line
        quotas.append(Quota(feature, value, low, high))
    return quotas


def read_people(
    path: Path,
    quotas: Sequence[Quota],
    id_column: str = "id",
    household_columns: Sequence[str] = (),
) -> list[Person]:
    """People from a CSV: an id column, one column per quota feature, extra columns ignored.

    With `household_columns`, people whose values in those columns are all equal form a
    household (for example street and postcode).
    """
    header, rows = _rows(path)
    id_col = _column(path, header, id_column)
    features = sorted({q.feature for q in quotas})
    values = {(q.feature, q.value) for q in quotas}
    feature_cols = {f: _column(path, header, f) for f in features}
    house_cols = [_column(path, header, c) for c in household_columns]
    people: list[Person] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        if not any(row):
            continue
        if len(row) < len(header):
            raise CsvError(path, line, len(row) + 1, "the line has too few columns.")
        pid = row[id_col]
        if not pid:
            raise CsvError(path, line, id_col + 1, "the id must not be empty.")
        if pid in seen:
            raise CsvError(path, line, id_col + 1, f"id {pid} is already on line {seen[pid]}.")
        seen[pid] = line
        for f, col in feature_cols.items():
            if (f, row[col]) not in values:
                raise CsvError(path, line, col + 1, f"{f} '{row[col]}' has no quota.")
        address = [row[c] for c in house_cols]
        household = json.dumps(address) if any(address) else None
        people.append(Person(pid, {f: row[c] for f, c in feature_cols.items()}, household))
    return people
