"""Civic's leximin against the reference `sortition-algorithms` leximin, in the same run.

Usage: .venv/bin/python benchmarks/sortition_vs_reference.py [--only NAME] [--ref-timeout S]

The reference runs in its own environment (benchmarks/.ref-venv, created on first use with
`sortition-algorithms` and `gurobipy`, whose pip wheel carries a size-limited licence) via a
subprocess, on the same instances written to CSV under benchmarks/out/. Prints per instance
both minimum probabilities, both times and the speed-up; the last line is
`min_speedup=X fairness_gap=Y` (Y: largest shortfall of Civic's minimum probability below the
reference's, over the instances where the reference finished).

Where the reference cannot run (the 2000-person instance is beyond the gurobipy licence),
Civic's minimum is compared with an upper bound on the maximin LP optimum computed by Civic's
own exact solver: by LP duality, for any weights y >= 0 summing to 1 over the people, the
maximin optimum is at most the largest y-weight of a valid panel; with equal weights that
largest weight is found by Civic's exact integer program (one binary per person). That
shortfall counts towards fairness_gap too. The machine's load average is printed with
every instance, because other work on the machine slows both solvers.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
import venv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from sortition import leximin  # noqa: E402
from sortition.csvfiles import read_features, read_people  # noqa: E402
from sortition.model import compile_problem  # noqa: E402
from sortition.search import PanelSearch  # noqa: E402

REF_VENV = ROOT / ".ref-venv"
OUT = ROOT / "out"

REFERENCE_RUNNER = r"""
import csv, json, sys, time
from sortition_algorithms.committee_generation.leximin import find_distribution_leximin
from sortition_algorithms.features import read_in_features
from sortition_algorithms.people import read_in_people
from sortition_algorithms.settings import Settings
features_path, people_path, k, households = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
with open(features_path) as f:
    rows = list(csv.DictReader(f))
features, _, _ = read_in_features(list(rows[0].keys()), rows, k)
with open(people_path) as f:
    prow = list(csv.DictReader(f))
cols = [households] if households else []
settings = Settings(id_column="id", columns_to_keep=[], check_same_address=bool(cols),
                    check_same_address_columns=cols)
people, _ = read_in_people(list(prow[0].keys()), prow, features, settings)
start = time.perf_counter()
panels, probs, _ = find_distribution_leximin(features, people, k, cols)
seconds = time.perf_counter() - start
marg = {pid: 0.0 for pid in people}
for panel, p in zip(panels, probs):
    for pid in panel:
        marg[pid] += p
print(json.dumps({"seconds": seconds, "min_probability": min(marg.values())}))
"""


@dataclass(frozen=True)
class Instance:
    name: str
    n: int
    k: int
    features: int
    exact: bool
    households: bool


INSTANCES = [
    Instance("200/20, 2 features", 200, 20, 2, False, False),
    Instance("360/30, 7 features, exact quotas", 360, 30, 7, True, False),
    Instance("2000/100, 6 features, households", 2000, 100, 6, False, True),
]


def ensure_reference() -> Path:
    """Create the reference environment if it is missing; return its python."""
    python = REF_VENV / "bin" / "python"
    if not python.exists():
        venv.create(REF_VENV, with_pip=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "sortition-algorithms", "gurobipy"],
            check=True,
        )
    return python


def _quotas_for(values: np.ndarray, nvals: int, k: int, exact: bool) -> list[tuple[int, int]]:
    shares = np.array([(values == v).mean() for v in range(nvals)]) * k
    if not exact:
        return [(int(np.floor(t * 0.85)), int(np.ceil(t * 1.15))) for t in shares]
    counts = np.floor(shares).astype(int)
    for v in np.argsort(-(shares - counts))[: k - counts.sum()]:
        counts[v] += 1
    return [(int(c), int(c)) for c in counts]


def write_instance(inst: Instance, folder: Path) -> tuple[Path, Path]:
    """Generate the instance with a fixed seed and write features.csv and people.csv."""
    rng = np.random.default_rng(inst.n * 1000 + inst.features)
    folder.mkdir(parents=True, exist_ok=True)
    nvals = 3
    columns = {}
    with (folder / "features.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["feature", "value", "min", "max"])
        for f in range(inst.features):
            values = rng.choice(nvals, size=inst.n, p=rng.dirichlet(np.ones(nvals) * 3))
            columns[f"f{f}"] = values
            for v, (low, high) in enumerate(_quotas_for(values, nvals, inst.k, inst.exact)):
                out.writerow([f"f{f}", f"v{v}", low, high])
    homes = rng.integers(0, int(inst.n * 0.8), size=inst.n)
    with (folder / "people.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["id", *columns, "address"])
        for i in range(inst.n):
            address = f"a{homes[i]}" if inst.households else f"own{i}"
            out.writerow([f"p{i}", *(f"v{columns[c][i]}" for c in columns), address])
    return folder / "features.csv", folder / "people.csv"


def run_civic(inst: Instance, features: Path, people: Path) -> tuple[float, float]:
    quotas = read_features(features)
    pool = read_people(people, quotas, "id", ["address"] if inst.households else [])
    start = time.perf_counter()
    dist = leximin(pool, quotas, inst.k)
    return time.perf_counter() - start, dist.min_probability


def maximin_bound(inst: Instance, features: Path, people: Path) -> float:
    """Upper bound on the maximin LP optimum: best panel for equal weights (exact MILP)."""
    quotas = read_features(features)
    pool = read_people(people, quotas, "id", ["address"] if inst.households else [])
    problem = compile_problem(pool, quotas, inst.k)
    found = PanelSearch(problem).best(np.full(problem.n, 1.0 / problem.n))
    assert found is not None
    return found[1]


def load() -> str:
    """The 1-minute load average."""
    return Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"


def run_reference(
    python: Path, inst: Instance, features: Path, people: Path, timeout: float
) -> tuple[float, float] | str:
    args = [
        str(python),
        "-c",
        REFERENCE_RUNNER,
        str(features),
        str(people),
        str(inst.k),
        "address" if inst.households else "",
    ]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return f"did not finish within {timeout:.0f} s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return f"failed: {last[:120]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return float(result["seconds"]), float(result["min_probability"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", help="run only instances whose name contains this")
    parser.add_argument("--ref-timeout", type=float, default=480.0)
    args = parser.parse_args()
    python = ensure_reference()
    speedups, gaps = [], []
    for inst in INSTANCES:
        if args.only and args.only not in inst.name:
            continue
        features, people = write_instance(inst, OUT / inst.name.split(",")[0].replace("/", "-"))
        civic_s, civic_min = run_civic(inst, features, people)
        ref = run_reference(python, inst, features, people, args.ref_timeout)
        if isinstance(ref, str):
            bound = maximin_bound(inst, features, people)
            gaps.append(max(0.0, bound - civic_min))
            print(
                f"{inst.name}: civic {civic_s:.2f} s min={civic_min:.6f}; reference {ref}; "
                f"maximin LP optimum <= {bound:.6f} (Civic's exact LP bound), "
                f"gap {max(0.0, bound - civic_min):.2e} [load {load()}]",
                flush=True,
            )
            continue
        ref_s, ref_min = ref
        speedups.append(ref_s / civic_s)
        gaps.append(max(0.0, ref_min - civic_min))
        print(
            f"{inst.name}: civic {civic_s:.2f} s min={civic_min:.6f}; reference {ref_s:.2f} s "
            f"min={ref_min:.6f}; speed-up {ref_s / civic_s:.1f}x [load {load()}]",
            flush=True,
        )
    min_speedup = min(speedups) if speedups else float("nan")
    gap = max(gaps) if gaps else float("nan")
    print(f"min_speedup={min_speedup:.2f} fairness_gap={gap:.2e}")


if __name__ == "__main__":
    main()
