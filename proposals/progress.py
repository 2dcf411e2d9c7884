"""Progress after an answer to act: updates are appended, never overwritten; done at 100 %."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from civic import audit, clock
from civic.accounts.models import User
from civic.errors import InvalidInput
from civic.extensions import db
from proposals.answers import ACTING_KINDS
from proposals.inbox import notify_stakeholders
from proposals.models import ProgressStatus, ProgressUpdate, Proposal, ProposalStatus

MILESTONE_MAX = 2000

STATUS_LABELS = {
    ProgressStatus.PLANNED: _l("Planned"),
    ProgressStatus.IN_PROGRESS: _l("In progress"),
    ProgressStatus.DELAYED: _l("Delayed"),
    ProgressStatus.DONE: _l("Done"),
}


class ProgressInvalid(InvalidInput):
    """A progress update breaking a rule; `field` names the form field."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(message, field=field)


@dataclass(frozen=True)
class ProgressData:
    """What an officer reports."""

    status: ProgressStatus
    percent: int
    milestone: str
    on_date: date


def progress_problem(
    data: ProgressData, *, acting: bool, done: bool, today: date
) -> tuple[str, Any] | None:
    """The first rule the update breaks, as (field, message), or None. Pure."""
    if not acting:
        return "status", _l("Progress can be reported only after the proposal was adopted.")
    if done:
        return "status", _l("This proposal is done; no further progress can be added.")
    if not 0 <= data.percent <= 100:
        return "percent", _l("Enter a percentage from 0 to 100.")
    if data.status == ProgressStatus.DONE and data.percent != 100:
        return "percent", _l("A proposal is done only at 100 percent.")
    if data.percent == 100 and data.status != ProgressStatus.DONE:
        return "status", _l("At 100 percent the status is 'done'.")
    if not data.milestone.strip():
        return "milestone", _l("Describe the milestone reached.")
    if len(data.milestone) > MILESTONE_MAX:
        return "milestone", _l("Use at most %(n)s characters.", n=MILESTONE_MAX)
    if data.on_date > today:
        return "on_date", _l("The date cannot be in the future.")
    return None


def updates(proposal: Proposal) -> list[ProgressUpdate]:
    """Every update, oldest first (public)."""
    return list(
        db.session.scalars(
            select(ProgressUpdate)
            .where(ProgressUpdate.proposal_id == proposal.id)
            .order_by(ProgressUpdate.id)
        )
    )


def add_update(actor: User, proposal: Proposal, data: ProgressData) -> ProgressUpdate:
    """Append an update; at 100 % the proposal is done. Stakeholders are told."""
    now = clock.now()
    problem = progress_problem(
        data,
        acting=proposal.answer_kind in ACTING_KINDS,
        done=proposal.status == ProposalStatus.DONE,
        today=clock.local(now).date(),
    )
    if problem is not None:
        raise ProgressInvalid(*problem)
    update = ProgressUpdate(
        proposal_id=proposal.id,
        status=data.status,
        percent=data.percent,
        milestone=data.milestone.strip(),
        on_date=data.on_date,
        author_id=actor.id,
        created_at=now,
    )
    db.session.add(update)
    before = proposal.status.value
    if data.status == ProgressStatus.DONE:
        proposal.status = ProposalStatus.DONE
        proposal.done_at = now
    db.session.flush()
    audit.record(
        actor,
        "proposal.progress_added",
        proposal,
        {"status": before},
        {
            "status": proposal.status.value,
            "progress": data.status.value,
            "percent": data.percent,
            "on_date": data.on_date.isoformat(),
        },
    )
    text = f"{STATUS_LABELS[data.status]} ({data.percent} %): {update.milestone}"
    notify_stakeholders(proposal, "progress", text)
    return update
