"""What the selection algorithms return: a distribution over panels, and progress reports."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Distribution:
    """A probability distribution over valid panels.

    `panels[j]` (ids sorted by code point) is drawn with probability `weights[j]`;
    `probabilities[id]` is each person's resulting selection probability (the sum of the
    weights of the panels that contain them). `min_probability` is taken over the people
    who are neither forced in (`must`) nor forced out (`must_not`).
    """

    algorithm: str
    k: int
    panels: tuple[tuple[str, ...], ...]
    weights: tuple[float, ...]
    probabilities: Mapping[str, float]
    min_probability: float


@dataclass(frozen=True)
class Progress:
    """A progress report: panels found so far, people whose probability is settled, the minimum."""

    panels: int
    fixed: int
    people: int
    min_probability: float


ProgressCallback = Callable[[Progress], None]


def build_distribution(
    algorithm: str,
    k: int,
    ids: tuple[str, ...],
    panels: list[tuple[int, ...]],
    weights: list[float],
    free: list[bool],
) -> Distribution:
    """Normalise weights, drop empty panels, sort ids and compute each person's probability."""
    total = sum(w for w in weights if w > 0)
    pairs = sorted(
        (tuple(sorted(ids[i] for i in panel)), float(w) / total)
        for panel, w in zip(panels, weights, strict=True)
        if w > 1e-12
    )
    probs = dict.fromkeys(ids, 0.0)
    for panel_ids, w in pairs:
        for pid in panel_ids:
            probs[pid] += float(w)
    free_probs = [probs[pid] for pid, f in zip(ids, free, strict=True) if f]
    return Distribution(
        algorithm=algorithm,
        k=k,
        panels=tuple(p for p, _ in pairs),
        weights=tuple(w for _, w in pairs),
        probabilities=probs,
        min_probability=min(free_probs) if free_probs else 1.0,
    )
