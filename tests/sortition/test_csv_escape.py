"""Cells of published CSV files are escaped against spreadsheet formulas, losslessly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sortition.csvfiles import escape_cell, unescape_cell


@given(st.text(alphabet=st.sampled_from("=+-@'\tabc1 "), max_size=8))
def test_escape_round_trips(value: str) -> None:
    assert unescape_cell(escape_cell(value)) == value


@given(st.text(alphabet=st.sampled_from("=+-@'\tabc1 "), max_size=8))
def test_escaped_cells_never_start_like_a_formula(value: str) -> None:
    assert not escape_cell(value).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_plain_values_are_untouched() -> None:
    assert escape_cell("Centrum") == "Centrum" and unescape_cell("'Noord") == "'Noord"
    assert escape_cell("=1+1") == "'=1+1" and escape_cell("'x") == "''x"
