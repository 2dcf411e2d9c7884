"""Writing and checking the audit chain."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from sqlalchemy import select, update

from civic import clock
from civic.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from civic.audit.rules import ChainRow, diff, first_broken, row_hash
from civic.extensions import db


class Actor(Protocol):
    """Anything that acts: a user (id and a label) or the system."""

    id: int


def _actor_fields(actor: Any) -> tuple[int | None, str]:
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor[:120]
    return actor.id, f"user:{actor.id}"


def _claim_head() -> tuple[int, str]:
    """Lock the chain head for this transaction and return the next seq and previous hash."""
    result = db.session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.last_hash)
    ).first()
    if result is None:
        db.session.add(AuditHead(id=1, seq=1, last_hash=GENESIS_HASH))
        db.session.flush()
        return 1, GENESIS_HASH
    return int(result[0]), str(result[1])


def record(
    actor: Any,
    action: str,
    obj: Any,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
) -> AuditEntry:
    """Append one audit row in the current transaction (the caller commits)."""
    actor_id, actor_label = _actor_fields(actor)
    before_text, after_text = diff(before, after)
    seq, prev_hash = _claim_head()
    row = ChainRow(
        seq=seq,
        at=clock.now(),
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=object_type or type(obj).__name__,
        object_id=object_id if object_id is not None else str(getattr(obj, "id", obj)),
        before=before_text,
        after=after_text,
        prev_hash=prev_hash,
    )
    digest = row_hash(row)
    entry = AuditEntry(**{**row.__dict__, "hash": digest})
    db.session.add(entry)
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=digest))
    db.session.flush()
    return entry


def _chain_rows(batch: int = 5000) -> Iterator[ChainRow]:
    last = 0
    while True:
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not entries:
            return
        for e in entries:
            yield ChainRow(
                e.seq,
                e.at,
                e.actor_id,
                e.actor_label,
                e.action,
                e.object_type,
                e.object_id,
                e.before,
                e.after,
                e.prev_hash,
                e.hash,
            )
        last = entries[-1].seq


def verify_chain() -> tuple[int, tuple[int, str] | None]:
    """Check every row in order; return (rows checked, first break or None)."""
    count = 0

    def counted() -> Iterator[ChainRow]:
        nonlocal count
        for row in _chain_rows():
            count += 1
            yield row

    broken = first_broken(counted(), GENESIS_HASH)
    if broken is None:
        head = db.session.get(AuditHead, 1)
        if head is not None and head.seq != count:
            return count, (count + 1, f"rows missing at the end: head says {head.seq}")
    return count, broken


def entries_for(object_type: str, object_id: str) -> list[AuditEntry]:
    """The history of one object, oldest first."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
            .order_by(AuditEntry.seq)
        )
    )
