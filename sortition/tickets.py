"""Reproducible seeded sampling by hash tickets; never the `random` module.

Each id gets the ticket SHA-256(UTF-8(seed) ‖ 0x00 ‖ UTF-8(id)); ids are ordered by their
ticket (the 32 digest bytes compared as a big-endian number). Anyone with the seed and the
ids can redo this with any SHA-256 tool.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sortition.errors import InvalidInput


def ticket(seed: str, item_id: str) -> bytes:
    """The 32-byte hash ticket of `item_id` under `seed`."""
    if "\x00" in seed or "\x00" in item_id:
        raise InvalidInput("Seeds and ids must not contain the NUL character.")
    return hashlib.sha256(seed.encode("utf-8") + b"\x00" + item_id.encode("utf-8")).digest()


def hash_order(seed: str, ids: Iterable[str]) -> list[str]:
    """All `ids` ordered by their hash ticket under `seed` (lowest ticket first)."""
    items = list(ids)
    if len(set(items)) != len(items):
        raise InvalidInput("The ids to order must be unique.")
    return sorted(items, key=lambda item: (ticket(seed, item), item))


def sample(seed: str, ids: Iterable[str], n: int) -> list[str]:
    """The first `n` ids in hash-ticket order: a uniform sample, reproducible from the seed."""
    items = list(ids)
    if not 0 <= n <= len(items):
        raise InvalidInput(f"Cannot sample {n} out of {len(items)}.")
    return hash_order(seed, items)[:n]


def seed_index(seed: str, m: int) -> int:
    """A uniform index in range(m) derived from `seed` without modulo bias.

    h = SHA-256(UTF-8(seed)) read as a big-endian integer; while h falls in the incomplete
    last block (h >= 2**256 - 2**256 mod m), h = SHA-256(previous 32 digest bytes).
    The index is h mod m.
    """
    if m < 1:
        raise InvalidInput("The lottery must hold at least one panel.")
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    limit = 2**256 - (2**256 % m)
    while int.from_bytes(digest, "big") >= limit:
        digest = hashlib.sha256(digest).digest()
    return int.from_bytes(digest, "big") % m
