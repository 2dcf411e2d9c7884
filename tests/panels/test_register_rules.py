"""Pure rules of the register CSV: no app, no database."""

from __future__ import annotations

from panels.register_rules import (
    ErrorList,
    Header,
    RegisterError,
    RegisterFormat,
    RegisterRow,
    check_birth_year,
    check_row,
    choose_delimiter,
    is_blank,
    parse_header,
)

FMT = RegisterFormat()
COLUMNS = ["register_id", "household_id", "birth_year", "gender", "area", "education", "status"]


def header() -> Header:
    parsed = parse_header(COLUMNS, FMT)
    assert isinstance(parsed, Header)
    return parsed


def row(**changes: str) -> list[str]:
    values = {
        "register_id": "R1", "household_id": "H1", "birth_year": "1980", "gender": "V",
        "area": "Centrum", "education": "hbo", "status": "",
    }  # fmt: skip
    values.update(changes)
    return [values[c] for c in COLUMNS]


def error(fields: list[str]) -> RegisterError:
    result = check_row(fields, header(), 7, 2025, FMT)
    assert isinstance(result, RegisterError)
    return result


def test_good_row_is_normalised() -> None:
    result = check_row(row(gender=" v ", area=" Noord "), header(), 2, 2025, FMT)
    assert result == RegisterRow(
        "R1", "H1", 1980, "female", "Noord", {"education": "hbo"}, "active"
    )


def test_explicit_status_and_empty_extra() -> None:
    result = check_row(row(status="Deceased", education=""), header(), 2, 2025, FMT)
    assert isinstance(result, RegisterRow)
    assert result.status == "deceased" and result.extra == {}


def test_delimiter_sniffing() -> None:
    assert choose_delimiter("register_id;household_id;birth_year,x") == ";"
    assert choose_delimiter("register_id,household_id") == ","


def test_header_names_missing_unknown_and_repeated_columns() -> None:
    missing = parse_header(["Register_ID ", "birth_year", "gender"], FMT)
    assert isinstance(missing, RegisterError)
    assert missing.message == "The header row lacks the required columns: household_id, area."
    unknown = parse_header([*COLUMNS, "shoe_size"], FMT)
    assert isinstance(unknown, RegisterError) and "shoe_size" in unknown.message
    repeated = parse_header([*COLUMNS, "area"], FMT)
    assert isinstance(repeated, RegisterError) and repeated.code == "duplicate_columns"


def test_configured_extra_fields_are_known() -> None:
    parsed = parse_header([*COLUMNS[:5], "digital_skills"], RegisterFormat(("digital_skills",)))
    assert isinstance(parsed, Header) and parsed.extra == ("digital_skills",)


def test_birth_year_must_be_a_plausible_year() -> None:
    assert check_birth_year("1900", 1, 2025) == 1900
    assert check_birth_year("2025", 1, 2025) == 2025
    for value, code in (
        ("1899", "year_range"),
        ("2026", "year_range"),
        ("19x0", "year_not_number"),
        ("-5", "year_not_number"),
        ("1980.0", "year_not_number"),
        ("", "missing_value"),
    ):
        result = check_birth_year(value, 4, 2025)
        assert isinstance(result, RegisterError) and result.code == code, value
    result = check_birth_year("1850", 4, 2025)
    assert isinstance(result, RegisterError)
    assert result.message == (
        "Line 4, column birth_year: the birth year 1850 is not between 1900 and 2025."
    )


def test_one_error_per_row_with_line_and_column() -> None:
    assert error(row(register_id="")).message == "Line 7, column register_id: the value is missing."
    assert error(row(household_id="x" * 65)).code == "too_long"
    assert error(row(register_id="a\tb")).code == "control_chars"
    assert error(row(gender="q")).column == "gender"
    assert error(row(area="")).column == "area"
    assert error(row(area="a" * 81)).code == "too_long"
    assert error(row(status="gone")).code == "status"
    # Several problems in one row still give one message: the first column's.
    assert error(row(birth_year="1700", gender="q")).column == "birth_year"


def test_wrong_number_of_fields() -> None:
    result = error(["R1", "H1", "1980"])
    assert result.message == (
        'Line 7 has 3 fields instead of 7. Check the separators (",") and the quotation marks.'
    )


def test_clear_ids_never_appear_in_messages() -> None:
    result = error(row(register_id="SECRET-123", birth_year="1"))
    assert "SECRET" not in result.message


def test_blank_rows_and_error_cap() -> None:
    assert is_blank([]) and is_blank(["", " ", ""]) and not is_blank(["", "x"])
    errors = ErrorList(limit=2)
    for line in range(5):
        errors.add(RegisterError("missing_value", line, "area"))
    assert len(errors.errors) == 2 and errors.count == 5 and errors.omitted == 3
