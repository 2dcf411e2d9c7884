"""How fresh the public figures are: the audit chain's head is the data version.

Every state change writes exactly one audit row in its own transaction, so the head's
sequence number changes whenever any public figure could have changed. Reading it is one
primary-key lookup; caches and HTTP validators key on it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from civic.audit.models import AuditEntry, AuditHead
from civic.extensions import db


def data_version() -> int:
    """The sequence number of the last audit row (0 on an empty database)."""
    return int(db.session.scalar(select(AuditHead.seq).where(AuditHead.id == 1)) or 0)


def changed_at(version: int) -> datetime | None:
    """When the data last changed: the time of audit row `version` (None when there is none)."""
    if version <= 0:
        return None
    return db.session.scalar(select(AuditEntry.at).where(AuditEntry.seq == version))
