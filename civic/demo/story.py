"""The demo's clock story: steps at believable past moments, run in time order.

Each step runs with the clock frozen at its moment, so services stamp their rows and audit
entries with that moment. Every moment lies before the real "now" of the run; afterwards the
clock is reset, so what is still open (a ballot, an overdue answer) is open in real time.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from civic import clock


def pick(key: str, n: int) -> int:
    """A deterministic number in range(n) for `key` (no `random`: the same on every run)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % n


def ranked(key: str, items: list[Any]) -> list[Any]:
    """`items` in a fixed pseudo-random order (hash tickets of `key` and position)."""
    return [
        item
        for _h, _i, item in sorted(
            (hashlib.sha256(f"{key}:{i}".encode()).digest(), i, item)
            for i, item in enumerate(items)
        )
    ]


class Story:
    """Steps ordered by their moment; a step may add later steps while the story runs."""

    def __init__(self, real_now: datetime) -> None:
        self.now = real_now.replace(second=0, microsecond=0)
        self._steps: list[tuple[datetime, int, Callable[[], Any]]] = []
        self._count = 0
        self._current: datetime | None = None
        self.state: dict[str, Any] = {}

    def at(self, days_ago: float, hour: int | None = None, minute: int = 0) -> datetime:
        """The moment `days_ago` before the real now, optionally at a local office hour."""
        moment = self.now - timedelta(days=days_ago)
        if hour is not None:
            local = clock.local(moment).replace(hour=hour, minute=minute)
            moment = local.astimezone(moment.tzinfo)
        if moment >= self.now:
            raise ValueError(f"demo moment {moment} is not in the past")
        return moment

    def step(self, when: datetime, action: Callable[[], Any]) -> None:
        """Run `action` at `when` (never before the step that is running now)."""
        if self._current is not None and when < self._current:
            raise ValueError(f"demo step at {when} lies before {self._current}")
        if when >= self.now:
            raise ValueError(f"demo step at {when} is not in the past")
        heapq.heappush(self._steps, (when, self._count, action))
        self._count += 1

    def run(self) -> int:
        """Run every step in time order with the clock frozen at its moment."""
        done = 0
        try:
            while self._steps:
                when, _n, action = heapq.heappop(self._steps)
                self._current = when
                clock.freeze(when)
                action()
                done += 1
        finally:
            clock.reset()
        return done
