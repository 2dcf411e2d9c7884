"""What `flask demo` prints: counts per stage (read from the database, so a second run prints
the same) and the accounts table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select

from civic import clock
from civic.audit.models import AuditEntry
from civic.demo.base import DemoUser, demo_password
from civic.demo.people import RESIDENT_PASSWORD, RESIDENTS, resident_email
from civic.extensions import db
from panels.models import Invitation, MembershipStatus, Panel, PanelMembership
from proposals.models import Idea, Proposal, ProposalStatus
from proposals.pilot_models import Pilot
from voting.models import Vote


def _grouped(column: Any) -> str:
    rows = db.session.execute(select(column, func.count()).group_by(column).order_by(column))
    return ", ".join(f"{getattr(k, 'value', k)} {n}" for k, n in rows) or "none"


def _count(model: Any, *where: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def lines() -> list[str]:
    """Counts per stage."""
    now = clock.now()
    overdue = _count(
        Proposal, Proposal.status == ProposalStatus.OPEN, Proposal.response_due_at < now
    )
    members = _count(PanelMembership, PanelMembership.status == MembershipStatus.SERVING)
    return [
        f"ideas: {_grouped(Idea.status)}",
        f"votes: {_count(Vote)}",
        f"proposals: {_grouped(Proposal.status)} (overdue {overdue}); "
        f"answers: {_grouped(Proposal.answer_kind)}",
        f"pilots: {_grouped(Pilot.status)}",
        f"panels: {_count(Panel)}, serving members {members}; "
        f"invitations: {_grouped(Invitation.status)}",
        f"audit entries: {_count(AuditEntry)}",
    ]


def accounts(users: Iterable[tuple[DemoUser, bool]]) -> list[str]:
    """The accounts table, with passwords (demo data only)."""
    out = ["", "Demo accounts:"]
    for spec, created in users:
        state = "new" if created else "exists"
        out.append(
            f"  {spec.role.value:<9} {spec.email:<32} {demo_password(spec.email):<28} ({state})"
        )
    bulk = f"{resident_email(1)} .. {resident_email(RESIDENTS)}"
    out.append(f"  resident  {bulk}  {RESIDENT_PASSWORD}  (verified voters)")
    out.append(
        f"  resident  panellid01..12@rivierstad.demo  {RESIDENT_PASSWORD}"
        "  (panel members who had no account yet)"
    )
    return out
