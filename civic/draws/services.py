"""Draw use cases: prepare (fair distribution and record), publish, enter the seed. Flush only.

The record is published before the seed exists; the seed (a future public random value) then
selects one panel from the record's lottery (`sortition.panel_for_seed`), or, for a plain draw
without quotas, the first k pseudonyms in hash-ticket order (`sortition.sample`). The people
not selected form the reserve list, in hash-ticket order under the same seed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

import sortition
from civic import audit, clock
from civic.draws.models import Draw, DrawAlgorithm, DrawStatus
from civic.errors import Conflict, InvalidInput, NotFound
from civic.extensions import db
from sortition.csvfiles import escape_cell

SAMPLE_FORMAT = "civic-sample/1"
SEED_MAX = 200
LOTTERY_SIZE = 1000


class DrawWrongState(Conflict):
    code = "draw_wrong_state"
    default_message = _l("This draw has moved on. Please reload the page.")


class DrawInvalid(InvalidInput):
    code = "draw_invalid"


# --- the pool in its public, pseudonymous form ---


def _public_pool(
    pool: Sequence[sortition.Person], quotas: Sequence[sortition.Quota]
) -> tuple[list[sortition.Person], list[dict[str, Any]]]:
    """Keep only the quota features; replace household keys by per-draw labels H1, H2, ...

    The engine sees a household as the CSV reader does (a JSON list of the column values), so
    that `python -m sortition verify --household-columns household` hashes the same pool."""
    features = sorted({q.feature for q in quotas})
    labels: dict[str, str] = {}
    for person in sorted(pool, key=lambda p: p.id):
        if person.household and person.household not in labels:
            labels[person.household] = f"H{len(labels) + 1}"
    people, rows = [], []
    for person in sorted(pool, key=lambda p: p.id):
        values = {f: str(person.features.get(f, "")).strip() for f in features}
        house = labels.get(person.household) if person.household else None
        engine_house = json.dumps([house]) if house else None
        people.append(sortition.Person(person.id.strip(), values, engine_house))
        rows.append({"id": person.id.strip(), "features": values, "household": house})
    return people, rows


def _check_pool(people: Sequence[sortition.Person], k: int) -> None:
    ids = [p.id for p in people]
    if any(not pid or "\x00" in pid or "," in pid for pid in ids):
        raise DrawInvalid(_l("Every person in the pool needs a pseudonym without commas."))
    if len(set(ids)) != len(ids):
        raise DrawInvalid(_l("The pool lists a pseudonym twice."))
    if not 1 <= k <= len(ids):
        raise DrawInvalid(
            _l("Cannot draw %(k)s out of %(n)s people.", k=k, n=len(ids)),
        )


def _sample_record(people: Sequence[sortition.Person], k: int) -> dict[str, Any]:
    return {
        "format": SAMPLE_FORMAT,
        "algorithm": DrawAlgorithm.SAMPLE.value,
        "version": sortition.__version__,
        "k": k,
        "pool_sha256": sortition.pool_sha256(people, []),
        "ids": sorted(p.id for p in people),
        "rule": "the first k ids ordered by SHA-256(UTF-8(seed) || 0x00 || UTF-8(id))",
    }


def _lottery_record(
    people: Sequence[sortition.Person],
    quotas: Sequence[sortition.Quota],
    k: int,
    algorithm: DrawAlgorithm,
    must: Collection[str],
    must_not: Collection[str],
    lottery_size: int,
) -> dict[str, Any]:
    if algorithm == DrawAlgorithm.LEGACY:
        dist = sortition.legacy(people, quotas, k, must=must, must_not=must_not)
    else:
        dist = sortition.leximin(people, quotas, k, must=must, must_not=must_not)
    lottery = sortition.build_lottery(dist, lottery_size)
    return sortition.make_record(dist, lottery, people, quotas, must=must, must_not=must_not)


def prepare_draw(
    purpose: str,
    subject_id: int,
    pool: Sequence[sortition.Person],
    quotas: Sequence[sortition.Quota],
    k: int,
    *,
    must: Collection[str] = (),
    must_not: Collection[str] = (),
    actor: Any,
    algorithm: DrawAlgorithm | None = None,
    lottery_size: int = LOTTERY_SIZE,
    now: datetime | None = None,
) -> Draw | sortition.InfeasibleQuotas:
    """Compute the fair distribution and its public record; infeasible quotas come back as
    the engine's `InfeasibleQuotas` value (conflicts and proposed relaxation), nothing stored.

    Without quotas, must and must-not the draw is a plain hash-ticket sample."""
    now = now or clock.now()
    if algorithm is None:
        plain = not quotas and not must and not must_not
        algorithm = DrawAlgorithm.SAMPLE if plain else DrawAlgorithm.LEXIMIN
    people, rows = _public_pool(pool, quotas)
    _check_pool(people, k)
    try:
        if algorithm == DrawAlgorithm.SAMPLE:
            if quotas or must or must_not:
                raise DrawInvalid(_l("A plain draw takes no quotas."))
            record = _sample_record(people, k)
        else:
            record = _lottery_record(people, quotas, k, algorithm, must, must_not, lottery_size)
    except sortition.InfeasibleQuotas as infeasible:
        return infeasible
    except sortition.InvalidInput as error:
        raise DrawInvalid(str(error)) from error
    text = sortition.canonical_json(record).decode("utf-8")
    draw = Draw(
        purpose=purpose,
        subject_id=subject_id,
        k=k,
        algorithm=algorithm,
        quotas=[
            {"feature": q.feature, "value": q.value, "min": q.min, "max": q.max}
            for q in sorted(quotas, key=lambda q: (q.feature, q.value))
        ],
        pool=rows,
        record=text,
        record_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        status=DrawStatus.PREPARED,
        created_at=now,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(draw)
    db.session.flush()
    audit.record(actor, "draw.prepared", draw, after=draw.as_audit())
    return draw


def get_draw(draw_id: int, *, public: bool = True) -> Draw:
    """The draw; NotFound when missing, or not yet published and `public` is asked."""
    draw = db.session.get(Draw, draw_id)
    if draw is None or (public and not draw.is_public):
        raise NotFound()
    return draw


def _claim(draw: Draw, before: DrawStatus, after: DrawStatus, **values: Any) -> None:
    """Conditional update: a concurrent change wins and this one is refused."""
    changed = db.session.scalar(
        update(Draw)
        .where(Draw.id == draw.id, Draw.status == before)
        .values(status=after, **values)
        .returning(Draw.id)
        .execution_options(synchronize_session=False)
    )
    if changed is None:
        raise DrawWrongState()
    db.session.refresh(draw)


def publish_draw(draw: Draw, actor: Any, now: datetime | None = None) -> Draw:
    """Make the record public; from now on it cannot change, and the seed is still unknown."""
    now = now or clock.now()
    before = draw.as_audit()
    _claim(
        draw,
        DrawStatus.PREPARED,
        DrawStatus.PUBLISHED,
        published_at=now,
        published_by_id=getattr(actor, "id", None),
    )
    audit.record(actor, "draw.published", draw, before, draw.as_audit())
    return draw


def clean_seed(seed: str) -> str:
    """The seed as entered, trimmed; refused when empty, too long or with control characters."""
    text = (seed or "").strip()
    if not text:
        raise DrawInvalid(_l("Enter the public seed."), field="seed")
    if len(text) > SEED_MAX:
        raise DrawInvalid(_l("The seed can be at most 200 characters long."), field="seed")
    if any(ord(c) < 32 for c in text):
        raise DrawInvalid(_l("The seed cannot contain control characters."), field="seed")
    return text


def selection_for(draw: Draw, seed: str) -> tuple[list[str], list[str]]:
    """The selected pseudonyms and the reserve order that `seed` gives; pure over the record."""
    record = json.loads(draw.record)
    if draw.algorithm == DrawAlgorithm.SAMPLE:
        order = sortition.hash_order(seed, record["ids"])
        return order[: draw.k], order[draw.k :]
    selected = list(sortition.panel_for_seed(record, seed))
    chosen = set(selected)
    rest = [p["id"] for p in draw.pool if p["id"] not in chosen]
    return selected, sortition.hash_order(seed, rest)


def enter_seed(draw: Draw, seed: str, actor: Any, now: datetime | None = None) -> Draw:
    """Draw with the public seed (once): store the selected pseudonyms and the reserve order."""
    now = now or clock.now()
    seed = clean_seed(seed)
    if draw.status != DrawStatus.PUBLISHED:
        raise DrawWrongState(_l("Publish the record before entering the seed."))
    selected, reserve = selection_for(draw, seed)
    before = draw.as_audit()
    _claim(
        draw,
        DrawStatus.PUBLISHED,
        DrawStatus.DRAWN,
        seed=seed,
        selected=selected,
        reserve=reserve,
        drawn_at=now,
        drawn_by_id=getattr(actor, "id", None),
    )
    audit.record(actor, "draw.drawn", draw, before, draw.as_audit())
    return draw


# --- the public files ---


def result_json(draw: Draw) -> str:
    """The record plus, once drawn, the seed and the selection: what `verify` checks."""
    data = json.loads(draw.record)
    if draw.status == DrawStatus.DRAWN:
        data["seed"] = draw.seed
        data["selected"] = sorted(draw.selected or [])
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def features_csv(draw: Draw) -> str:
    """The quota table as `python -m sortition` reads it: feature,value,min,max."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["feature", "value", "min", "max"])
    for q in draw.quotas:
        writer.writerow([escape_cell(q["feature"]), escape_cell(q["value"]), q["min"], q["max"]])
    return out.getvalue()


def feature_names(draw: Draw) -> list[str]:
    """The features of the quotas, sorted."""
    return sorted({q["feature"] for q in draw.quotas})


def people_csv(draw: Draw) -> str:
    """The pool as `python -m sortition` reads it: id, one column per feature, household."""
    features = feature_names(draw)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    house = draw.household_column
    writer.writerow([escape_cell(h) for h in ["id", *features, *(["household"] if house else [])]])
    for person in draw.pool:
        row = [person["id"], *(person["features"].get(f, "") for f in features)]
        row += [person.get("household") or ""] if house else []
        writer.writerow([escape_cell(str(cell)) for cell in row])
    return out.getvalue()


def verify_command(draw: Draw) -> str:
    """The exact command that re-derives the selection from the downloaded files."""
    seed = draw.seed if draw.seed is not None else "SEED"
    quoted = "'" + seed.replace("'", "'\"'\"'") + "'"
    if draw.algorithm == DrawAlgorithm.SAMPLE:
        return (
            "python -c \"import json, sys, sortition; r = json.load(open('draw-"
            f"{draw.id}.json')); print(' '.join(sorted(sortition.sample(sys.argv[1], "
            f"r['ids'], r['k']))))\" {quoted}"
        )
    house = " --household-columns household" if draw.household_column else ""
    return (
        f"python -m sortition verify --report draw-{draw.id}.json --seed {quoted} "
        f"--features draw-{draw.id}-features.csv --people draw-{draw.id}-people.csv{house}"
    )


def probabilities(draw: Draw) -> list[tuple[str, float]]:
    """Each pseudonym with its selection probability (k/n for a plain draw)."""
    record = json.loads(draw.record)
    if draw.algorithm == DrawAlgorithm.SAMPLE:
        share = draw.k / len(record["ids"])
        return [(pid, share) for pid in record["ids"]]
    return sorted(record["probabilities"].items())


def summary(draw: Draw) -> dict[str, Any]:
    """The public facts of the record."""
    record = json.loads(draw.record)
    lottery = record.get("lottery", {})
    return {
        "pool_sha256": record["pool_sha256"],
        "quotas_sha256": record.get("quotas_sha256"),
        "k": record["k"],
        "n": len(draw.pool),
        "algorithm": record["algorithm"],
        "version": record["version"],
        "lottery_sha256": lottery.get("sha256"),
        "lottery_m": lottery.get("m"),
        "min_probability": record.get("min_probability", draw.k / max(len(draw.pool), 1)),
        "record_sha256": draw.record_sha256,
    }
