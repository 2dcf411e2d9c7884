"""Pure rules of ideas: states and their transitions, deadlines, reasons, vote settings.

No database, no request, no clock: every function gets `now` and plain values.
"""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

TITLE_MAX = 120
TEXT_MAX = 5000
DEFAULT_SCREENING_DAYS = 14
DEFAULT_THRESHOLD = 2000
DEFAULT_WINDOW_MONTHS = 3
REPORTS_TO_HIDE = 3


class IdeaStatus(enum.StrEnum):
    """Where an idea is in its journey. Hiding (after reports) is a flag beside the status."""

    SUBMITTED = "submitted"  # in the screening queue; the author may still edit it
    VOTING = "voting"  # accepted: its ballot is open
    REACHED = "reached"  # enough votes by the deadline: a proposal in the agency inbox
    EXPIRED = "expired"  # too few votes by the deadline
    REJECTED = "rejected"  # by a moderator, with a coded public reason
    MERGED = "merged"  # into another idea (its votes moved along)
    WITHDRAWN = "withdrawn"  # by its author, before screening


class Action(enum.StrEnum):
    """What can happen to an idea."""

    EDIT = "edit"
    WITHDRAW = "withdraw"
    ACCEPT = "accept"
    REJECT = "reject"
    MERGE = "merge"
    REACH = "reach"
    EXPIRE = "expire"


# The only ways an idea moves; anything else is refused.
TRANSITIONS: dict[tuple[IdeaStatus, Action], IdeaStatus] = {
    (IdeaStatus.SUBMITTED, Action.EDIT): IdeaStatus.SUBMITTED,
    (IdeaStatus.SUBMITTED, Action.WITHDRAW): IdeaStatus.WITHDRAWN,
    (IdeaStatus.SUBMITTED, Action.ACCEPT): IdeaStatus.VOTING,
    (IdeaStatus.SUBMITTED, Action.REJECT): IdeaStatus.REJECTED,
    (IdeaStatus.SUBMITTED, Action.MERGE): IdeaStatus.MERGED,
    # A voting idea can be rejected only after reports hid it (see `can_reject`).
    (IdeaStatus.VOTING, Action.REJECT): IdeaStatus.REJECTED,
    (IdeaStatus.VOTING, Action.MERGE): IdeaStatus.MERGED,
    (IdeaStatus.VOTING, Action.REACH): IdeaStatus.REACHED,
    (IdeaStatus.VOTING, Action.EXPIRE): IdeaStatus.EXPIRED,
}

# Ideas that can receive another idea in a merge.
MERGE_TARGETS = frozenset({IdeaStatus.SUBMITTED, IdeaStatus.VOTING})
# Ideas shown in public lists and similarity suggestions (unless hidden).
PUBLIC_STATUSES = frozenset(IdeaStatus) - {IdeaStatus.WITHDRAWN}


class RejectReason(enum.StrEnum):
    """The coded, public reason of a rejection."""

    DUPLICATE = "duplicate"
    OUTSIDE_REMIT = "outside_remit"
    UNLAWFUL = "unlawful"
    ALREADY_PLANNED = "already_planned"
    OTHER = "other"


class EventKind(enum.StrEnum):
    """An entry of an idea's public timeline."""

    SUBMITTED = "submitted"
    EDITED = "edited"
    WITHDRAWN = "withdrawn"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MERGED = "merged"
    MERGED_IN = "merged_in"
    MILESTONE = "milestone"
    HIDDEN = "hidden"
    RESTORED = "restored"
    REACHED = "reached"
    EXPIRED = "expired"
    ANSWERED = "answered"  # the agency published an answer (proposals.answers)
    PILOT = "pilot"  # a step of the idea's pilot (proposals.pilots)


def next_status(status: IdeaStatus, action: Action) -> IdeaStatus | None:
    """The status after `action`, or None when the action is not possible in `status`."""
    return TRANSITIONS.get((status, action))


def can_reject(status: IdeaStatus, hidden: bool) -> bool:
    """Submitted ideas can be rejected; a voting one only while hidden after reports."""
    if status == IdeaStatus.VOTING:
        return hidden
    return next_status(status, Action.REJECT) is not None


def reason_problem(reason: RejectReason, text: str | None) -> str | None:
    """Why a rejection reason is incomplete ('other' needs an explanation), or None."""
    if reason == RejectReason.OTHER and not (text or "").strip():
        return "text_required"
    return None


def screening_due(submitted_at: datetime, days: int) -> datetime:
    """The moment by which moderators should have screened an idea."""
    return submitted_at + timedelta(days=days)


def screening_overdue(status: IdeaStatus, due_at: datetime, now: datetime) -> bool:
    """A submitted idea whose screening deadline has passed."""
    return status == IdeaStatus.SUBMITTED and now >= due_at


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months later (clamped to the month's end)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class VoteRule:
    """Threshold and window of the ballot of an idea in one service area."""

    threshold: int = DEFAULT_THRESHOLD
    months: int = DEFAULT_WINDOW_MONTHS


def vote_rule(area: str, rules: dict[str, VoteRule], default: VoteRule) -> VoteRule:
    """The rule of a service area (matched ignoring case), else the default."""
    folded = {name.casefold(): rule for name, rule in rules.items()}
    return folded.get(area.casefold(), default)


def hides(open_reports: int, hidden: bool) -> bool:
    """Reports by this many distinct residents hide a visible idea."""
    return not hidden and open_reports >= REPORTS_TO_HIDE
