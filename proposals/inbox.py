"""The agency inbox, minimal for now: a proposal is created once per origin.

The full inbox (assignment, responses, progress, escalation) builds on `Proposal` and
`create_proposal`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from civic import audit, clock
from civic.agencies.models import Agency
from civic.extensions import db
from proposals.models import OriginType, Proposal, ProposalStatus


def proposal_for(origin_type: OriginType, origin_id: int) -> Proposal | None:
    """The proposal made from this origin, if any."""
    return db.session.scalar(
        select(Proposal).where(Proposal.origin_type == origin_type, Proposal.origin_id == origin_id)
    )


def create_proposal(
    origin_type: OriginType,
    origin_id: int,
    *,
    agency: Agency,
    title: str,
    summary: str,
    actor: Any,
    now: datetime | None = None,
) -> Proposal:
    """Put a proposal in `agency`'s inbox, answer due after the agency's response days.

    Once per origin: an existing proposal is returned unchanged (the unique constraint on
    origin decides a race, rolling the losing transaction back)."""
    existing = proposal_for(origin_type, origin_id)
    if existing is not None:
        return existing
    now = now or clock.now()
    proposal = Proposal(
        origin_type=origin_type,
        origin_id=origin_id,
        agency_id=agency.id,
        title=title[:200],
        summary=summary,
        created_at=now,
        response_due_at=now + timedelta(days=agency.response_days),
        status=ProposalStatus.OPEN,
    )
    db.session.add(proposal)
    db.session.flush()
    audit.record(
        actor,
        "proposal.created",
        proposal,
        after={
            "origin": f"{origin_type.value}:{origin_id}",
            "agency_id": agency.id,
            "status": proposal.status.value,
            "response_due_at": proposal.response_due_at.isoformat(),
        },
    )
    return proposal
