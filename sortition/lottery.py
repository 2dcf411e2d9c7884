"""Transparent lottery: round a distribution to m equally likely panels, publish, draw by seed.

Rounding follows Flanigan, Kehne and Procaccia (NeurIPS 2021): each panel of the support
gets floor(m * weight) or one more ticket, chosen so that every person's frequency in the
lottery stays as close as possible to their probability (greedy rounding, then improving
swaps of single tickets, both deterministic).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from sortition.errors import InvalidInput
from sortition.model import FloatArray, Person, Quota
from sortition.result import Distribution
from sortition.tickets import seed_index

RECORD_FORMAT = "civic-sortition-record/1"


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys, no spaces, no ASCII escaping: the bytes that get hashed."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def sha256_hex(value: Any) -> str:
    """Hex SHA-256 of the canonical JSON of `value`."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


@dataclass(frozen=True)
class Lottery:
    """m equally likely panels (ids sorted), their hash, and the largest probability error."""

    m: int
    panels: tuple[tuple[str, ...], ...]
    sha256: str
    max_deviation: float


def lottery_sha256(panels: Sequence[Sequence[str]]) -> str:
    """SHA-256 of the canonical JSON list of panels (each a list of ids)."""
    return sha256_hex([list(p) for p in panels])


def _incidence(distribution: Distribution, ids: list[str]) -> sparse.csc_matrix:
    index = {pid: i for i, pid in enumerate(ids)}
    rows = [index[pid] for panel in distribution.panels for pid in panel]
    cols = [j for j, panel in enumerate(distribution.panels) for _ in panel]
    shape = (len(ids), len(distribution.panels))
    return sparse.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)


def _round_counts(weights: FloatArray, target: FloatArray, inc: sparse.csc_matrix, m: int) -> Any:
    counts = np.floor(weights * m).astype(np.int64)
    frac = weights * m - counts
    dev = inc @ counts - target
    eligible = frac > 1e-12
    for _ in range(m - int(counts.sum())):
        score = inc.T @ dev - 1e-6 * frac
        j = int(np.argmin(np.where(eligible, score, np.inf)))
        if not eligible[j]:
            j = int(np.argmin(score))
        counts[j] += 1
        eligible[j] = False
        dev = dev + inc[:, j].toarray().ravel()
    return _improve(counts, dev, inc)


def _improve(counts: Any, dev: FloatArray, inc: sparse.csc_matrix) -> Any:
    # Move single tickets from an over-served panel to an under-served one while the
    # sum of squared errors drops.
    for _ in range(4 * len(counts)):
        score = inc.T @ dev
        add = int(np.argmin(score))
        drop = int(np.argmax(np.where(counts > 0, score, -np.inf)))
        if add == drop:
            break
        change = inc[:, add].toarray().ravel() - inc[:, drop].toarray().ravel()
        if float(((dev + change) ** 2).sum() - (dev**2).sum()) >= -1e-9:
            break
        counts[add] += 1
        counts[drop] -= 1
        dev = dev + change
    return counts


def build_lottery(distribution: Distribution, m: int = 1000) -> Lottery:
    """Round `distribution` to a uniform lottery over m panels (listed in sorted order)."""
    if m < 1:
        raise InvalidInput("The lottery size m must be at least 1.")
    ids = sorted(distribution.probabilities)
    inc = _incidence(distribution, ids)
    weights = np.array(distribution.weights, dtype=np.float64)
    weights = weights / weights.sum()
    target = np.array([distribution.probabilities[i] for i in ids]) * m
    counts = _round_counts(weights, target, inc, m)
    panels = tuple(
        panel for panel, c in zip(distribution.panels, counts, strict=True) for _ in range(int(c))
    )
    deviation = float(np.abs(inc @ counts - target).max()) / m if ids else 0.0
    return Lottery(m=m, panels=panels, sha256=lottery_sha256(panels), max_deviation=deviation)


def pool_sha256(people: Sequence[Person], quotas: Sequence[Quota]) -> str:
    """SHA-256 of the pool as it matters for the draw: ids, quota features, households."""
    features = sorted({q.feature for q in quotas})
    pool = sorted(
        (
            {
                "id": p.id,
                "features": {f: p.features.get(f) for f in features},
                "household": p.household,
            }
            for p in people
        ),
        key=lambda row: str(row["id"]),
    )
    return sha256_hex(pool)


def quotas_sha256(quotas: Sequence[Quota]) -> str:
    """SHA-256 of the quota table, sorted by feature and value."""
    table = sorted(
        ({"feature": q.feature, "value": q.value, "min": q.min, "max": q.max} for q in quotas),
        key=lambda row: (str(row["feature"]), str(row["value"])),
    )
    return sha256_hex(table)


def make_record(
    distribution: Distribution,
    lottery: Lottery,
    people: Sequence[Person],
    quotas: Sequence[Quota],
    *,
    must: Collection[str] = (),
    must_not: Collection[str] = (),
) -> dict[str, Any]:
    """The public record of a draw, to publish before the seed exists (JSON-ready)."""
    from sortition import __version__

    return {
        "format": RECORD_FORMAT,
        "algorithm": distribution.algorithm,
        "version": __version__,
        "k": distribution.k,
        "pool_sha256": pool_sha256(people, quotas),
        "quotas_sha256": quotas_sha256(quotas),
        "must": sorted(must),
        "must_not": sorted(must_not),
        "min_probability": distribution.min_probability,
        "probabilities": dict(sorted(distribution.probabilities.items())),
        "lottery": {
            "m": lottery.m,
            "sha256": lottery.sha256,
            "max_deviation": lottery.max_deviation,
            "panels": [list(p) for p in lottery.panels],
        },
    }


def panel_for_seed(record: Mapping[str, Any], seed: str) -> tuple[str, ...]:
    """The panel that `seed` selects from a record: lottery[seed_index(seed, m)].

    Checks first that the listed panels match the record's lottery hash and size.
    """
    lottery = record["lottery"]
    panels = lottery["panels"]
    if len(panels) != lottery["m"]:
        raise InvalidInput(f"The record lists {len(panels)} panels, not m = {lottery['m']}.")
    if lottery_sha256(panels) != lottery["sha256"]:
        raise InvalidInput("The lottery panels do not match the record's lottery hash.")
    return tuple(panels[seed_index(seed, int(lottery["m"]))])
