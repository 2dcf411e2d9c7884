"""Command line: `python -m sortition select|verify` (see docs/sortition.md).

Exit codes: 0 success; 1 bad files or arguments (file, line and column named); 2 infeasible
quotas (explanation and relaxation on stderr); 3 `verify` found a mismatch.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sortition.csvfiles import read_features, read_people
from sortition.errors import InfeasibleQuotas, InvalidInput
from sortition.legacy import legacy
from sortition.leximin import leximin
from sortition.lottery import build_lottery, make_record, panel_for_seed, pool_sha256, quotas_sha256
from sortition.model import Person, Quota, compile_problem
from sortition.result import Distribution, Progress


class ProgressPrinter:
    """Prints progress to stderr once a run has lasted longer than a second."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def __call__(self, progress: Progress) -> None:
        if time.monotonic() - self.start > 1.0:
            print(
                f"panels found: {progress.panels}, settled {progress.fixed}/{progress.people}, "
                f"minimum probability: {progress.min_probability:.6f}",
                file=sys.stderr,
                flush=True,
            )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sortition")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("select", "verify"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--features", type=Path, required=True)
        cmd.add_argument("--people", type=Path, required=True)
        cmd.add_argument("--id-column", default="id")
        cmd.add_argument("--household-columns", default="")
        cmd.add_argument("--report", type=Path, required=True)
        cmd.add_argument("--seed", required=(name == "verify"))
    select = sub.choices["select"]
    select.add_argument("--size", type=int, required=True)
    select.add_argument("--algorithm", choices=("leximin", "legacy"), default="leximin")
    select.add_argument("--lottery-size", type=int, default=1000)
    return parser


def _load(args: argparse.Namespace) -> tuple[list[Person], list[Quota]]:
    quotas = read_features(args.features)
    columns = [c.strip() for c in args.household_columns.split(",") if c.strip()]
    return read_people(args.people, quotas, args.id_column, columns), quotas


def _select(args: argparse.Namespace) -> int:
    people, quotas = _load(args)
    start = time.monotonic()
    dist: Distribution
    if args.algorithm == "legacy":
        dist = legacy(people, quotas, args.size)
    else:
        dist = leximin(people, quotas, args.size, progress=ProgressPrinter())
    lottery = build_lottery(dist, args.lottery_size)
    report: dict[str, Any] = make_record(dist, lottery, people, quotas)
    report["seconds"] = round(time.monotonic() - start, 3)
    if args.seed is not None:
        report["seed"] = args.seed
        report["selected"] = list(panel_for_seed(report, args.seed))
    args.report.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return 0


def _read_report(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"{path}: cannot be read: {error}") from error
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"{path}, line {error.lineno}, column {error.colno}: {error.msg}"
        ) from error
    if not isinstance(data, dict) or "lottery" not in data or "k" not in data:
        raise InvalidInput(f"{path}: not a sortition report.")
    return data


def _verify(args: argparse.Namespace) -> int:
    report = _read_report(args.report)
    people, quotas = _load(args)
    problems = []
    if report.get("pool_sha256") != pool_sha256(people, quotas):
        problems.append("the people file does not match the report's pool hash")
    if report.get("quotas_sha256") != quotas_sha256(quotas):
        problems.append("the features file does not match the report's quotas hash")
    panel = panel_for_seed(report, args.seed)
    if "selected" in report and list(panel) != list(report["selected"]):
        problems.append("the seed selects a different panel than the report lists")
    problem = compile_problem(
        people, quotas, int(report["k"]), report.get("must", []), report.get("must_not", [])
    )
    position = {pid: i for i, pid in enumerate(problem.ids)}
    if not all(pid in position for pid in panel) or not problem.is_panel(
        [position[pid] for pid in panel]
    ):
        problems.append("the selected panel does not meet the quotas")
    for text in problems:
        print(f"verify: {text}", file=sys.stderr)
    if problems:
        return 3
    print(" ".join(panel))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        return _select(args) if args.command == "select" else _verify(args)
    except InfeasibleQuotas as error:
        print(error.explain(), file=sys.stderr)
        return 2
    except InvalidInput as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
