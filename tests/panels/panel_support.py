"""Helpers for panel tests: a frozen clock, a small register, a panel, codes and waves."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from civic import clock
from civic.audit.models import AuditEntry
from civic.extensions import db
from panels import codes
from panels.models import (
    Invitation,
    LetterCode,
    Panel,
    PanelStatus,
    RegisterPerson,
    TopicKind,
    Wave,
)
from panels.panel_setup import PanelData, create_panel
from panels.register import register_key
from panels.verification import hmac_key
from panels.waves import WaveRequest, draw_wave
from tests.panels.register_support import csv_bytes, run_import

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def start_clock() -> None:
    """Freeze the clock on a Monday morning in March 2026."""
    clock.freeze(START)


def load_register(rows: Sequence[tuple[Any, ...]]) -> None:
    """Import rows (register_id, household_id, birth_year, gender, area, education)."""
    result = run_import(csv_bytes(rows))
    assert result.ok, [e.message for e in result.errors]


def adults(n: int, start: int = 1, areas: int = 2) -> list[tuple[Any, ...]]:
    """n adults in their own households, spread over `areas` areas."""
    return [
        (f"A{i}", f"HA{i}", 1960 + i % 30, "vm"[i % 2], f"Area {i % areas}", "mbo")
        for i in range(start, start + n)
    ]


def person(register_id: str) -> RegisterPerson:
    """The stored person for a clear register id."""
    key = register_key(register_id, hmac_key())
    found = db.session.scalar(select(RegisterPerson).where(RegisterPerson.register_key == key))
    assert found is not None, register_id
    return found


def make_panel(admin: Any, agency: Any, **changes: Any) -> Panel:
    """A recruiting-ready panel; commit."""
    fields: dict[str, Any] = {
        "topic_kind": TopicKind.LIFE_EVENT,
        "title": "Moving house",
        "description": "Registering a move and everything that follows.",
        "agency_id": agency.id,
        "size": 24,
        "term_months": 18,
        "rotation_months": 6,
        "rotation_percent": 33,
        "rest_months": 24,
        "status": PanelStatus.DRAFT,
    }
    fields.update(changes)
    panel = create_panel(admin, PanelData(**fields))
    db.session.commit()
    return panel


def wave(admin: Any, panel: Panel, size: int, seed: str = "lotto-2026-03-01", **kw: Any) -> Wave:
    """Draw a wave with a deadline three weeks from now; commit."""
    reply_by = kw.pop("reply_by", date(START.year, START.month, 23))
    drawn = draw_wave(admin, panel, WaveRequest(seed=seed, size=size, reply_by=reply_by, **kw))
    db.session.commit()
    return drawn


def invitations(w: Wave) -> list[Invitation]:
    """The wave's invitations in draw order."""
    return list(
        db.session.scalars(
            select(Invitation).where(Invitation.wave_id == w.id).order_by(Invitation.position)
        )
    )


def code_of(invitation: Invitation) -> str:
    """The clear code of an invitation, derived as the letters page does."""
    row = db.session.scalar(select(LetterCode).where(LetterCode.invitation_id == invitation.id))
    assert row is not None
    return codes.display(codes.derive_code(hmac_key(), row.nonce))


def audit_rows(action: str) -> list[AuditEntry]:
    """Audit entries with this action, oldest first."""
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        )
    )


def all_audit_text() -> str:
    """Every audit row's before and after, to look for leaked secrets."""
    return "\n".join(
        f"{e.before or ''} {e.after or ''} {e.object_id}"
        for e in db.session.scalars(select(AuditEntry))
    )
