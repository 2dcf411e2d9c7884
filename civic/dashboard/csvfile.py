"""CSV downloads that spreadsheets cannot mistake for formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard(cell: object) -> str:
    """The cell as text; text starting like a formula gets a leading apostrophe.

    Numbers are written as numbers (a negative number is data, not a formula)."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, int | float):
        return str(cell)
    text = str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(headers: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """Headers and rows as CSV text (RFC 4180, CRLF line ends), every cell guarded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([guard(h) for h in headers])
    for row in rows:
        writer.writerow([guard(c) for c in row])
    return buffer.getvalue()


def csv_response(
    filename: str, headers: Sequence[object], rows: Iterable[Sequence[object]]
) -> Response:
    """A download: UTF-8 with a byte-order mark so spreadsheet programs read the accents."""
    body = "\ufeff" + csv_text(headers, rows)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-cache"
    return response
