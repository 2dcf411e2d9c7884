"""Dashboard and API at national scale on SQLite, cold and warm, against a bare SQL floor.

Generates 100,000 residents, 5,000 ideas (each with a ballot), 1,000,000 votes and 500
proposals with published answers and ratings, with bulk Core inserts; then times the
dashboard pages and the API's list endpoints cold (empty figure cache) and warm, and a bare
`SELECT count(*)` over the same tables as the floor. Target: warm < 300 ms, cold < 2 s.

Usage: .venv/bin/python benchmarks/dashboard.py
Last line: worst_warm_ms=W worst_cold_ms=C
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text  # noqa: E402

from civic import clock, create_app  # noqa: E402
from civic.extensions import db  # noqa: E402

RESIDENTS, IDEAS, VOTES, PROPOSALS, AGENCIES = 100_000, 5_000, 1_000_000, 500, 12
VOTES_PER_IDEA = VOTES // IDEAS
BATCH = 50_000
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
START = NOW - timedelta(days=730)
PAGES = [
    "/dashboard/?lang=en",
    "/dashboard/?lang=en&period=12m",
    "/dashboard/panels?lang=en",
    "/api/v1/ideas",
    "/api/v1/ballots",
    "/api/v1/proposals",
    "/api/v1/panels",
    "/api/v1/agencies",
]
FLOOR_SQL = "SELECT (SELECT count(*) FROM vote) + (SELECT count(*) FROM idea) + " \
    "(SELECT count(*) FROM user_account) + (SELECT count(*) FROM proposal)"  # fmt: skip


def _bulk(table: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), BATCH):
        db.session.execute(insert(table), rows[i : i + BATCH])


def _people() -> None:
    from civic.accounts.models import User
    from civic.agencies.models import Agency

    _bulk(Agency.__table__, [
        {"id": a + 1, "name": f"Agency {a + 1}", "slug": f"agency-{a + 1}",
         "service_areas": f"area{a + 1}", "response_days": 56} for a in range(AGENCIES)
    ])  # fmt: skip
    _bulk(User.__table__, [
        {"id": u + 1, "email": f"r{u + 1}@bench.invalid", "password_hash": "-", "role": "resident",
         "active": True, "created_at": START, "verified_at": START} for u in range(RESIDENTS)
    ])  # fmt: skip


def _ideas() -> None:
    from proposals.models import Idea
    from voting.models import Ballot

    ballots, ideas = [], []
    for i in range(IDEAS):
        submitted = START + timedelta(minutes=i * 200)
        status = "reached" if i < PROPOSALS else ("voting" if i % 3 else "expired")
        ballots.append(
            {
                "id": i + 1,
                "subject_type": "idea",
                "subject_id": i + 1,
                "opens_at": submitted,
                "closes_at": submitted + timedelta(days=90),
                "threshold": 150,
                "electorate": "verified_residents",
                "status": "open" if status == "voting" else "closed",
                "outcome": None if status == "voting" else status,
                "tally": VOTES_PER_IDEA,
                "milestones_notified": 3,
                "created_at": submitted,
            }
        )
        ideas.append(
            {
                "id": i + 1,
                "title": f"Idea {i + 1}",
                "problem": "p",
                "proposed_change": "c",
                "service_area": f"area{i % AGENCIES + 1}",
                "agency_id": i % AGENCIES + 1,
                "author_id": i % RESIDENTS + 1,
                "status": status,
                "submitted_at": submitted,
                "screening_due_at": submitted,
                "updated_at": submitted,
                "screened_at": submitted,
                "ballot_id": i + 1,
            }
        )
    _bulk(Ballot.__table__, ballots)
    _bulk(Idea.__table__, ideas)


def _votes() -> None:
    from voting.models import Vote

    step = (NOW - START).total_seconds() / VOTES
    rows: list[dict[str, Any]] = []
    n = 0
    for b in range(IDEAS):
        for k in range(VOTES_PER_IDEA):
            n += 1
            # 499 is coprime to 100,000, so one ballot never repeats a voter.
            voter = (b * 7919 + k * 499) % RESIDENTS + 1
            rows.append(
                {
                    "id": n,
                    "ballot_id": b + 1,
                    "voter_id": voter,
                    "choice": "yes",
                    "cast_at": START + timedelta(seconds=n * step),
                }
            )
            if len(rows) == BATCH:
                db.session.execute(insert(Vote.__table__), rows)
                rows = []
    if rows:
        db.session.execute(insert(Vote.__table__), rows)


def _proposals() -> None:
    from proposals.models import Proposal, ProposalAnswer, Rating

    proposals, answers, ratings = [], [], []
    kinds = ("adopted", "adopted_in_part", "rejected", "to_pilot")
    for p in range(PROPOSALS):
        created = START + timedelta(days=p)
        answered = created + timedelta(days=10 + p % 70)
        kind = kinds[p % 4]
        proposals.append(
            {
                "id": p + 1,
                "origin_type": "idea",
                "origin_id": p + 1,
                "agency_id": p % AGENCIES + 1,
                "title": f"Idea {p + 1}",
                "summary": "s",
                "created_at": created,
                "response_due_at": created + timedelta(days=56),
                "status": "answered",
                "answer_kind": kind,
                "answered_at": answered,
            }
        )
        answers.append(
            {
                "proposal_id": p + 1,
                "version": 1,
                "kind": kind,
                "summary": "a",
                "explanation": "e",
                "author_id": 1,
                "created_at": answered,
                "updated_at": answered,
                "published_at": answered,
                "published_by_id": 1,
            }
        )
        ratings += [{"proposal_id": p + 1, "user_id": u + 1, "score": (p + u) % 5 + 1,
                     "created_at": answered} for u in range(p % 7)]  # fmt: skip
    _bulk(Proposal.__table__, proposals)
    _bulk(ProposalAnswer.__table__, answers)
    _bulk(Rating.__table__, ratings)


def generate() -> float:
    """Fill the database; returns the seconds it took."""
    started = time.perf_counter()
    _people()
    _ideas()
    _votes()
    _proposals()
    db.session.execute(text("UPDATE audit_head SET seq = 1 WHERE id = 1"))
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return time.perf_counter() - started


def _ms(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def floor_ms() -> float:
    """Best of five bare counts over the same tables."""
    return min(_ms(lambda: db.session.execute(text(FLOOR_SQL)).scalar()) for _ in range(5))


def time_page(client: Any, url: str) -> tuple[float, float]:
    """(cold, warm) milliseconds: cold right after emptying the figure cache, warm the
    median of five repeats."""
    from civic.dashboard.cache import figure_cache

    def fetch() -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    with client.application.app_context():
        figure_cache().clear()
    cold = _ms(fetch)
    warm = statistics.median(_ms(fetch) for _ in range(5))
    return cold, warm


def main() -> None:
    import plotly.graph_objects  # noqa: F401  (import once, outside the timings)

    folder = Path(tempfile.mkdtemp(prefix="civic-bench-"))
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}"})
    clock.freeze(NOW)
    with app.app_context():
        db.create_all()
        print(f"generated {RESIDENTS} residents, {IDEAS} ideas, {VOTES} votes, "
              f"{PROPOSALS} proposals in {generate():.1f} s")  # fmt: skip
        floor = floor_ms()
    print(f"floor (bare SQL count) {floor:.1f} ms")
    client = app.test_client()
    worst_cold = worst_warm = 0.0
    for url in PAGES:
        cold, warm = time_page(client, url)
        worst_cold, worst_warm = max(worst_cold, cold), max(worst_warm, warm)
        print(f"{url:40} cold {cold:8.1f} ms ({cold / floor:6.1f}x floor)   "
              f"warm {warm:6.1f} ms ({warm / floor:5.2f}x floor)")  # fmt: skip
    print(f"worst_warm_ms={worst_warm:.0f} worst_cold_ms={worst_cold:.0f}")


if __name__ == "__main__":
    main()
