"""Screening by moderators: accept for voting, reject with a reason, merge, restore. Flush only.

Lock order as in voting: where a ballot changes, the voting service runs first (ballot row,
then audit head), and only then is the idea changed and audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from civic import audit, clock
from civic.accounts.models import User
from civic.errors import InvalidInput, NotFound
from civic.extensions import db
from proposals import rules
from proposals.ideas import WrongState, add_event, claim
from proposals.models import Idea, IdeaReport
from proposals.rules import Action, EventKind, IdeaStatus, RejectReason, VoteRule
from voting import services as voting

ELECTORATE = "verified_residents"
SUBJECT = "idea"


@dataclass(frozen=True)
class QueueItem:
    """An idea waiting for a moderator, with its screening deadline."""

    idea: Idea
    overdue: bool


def screening_queue(now: datetime | None = None) -> list[QueueItem]:
    """Ideas waiting for screening, the earliest deadline first."""
    now = now or clock.now()
    ideas = db.session.scalars(
        select(Idea)
        .where(Idea.status == IdeaStatus.SUBMITTED)
        .order_by(Idea.screening_due_at, Idea.id)
    )
    return [QueueItem(i, rules.screening_overdue(i.status, i.screening_due_at, now)) for i in ideas]


def hidden_ideas() -> list[Idea]:
    """Ideas hidden after reports whose status still allows a decision."""
    return list(
        db.session.scalars(
            select(Idea)
            .where(
                Idea.hidden_at.is_not(None),
                Idea.status.in_([IdeaStatus.SUBMITTED, IdeaStatus.VOTING]),
            )
            .order_by(Idea.hidden_at, Idea.id)
        )
    )


def open_reports(idea: Idea) -> list[IdeaReport]:
    """The reports a moderator has not decided on yet."""
    return list(
        db.session.scalars(
            select(IdeaReport)
            .where(IdeaReport.idea_id == idea.id, IdeaReport.resolved_at.is_(None))
            .order_by(IdeaReport.id)
        )
    )


def vote_rule_for(area: str) -> VoteRule:
    """Threshold and window for an area: IDEA_VOTE_RULES[area], else the defaults."""
    config = current_app.config
    default = VoteRule(
        int(config.get("IDEA_VOTE_THRESHOLD", rules.DEFAULT_THRESHOLD)),
        int(config.get("IDEA_VOTE_MONTHS", rules.DEFAULT_WINDOW_MONTHS)),
    )
    per_area = {
        name: VoteRule(
            int(value.get("threshold", default.threshold)),
            int(value.get("months", default.months)),
        )
        for name, value in (config.get("IDEA_VOTE_RULES") or {}).items()
    }
    return rules.vote_rule(area, per_area, default)


def accept_idea(moderator: User, idea: Idea, now: datetime | None = None) -> Idea:
    """Open the idea's ballot with its service area's threshold and window."""
    now = now or clock.now()
    if idea.hidden:
        raise WrongState(_l("This idea is hidden after reports: restore or reject it first."))
    rule = vote_rule_for(idea.service_area)
    before = claim(idea, Action.ACCEPT, screened_at=now, screened_by_id=moderator.id)
    ballot = voting.open_ballot(
        SUBJECT,
        idea.id,
        opens_at=now,
        closes_at=rules.add_months(now, rule.months),
        threshold=rule.threshold,
        electorate=ELECTORATE,
        actor=moderator,
    )
    idea.ballot_id = ballot.id
    db.session.flush()
    add_event(
        idea,
        EventKind.ACCEPTED,
        now,
        threshold=rule.threshold,
        closes_at=ballot.closes_at.isoformat(),
    )
    audit.record(
        moderator,
        "idea.accepted",
        idea,
        {"status": before.value},
        {**idea.as_audit(), "ballot_id": ballot.id},
    )
    return idea


def _resolve_reports(idea: Idea, now: datetime) -> int:
    result = db.session.execute(
        update(IdeaReport)
        .where(IdeaReport.idea_id == idea.id, IdeaReport.resolved_at.is_(None))
        .values(resolved_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def reject_idea(
    moderator: User,
    idea: Idea,
    reason: RejectReason,
    text: str | None,
    now: datetime | None = None,
) -> Idea:
    """Reject with a coded public reason ('other' needs a text). A voting idea can only be
    rejected while hidden after reports; its ballot is closed first. Content hidden after
    reports stays hidden; the reason is public."""
    now = now or clock.now()
    if not rules.can_reject(idea.status, idea.hidden):
        raise WrongState(_l("This idea can no longer be rejected."))
    if rules.reason_problem(reason, text):
        raise InvalidInput(_l("Explain the reason when you choose 'other'."), field="text")
    if idea.status == IdeaStatus.VOTING and idea.ballot_id is not None:
        # Closed before its deadline: the close hook leaves the idea to us (jobs.py).
        voting.close_ballot(idea.ballot_id, actor=moderator, now=now)
    explanation = (text or "").strip() or None
    before = claim(
        idea,
        Action.REJECT,
        screened_at=now,
        screened_by_id=moderator.id,
        reject_reason=reason,
        reject_text=explanation,
    )
    resolved = _resolve_reports(idea, now)
    add_event(idea, EventKind.REJECTED, now, reason=reason.value, text=explanation)
    audit.record(
        moderator,
        "idea.rejected",
        idea,
        {"status": before.value},
        {**idea.as_audit(), "reason": reason.value, "text": explanation, "reports": resolved},
    )
    return idea


def merge_idea(
    moderator: User, source: Idea, target: Idea, now: datetime | None = None
) -> voting.MergeResult | None:
    """Merge a duplicate into another idea. When both are being voted on, the votes move
    along and a resident who voted on both counts once. Returns voting's MergeResult."""
    now = now or clock.now()
    if source.id == target.id:
        raise InvalidInput(_l("An idea cannot be merged into itself."), field="target")
    if target.status not in rules.MERGE_TARGETS or target.hidden:
        raise InvalidInput(
            _l("Merge into an idea that is waiting for screening or being voted on."),
            field="target",
        )
    if rules.next_status(source.status, Action.MERGE) is None:
        raise WrongState()
    if source.status == IdeaStatus.VOTING and target.status != IdeaStatus.VOTING:
        raise InvalidInput(
            _l("This idea has votes: accept the other idea for voting first, then merge."),
            field="target",
        )
    result = None
    if source.ballot_id is not None and target.ballot_id is not None:
        result = voting.merge_ballot(source.ballot_id, target.ballot_id, actor=moderator, now=now)
    before = claim(
        source,
        Action.MERGE,
        merged_into_id=target.id,
        screened_at=source.screened_at or now,
        screened_by_id=source.screened_by_id or moderator.id,
    )
    moved = result.moved if result else 0
    counted_once = result.already_voted if result else 0
    add_event(source, EventKind.MERGED, now, into=target.id, moved=moved, both=counted_once)
    add_event(target, EventKind.MERGED_IN, now, source=source.id, moved=moved)
    _resolve_reports(source, now)
    audit.record(
        moderator,
        "idea.merged",
        source,
        {"status": before.value},
        {**source.as_audit(), "merged_into": target.id, "moved": moved, "both": counted_once},
    )
    return result


def restore_idea(moderator: User, idea: Idea, now: datetime | None = None) -> Idea:
    """Show a hidden idea again; its reports are settled (they no longer count)."""
    now = now or clock.now()
    changed = db.session.scalar(
        update(Idea)
        .where(Idea.id == idea.id, Idea.hidden_at.is_not(None))
        .values(hidden_at=None)
        .returning(Idea.id)
        .execution_options(synchronize_session=False)
    )
    if changed is None:
        raise WrongState(_l("This idea is not hidden."))
    db.session.refresh(idea)
    resolved = _resolve_reports(idea, now)
    add_event(idea, EventKind.RESTORED, now)
    audit.record(
        moderator, "idea.restored", idea, {"hidden": True}, {"hidden": False, "reports": resolved}
    )
    return idea


def find_target(value: str) -> Idea:
    """The idea to merge into, by number ("12" or "#12")."""
    digits = value.strip().lstrip("#")
    idea = db.session.get(Idea, int(digits)) if digits.isdigit() else None
    if idea is None:
        raise NotFound(_l("There is no idea with this number."), field="target")
    return idea
