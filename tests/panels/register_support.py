"""Helpers for register tests: CSV bytes, importing a file, counting people."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select

from civic.extensions import db
from panels.models import RegisterPerson
from panels.register import ImportResult, import_register

HEADER = ("register_id", "household_id", "birth_year", "gender", "area", "education")


def csv_bytes(
    rows: Iterable[Sequence[Any]], header: Sequence[str] = HEADER, sep: str = ","
) -> bytes:
    """A register CSV (UTF-8) from a header and rows."""
    lines = [sep.join(header)] + [sep.join(str(v) for v in r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def people(n: int, start: int = 1) -> list[tuple[Any, ...]]:
    """n valid rows: ids R<i>, two people per household."""
    return [
        (f"R{i}", f"H{i // 2}", 1950 + i % 50, "vmx"[i % 3], f"Wijk {i % 4}", "mbo")
        for i in range(start, start + n)
    ]


def run_import(data: bytes, name: str = "register.csv", actor: Any = "test") -> ImportResult:
    """Import bytes through the service and commit, as the CLI and the page do."""
    result = import_register(io.BytesIO(data), name, actor)
    db.session.commit()
    return result


def person_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(RegisterPerson)) or 0)


def snapshot() -> list[tuple[Any, ...]]:
    """Every person's stored fields, to prove a refused file changed nothing."""
    rows = db.session.execute(
        select(
            RegisterPerson.id, RegisterPerson.register_key, RegisterPerson.status,
            RegisterPerson.area, RegisterPerson.last_import_id,
        ).order_by(RegisterPerson.id)
    )  # fmt: skip
    return [tuple(r) for r in rows]
