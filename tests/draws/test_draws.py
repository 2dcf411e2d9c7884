"""Public draws: prepare, publish, seed; the downloads verify with `python -m sortition`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

import sortition
from civic.accounts.models import Role
from civic.audit.models import AuditEntry
from civic.draws import services
from civic.draws.models import Draw, DrawAlgorithm, DrawStatus
from civic.errors import Conflict, InvalidInput, NotFound
from civic.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def _pool(n: int = 12, households: bool = False) -> list[sortition.Person]:
    people = []
    for i in range(n):
        features = {"gender": "f" if i % 2 else "m", "area": "Noord" if i % 3 else "Zuid"}
        house = f"hh-secret-{i // 2}" if households and i < 4 else None
        people.append(sortition.Person(f"P{i + 1}", features, house))
    return people


QUOTAS = [
    sortition.Quota("gender", "f", 2, 2),
    sortition.Quota("gender", "m", 2, 2),
    sortition.Quota("area", "Noord", 2, 3),
    sortition.Quota("area", "Zuid", 1, 2),
]


def _audit_count(action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )


def _drawn(make_user: Any, households: bool = False, seed: str = "lotto 2026-03-07") -> Draw:
    admin = make_user(Role.ADMIN)
    draw = services.prepare_draw("panel", 1, _pool(households=households), QUOTAS, 4, actor=admin)
    assert isinstance(draw, Draw)
    services.publish_draw(draw, admin)
    services.enter_seed(draw, seed, admin)
    db.session.commit()
    return draw


def _download(client: FlaskClient, draw: Draw, tmp_path: Path) -> None:
    n = draw.id
    for name in (f"draw-{n}.json", f"draw-{n}-features.csv", f"draw-{n}-people.csv"):
        response = client.get(f"/draws/{n}/{name}")
        assert response.status_code == 200, name
        (tmp_path / name).write_bytes(response.data)


def _run_verify(draw: Draw, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    command = services.verify_command(draw)
    assert command.startswith("python -m sortition verify ")
    n = draw.id
    args = [
        "--report", f"draw-{n}.json", "--seed", draw.seed,
        "--features", f"draw-{n}-features.csv", "--people", f"draw-{n}-people.csv",
    ]  # fmt: skip
    if draw.household_column:
        args += ["--household-columns", "household"]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "sortition", "verify", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("households", [False, True])
def test_downloaded_files_verify_with_the_sortition_command(
    app: Any, client: FlaskClient, make_user: Any, tmp_path: Path, households: bool
) -> None:
    draw = _drawn(make_user, households=households)
    _download(client, draw, tmp_path)
    result = _run_verify(draw, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == sorted(draw.selected)
    assert len(draw.selected) == 4
    # The reserve is every other pseudonym, in hash-ticket order under the same seed.
    rest = [p["id"] for p in draw.pool if p["id"] not in draw.selected]
    assert draw.reserve == sortition.hash_order(draw.seed, rest)


def test_a_changed_seed_or_pool_fails_verification(
    app: Any, client: FlaskClient, make_user: Any, tmp_path: Path
) -> None:
    draw = _drawn(make_user)
    _download(client, draw, tmp_path)
    people = tmp_path / f"draw-{draw.id}-people.csv"
    people.write_text(people.read_text().replace("Noord", "Zuid", 1))
    result = _run_verify(draw, tmp_path)
    assert result.returncode == 3
    assert "pool hash" in result.stderr


def test_record_is_pseudonymous_and_household_keys_are_replaced(app: Any, make_user: Any) -> None:
    draw = _drawn(make_user, households=True)
    text = draw.record + json.dumps(draw.pool)
    assert "hh-secret" not in text
    assert {p["household"] for p in draw.pool} == {"H1", "H2", None}
    assert services.people_csv(draw).splitlines()[0] == "id,area,gender,household"


def test_published_record_hash_matches_the_download(
    app: Any, client: FlaskClient, make_user: Any
) -> None:
    admin = make_user(Role.ADMIN)
    draw = services.prepare_draw("panel", 1, _pool(), QUOTAS, 4, actor=admin)
    db.session.commit()
    assert client.get(f"/draws/{draw.id}").status_code == 404  # prepared: not public yet
    services.publish_draw(draw, admin)
    db.session.commit()
    page = client.get(f"/draws/{draw.id}").get_data(as_text=True)
    assert draw.record_sha256 in page
    assert "python -m sortition verify" in page
    raw = client.get(f"/draws/{draw.id}/draw-{draw.id}-record.json").data
    import hashlib

    assert hashlib.sha256(raw).hexdigest() == draw.record_sha256
    assert raw == sortition.canonical_json(json.loads(raw))


def test_infeasible_quotas_come_back_as_a_value(app: Any, make_user: Any) -> None:
    admin = make_user(Role.ADMIN)
    quotas = [sortition.Quota("gender", "f", 3, 4), sortition.Quota("gender", "m", 3, 4)]
    result = services.prepare_draw("pilot", 7, _pool(), quotas, 4, actor=admin)
    assert isinstance(result, sortition.InfeasibleQuotas)
    assert result.conflicts and result.relaxation
    assert db.session.scalar(select(func.count()).select_from(Draw)) == 0


def test_states_are_enforced_and_audited_once(app: Any, make_user: Any) -> None:
    admin = make_user(Role.ADMIN)
    draw = services.prepare_draw("panel", 1, _pool(), QUOTAS, 4, actor=admin)
    with pytest.raises(Conflict):
        services.enter_seed(draw, "too early", admin)
    services.publish_draw(draw, admin)
    with pytest.raises(Conflict):
        services.publish_draw(draw, admin)
    with pytest.raises(InvalidInput):
        services.enter_seed(draw, "   ", admin)
    services.enter_seed(draw, "seed", admin)
    with pytest.raises(Conflict):
        services.enter_seed(draw, "another seed", admin)
    db.session.commit()
    assert draw.status == DrawStatus.DRAWN and draw.seed == "seed"
    for action in ("draw.prepared", "draw.published", "draw.drawn"):
        assert _audit_count(action) == 1


def test_plain_draw_is_a_hash_ticket_sample(
    app: Any, client: FlaskClient, make_user: Any, tmp_path: Path
) -> None:
    admin = make_user(Role.ADMIN)
    pool = [sortition.Person(f"V{i}", {}) for i in range(1, 11)]
    draw = services.prepare_draw("pilot", 3, pool, [], 3, actor=admin)
    assert draw.algorithm == DrawAlgorithm.SAMPLE
    services.publish_draw(draw, admin)
    services.enter_seed(draw, "beacon round 123", admin)
    db.session.commit()
    ids = [p.id for p in pool]
    assert draw.selected == sortition.sample("beacon round 123", ids, 3)
    assert draw.reserve == sortition.hash_order("beacon round 123", ids)[3:]
    # The documented one-liner re-derives it from the downloaded record.
    (tmp_path / f"draw-{draw.id}.json").write_bytes(
        client.get(f"/draws/{draw.id}/draw-{draw.id}.json").data
    )
    command = services.verify_command(draw).replace("python -c", f"{sys.executable} -c", 1)
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        command, shell=True, cwd=tmp_path, capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == sorted(draw.selected)


def test_bad_pools_are_refused(app: Any, make_user: Any) -> None:
    admin = make_user(Role.ADMIN)
    with pytest.raises(InvalidInput):
        services.prepare_draw("pilot", 1, _pool(3), [], 4, actor=admin)
    twice = [sortition.Person("A", {}), sortition.Person("A", {})]
    with pytest.raises(InvalidInput):
        services.prepare_draw("pilot", 1, twice, [], 1, actor=admin)
    with pytest.raises(NotFound):
        services.get_draw(999)
