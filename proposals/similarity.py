"""Full-text similarity of ideas: which existing ideas look like a new title?

One entry point, `similar_ideas(text, limit)`, with an implementation per dialect:
- SQLite: an FTS5 table `idea_fts` (external content: the `idea` table) kept in sync by
  triggers; terms are OR-ed prefix queries ranked by bm25 with the title weighted up.
- PostgreSQL: `to_tsvector` over title (weight A) and problem (weight B) with the
  IDEA_SEARCH_CONFIG text-search configuration ('dutch' by default, or 'simple'); the
  words of `plainto_tsquery` are OR-ed and ranked with `ts_rank`. A GIN expression index
  (for the 'dutch' configuration) keeps it fast.

The DDL is attached to the idea table, so `create_all` builds it; Alembic migrations must
run the same statements (`SQLITE_DDL`, `POSTGRES_DDL`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import DDL, Connection, Table, event, text

from civic.extensions import db

SEARCH_CONFIGS = frozenset({"dutch", "simple", "english"})
MAX_QUERY_CHARS = 200
MAX_TERMS = 12
# Words too common to tell ideas apart (Dutch and English).
_STOPWORD_TEXT = (
    "de het een en van in op te voor met aan is dat die er bij om zijn niet ook naar meer "
    "of als dan wordt worden kan moet we ik je the a an of to and for on at is are be by "
    "with more"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

SQLITE_DDL = [
    "CREATE VIRTUAL TABLE idea_fts USING fts5(title, problem, content='idea', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER idea_fts_insert AFTER INSERT ON idea BEGIN "
    "INSERT INTO idea_fts(rowid, title, problem) VALUES (new.id, new.title, new.problem); END",
    "CREATE TRIGGER idea_fts_delete AFTER DELETE ON idea BEGIN "
    "INSERT INTO idea_fts(idea_fts, rowid, title, problem) "
    "VALUES ('delete', old.id, old.title, old.problem); END",
    "CREATE TRIGGER idea_fts_update AFTER UPDATE OF title, problem ON idea BEGIN "
    "INSERT INTO idea_fts(idea_fts, rowid, title, problem) "
    "VALUES ('delete', old.id, old.title, old.problem); "
    "INSERT INTO idea_fts(rowid, title, problem) VALUES (new.id, new.title, new.problem); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS idea_fts_update",
    "DROP TRIGGER IF EXISTS idea_fts_delete",
    "DROP TRIGGER IF EXISTS idea_fts_insert",
    "DROP TABLE IF EXISTS idea_fts",
]


def _document(config: str) -> str:
    return (
        f"(setweight(to_tsvector('{config}'::regconfig, title), 'A') || "
        f"setweight(to_tsvector('{config}'::regconfig, problem), 'B'))"
    )


POSTGRES_DDL = [f"CREATE INDEX ix_idea_fulltext ON idea USING gin ({_document('dutch')})"]


def install_database_rules(bind: Connection) -> None:
    """Build the full-text index on an existing idea table (used by the initial migration)."""
    statements = {"sqlite": SQLITE_DDL, "postgresql": POSTGRES_DDL}
    for statement in statements.get(bind.dialect.name, []):
        bind.execute(text(statement))


def attach_index(table: Table) -> None:
    """Create (and drop) the full-text index together with the idea table."""
    for statement in SQLITE_DDL:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in POSTGRES_DDL:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))
    for statement in SQLITE_DROP:
        event.listen(table, "before_drop", DDL(statement).execute_if(dialect="sqlite"))


@dataclass(frozen=True)
class Match:
    """An existing idea that looks like the text."""

    id: int
    title: str
    status: str


def terms(value: str) -> list[str]:
    """The distinctive words of a text, lower-cased, in order, without repeats."""
    seen: list[str] = []
    for word in re.findall(r"\w+", value[:MAX_QUERY_CHARS].casefold()):
        if len(word) > 1 and word not in STOPWORDS and word not in seen:
            seen.append(word)
    return seen[:MAX_TERMS]


def _public_filter(exclude_id: int | None) -> tuple[str, dict[str, Any]]:
    from proposals.rules import PUBLIC_STATUSES

    statuses = sorted(s.value for s in PUBLIC_STATUSES)
    names = [f"s{i}" for i in range(len(statuses))]
    clause = (
        f"i.hidden_at IS NULL AND i.status IN ({', '.join(':' + n for n in names)})"
        " AND i.id != :exclude"
    )
    return clause, {**dict(zip(names, statuses, strict=True)), "exclude": exclude_id or 0}


def _sqlite(words: list[str], limit: int, exclude_id: int | None) -> list[Match]:
    # Each word quoted (FTS5 syntax cannot leak in) and matched as a prefix.
    query = " OR ".join('"' + w.replace('"', "") + '"*' for w in words)
    clause, params = _public_filter(exclude_id)
    rows = db.session.execute(
        text(
            "SELECT i.id, i.title, i.status FROM idea_fts JOIN idea AS i ON i.id = idea_fts.rowid "
            f"WHERE idea_fts MATCH :query AND {clause} "
            "ORDER BY bm25(idea_fts, 10.0, 1.0), i.id LIMIT :limit"
        ),
        {"query": query, "limit": limit, **params},
    )
    return [Match(int(r[0]), r[1], r[2]) for r in rows]


def search_config() -> str:
    """The PostgreSQL text-search configuration (a fixed list: it is put into SQL)."""
    config = str(current_app.config.get("IDEA_SEARCH_CONFIG", "dutch"))
    if config not in SEARCH_CONFIGS:
        raise ValueError(f"IDEA_SEARCH_CONFIG must be one of {sorted(SEARCH_CONFIGS)}")
    return config


def _postgres(words: list[str], limit: int, exclude_id: int | None) -> list[Match]:
    config = search_config()
    clause, params = _public_filter(exclude_id)
    # plainto_tsquery normalises (stems, drops stop words) and ANDs; OR the lexemes instead.
    query = f"replace(plainto_tsquery('{config}'::regconfig, :text)::text, '&', '|')::tsquery"
    rows = db.session.execute(
        text(
            f"SELECT i.id, i.title, i.status FROM idea AS i, (SELECT {query} AS q) AS s "
            f"WHERE s.q::text != '' AND {_document(config)} @@ s.q AND {clause} "
            f"ORDER BY ts_rank({_document(config)}, s.q) DESC, i.id LIMIT :limit"
        ),
        {"text": " ".join(words), "limit": limit, **params},
    )
    return [Match(int(r[0]), r[1], r[2]) for r in rows]


def similar_ideas(value: str, limit: int = 5, *, exclude_id: int | None = None) -> list[Match]:
    """Public ideas (not hidden or withdrawn) most like `value`, best first."""
    words = terms(value)
    if not words or limit < 1:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        return _postgres(words, limit, exclude_id)
    return _sqlite(words, limit, exclude_id)
