"""Audit rows and the single chain head row that serialises appends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Connection, Integer, String, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column

from civic.db import UTCDateTime
from civic.extensions import db


class AuditEntry(db.Model):  # type: ignore[name-defined,misc]
    """One state change: who did what to which object, before and after."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_label: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(80))
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (db.Index("ix_audit_entry_object", "object_type", "object_id"),)


class AuditHead(db.Model):  # type: ignore[name-defined,misc]
    """A single row (id=1) holding the chain's last sequence number and hash.

    Every append first UPDATEs this row, which takes the write lock on SQLite and a
    row lock on PostgreSQL, so concurrent transactions cannot fork the chain.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


GENESIS_HASH = "0" * 64

# Append-only at the database level too: updates and deletes are refused.
SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
    "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
]
POSTGRES_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_entry is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
]


def install_database_rules(bind: Connection) -> None:
    """Seed the chain head and make audit_entry append-only in the database itself.

    Called after `create_all` (tests, first start) and by the initial migration, so both
    ways of building the schema end with the same rules.
    """
    bind.execute(
        text("INSERT INTO audit_head (id, seq, last_hash) VALUES (1, 0, :h)"), {"h": GENESIS_HASH}
    )
    statements = {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}
    for statement in statements.get(bind.dialect.name, []):
        bind.execute(text(statement))


@event.listens_for(db.metadata, "after_create")
def _after_create(_metadata: object, connection: Connection, **kw: object) -> None:
    tables = {t.name for t in kw.get("tables", ()) or ()}  # type: ignore[attr-defined]
    if not tables or {"audit_entry", "audit_head"} <= tables:
        install_database_rules(connection)
