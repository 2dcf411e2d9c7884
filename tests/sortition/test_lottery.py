"""Transparent lottery, public record, and hash-ticket sampling (golden vectors)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import pytest

import sortition as s

SEED = "2026-05-01 lotto 7 12 19 23 31 40"


def _instance():
    people = [s.Person(f"p{i:02d}", {"g": "abc"[i % 3]}) for i in range(14)]
    quotas = [s.Quota("g", "a", 1, 2), s.Quota("g", "b", 1, 2), s.Quota("g", "c", 1, 1)]
    return people, quotas


def test_lottery_frequencies_follow_probabilities():
    people, quotas = _instance()
    dist = s.leximin(people, quotas, 4)
    lottery = s.build_lottery(dist, m=1000)
    assert len(lottery.panels) == 1000 and set(lottery.panels) <= set(dist.panels)
    counts = Counter(pid for panel in lottery.panels for pid in panel)
    worst = max(abs(counts[p.id] / 1000 - dist.probabilities[p.id]) for p in people)
    assert worst == pytest.approx(lottery.max_deviation)
    assert worst <= 1 / 1000 + 1e-6


def test_record_is_canonical_and_panel_for_seed_is_stable():
    people, quotas = _instance()
    dist = s.leximin(people, quotas, 4)
    lottery = s.build_lottery(dist, m=50)
    record = s.make_record(dist, lottery, people, quotas)
    again = json.loads(s.canonical_json(record))
    assert s.panel_for_seed(again, SEED) == lottery.panels[s.seed_index(SEED, 50)]
    assert (
        record["lottery"]["sha256"]
        == hashlib.sha256(
            json.dumps(record["lottery"]["panels"], separators=(",", ":")).encode()
        ).hexdigest()
    )
    assert s.canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    tampered = json.loads(s.canonical_json(record))
    tampered["lottery"]["panels"][0] = tampered["lottery"]["panels"][1][::-1]
    with pytest.raises(s.InvalidInput, match="do not match"):
        s.panel_for_seed(tampered, SEED)


def test_golden_hash_tickets():
    assert s.ticket(SEED, "alice").hex() == (
        "c9522caefdd77148bd3f9bc738acdf0a83ba4365be3f057207cdc3b985c4cbd5"
    )
    ids = ["alice", "bob", "carol", "dave", "erin"]
    assert s.hash_order(SEED, ids) == ["bob", "erin", "dave", "carol", "alice"]
    assert s.sample("wave-1", [f"r{i}" for i in range(10)], 3) == ["r1", "r4", "r5"]
    # SHA-256(SEED) = af4d11f0...ff71; below the rejection limit, so the index is h mod 1000.
    assert s.seed_index(SEED, 1000) == 73


def test_seed_index_rejects_and_rehashes_the_incomplete_block():
    m = 2**255 + 1  # almost half of all digests fall in the incomplete last block
    digest = hashlib.sha256(b"x").digest()
    h = int.from_bytes(digest, "big")
    while h >= 2**256 - 2**256 % m:
        digest = hashlib.sha256(digest).digest()
        h = int.from_bytes(digest, "big")
    assert s.seed_index("x", m) == h % m


def test_sampling_rejects_bad_input():
    with pytest.raises(s.InvalidInput):
        s.hash_order("seed", ["a", "a"])
    with pytest.raises(s.InvalidInput):
        s.sample("seed", ["a"], 2)
