"""Import 1,000,000 generated register rows on SQLite through the real import service.

Prints rows per second and peak memory (ru_maxrss and the tracemalloc peak of Python
allocations), against a baseline in the same run: a bare `executemany` of the same rows
into a plain table. Targets: under 2 minutes and under 500 MB.

    .venv/bin/python benchmarks/register_import.py [--rows N]
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = "register_id,household_id,birth_year,gender,area,education\n"
GENDERS = ("v", "m", "x")
EDUCATION = ("basis", "vmbo", "mbo", "havo", "hbo", "wo")


def write_register(path: Path, rows: int) -> None:
    """A valid extract: two people per household, 40 areas."""
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(rows):
            out.write(
                f"R{i:08d},H{i // 2:08d},{1930 + i % 77},{GENDERS[i % 3]},"
                f"Wijk {i % 40},{EDUCATION[i % 6]}\n"
            )


def baseline(path: Path, db_file: Path) -> float:
    """Seconds for a bare executemany of the same rows (csv module, no checks, no HMAC)."""
    import csv

    start = time.perf_counter()
    conn = sqlite3.connect(db_file)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE plain (register_id TEXT PRIMARY KEY, household_id TEXT, birth_year INT,"
        " gender TEXT, area TEXT, education TEXT)"
    )
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        conn.executemany("INSERT INTO plain VALUES (?, ?, ?, ?, ?, ?)", reader)
    conn.commit()
    conn.close()
    return time.perf_counter() - start


def civic_import(path: Path, db_file: Path, trace: bool) -> tuple[float, int, int]:
    """Seconds, rows added and the tracemalloc peak (bytes, 0 unless `trace`: tracing
    slows Python allocations about threefold) of the real import service."""
    from civic import create_app
    from civic.extensions import db
    from panels.register import import_register

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}"})
    with app.app_context():
        db.create_all()
        db.session.commit()
        if trace:
            tracemalloc.start()
        start = time.perf_counter()
        with path.open("rb") as stream:
            result = import_register(stream, path.name, "benchmark")
        db.session.commit()
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
        tracemalloc.stop()
        assert result.ok, [e.message for e in result.errors[:5]]
        added = result.record.added
        db.session.remove()
        db.engine.dispose()
    return seconds, added, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace allocations")
    args = parser.parse_args()
    rows = args.rows
    with tempfile.TemporaryDirectory(prefix="civic-bench-") as tmp:
        folder = Path(tmp)
        csv_file = folder / "register.csv"
        write_register(csv_file, rows)
        size_mb = csv_file.stat().st_size / 2**20
        base = baseline(csv_file, folder / "baseline.sqlite")
        seconds, added, peak = civic_import(csv_file, folder / "civic.sqlite", args.tracemalloc)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"rows: {rows:,} ({size_mb:.1f} MB CSV), added: {added:,}")
    print(f"civic import: {seconds:.1f} s, {rows / seconds:,.0f} rows/s")
    print(f"baseline executemany: {base:.1f} s, {rows / base:,.0f} rows/s")
    print(f"ratio civic/baseline: {seconds / base:.1f}x")
    traced = f", tracemalloc peak {peak / 2**20:.0f} MB" if peak else ""
    print(f"peak memory: ru_maxrss {rss_mb:.0f} MB{traced}")
    ok = seconds < 120 and rss_mb < 500
    print(f"targets (< 120 s, < 500 MB): {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
