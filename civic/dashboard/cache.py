"""A small in-process cache of computed figures, keyed by name + filters + data version.

An entry is used only while the data version (the audit head, see `freshness`) is the one it
was computed at, so any state change invalidates every entry at once. Figures that depend on
the clock alone (an answer becoming overdue) are refreshed after `max_age`. Each web worker
keeps its own cache; workers agree because they read the same version.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import current_app, has_request_context, request

from civic import clock
from civic.dashboard.freshness import data_version

T = TypeVar("T")
DEFAULT_MAX_AGE = timedelta(seconds=60)
DEFAULT_SIZE = 512


@dataclass(frozen=True)
class _Entry:
    version: int
    computed_at: datetime
    value: Any


class FigureCache:
    """A bounded LRU map from (name, key) to a value computed at a data version."""

    def __init__(self, size: int = DEFAULT_SIZE, max_age: timedelta = DEFAULT_MAX_AGE) -> None:
        self.size = size
        self.max_age = max_age
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, name: str, key: Hashable, version: int, compute: Callable[[], T]) -> T:
        """The cached value of (name, key) at `version`, computing and storing it when absent."""
        now = clock.now()
        with self._lock:
            entry = self._entries.get((name, key))
            if entry and entry.version == version and now - entry.computed_at < self.max_age:
                self._entries.move_to_end((name, key))
                self.hits += 1
                return entry.value  # type: ignore[no-any-return]
        value = compute()  # outside the lock: a slow query must not block other keys
        with self._lock:
            self.misses += 1
            self._entries[(name, key)] = _Entry(version, now, value)
            self._entries.move_to_end((name, key))
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget everything (the benchmark's cold runs)."""
        with self._lock:
            self._entries.clear()


def figure_cache() -> FigureCache:
    """The app's cache (one per app, so tests never share entries)."""
    cache = current_app.extensions.get("civic_figure_cache")
    if cache is None:
        cache = current_app.extensions.setdefault(
            "civic_figure_cache",
            FigureCache(max_age=current_app.config.get("DASHBOARD_CACHE_MAX_AGE", DEFAULT_MAX_AGE)),
        )
    return cache  # type: ignore[no-any-return]


def request_version() -> int:
    """The data version, read once per request (kept in the request's environ, which
    unlike `g` is never shared between requests)."""
    if not has_request_context():
        return data_version()
    environ = request.environ
    if "civic.data_version" not in environ:
        environ["civic.data_version"] = data_version()
    return int(environ["civic.data_version"])


def cached(name: str, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` through the app's cache at this request's data version."""
    return figure_cache().get(name, key, request_version(), compute)
