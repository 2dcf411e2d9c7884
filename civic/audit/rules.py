"""Pure hashing rules of the audit chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


def canonical_json(value: Any) -> str:
    """Stable JSON text: sorted keys, no spaces, ASCII only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


@dataclass(frozen=True)
class ChainRow:
    """The hashed fields of one audit row."""

    seq: int
    at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    before: str
    after: str
    prev_hash: str
    hash: str = ""


def row_hash(row: ChainRow) -> str:
    """SHA-256 over the previous hash and every field of the row."""
    payload = [
        row.prev_hash,
        row.seq,
        row.at.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        row.actor_id,
        row.actor_label,
        row.action,
        row.object_type,
        row.object_id,
        row.before,
        row.after,
    ]
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def first_broken(rows: Iterable[ChainRow], genesis: str) -> tuple[int, str] | None:
    """Return (seq, reason) of the first row that breaks the chain, or None if intact."""
    expected_prev, expected_seq = genesis, 1
    for row in rows:
        if row.seq != expected_seq:
            return row.seq, f"sequence gap: expected {expected_seq}"
        if row.prev_hash != expected_prev:
            return row.seq, "previous-hash link does not match the row before"
        if row_hash(row) != row.hash:
            return row.seq, "content does not match its hash (row was changed)"
        expected_prev, expected_seq = row.hash, expected_seq + 1
    return None


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> tuple[str, str]:
    """Keep only the changed keys of two snapshots, as canonical JSON texts."""
    before, after = dict(before or {}), dict(after or {})
    keys = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    return (
        canonical_json({k: before[k] for k in sorted(keys) if k in before}),
        canonical_json({k: after[k] for k in sorted(keys) if k in after}),
    )
