"""Pure rules of ideas: no app, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from proposals import rules
from proposals.rules import Action, IdeaStatus, RejectReason, VoteRule

T = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "action", "after"),
    [
        (IdeaStatus.SUBMITTED, Action.ACCEPT, IdeaStatus.VOTING),
        (IdeaStatus.SUBMITTED, Action.WITHDRAW, IdeaStatus.WITHDRAWN),
        (IdeaStatus.VOTING, Action.REACH, IdeaStatus.REACHED),
        (IdeaStatus.VOTING, Action.EXPIRE, IdeaStatus.EXPIRED),
        (IdeaStatus.VOTING, Action.EDIT, None),
        (IdeaStatus.VOTING, Action.WITHDRAW, None),
        (IdeaStatus.REACHED, Action.MERGE, None),
        (IdeaStatus.REJECTED, Action.ACCEPT, None),
        (IdeaStatus.EXPIRED, Action.REACH, None),
    ],
)
def test_transitions(status: IdeaStatus, action: Action, after: IdeaStatus | None) -> None:
    assert rules.next_status(status, action) == after


def test_final_states_have_no_way_out() -> None:
    final = {
        IdeaStatus.REACHED,
        IdeaStatus.EXPIRED,
        IdeaStatus.REJECTED,
        IdeaStatus.MERGED,
        IdeaStatus.WITHDRAWN,
    }
    assert not [key for key in rules.TRANSITIONS if key[0] in final]


def test_a_voting_idea_is_rejected_only_while_hidden() -> None:
    assert rules.can_reject(IdeaStatus.SUBMITTED, hidden=False)
    assert not rules.can_reject(IdeaStatus.VOTING, hidden=False)
    assert rules.can_reject(IdeaStatus.VOTING, hidden=True)
    assert not rules.can_reject(IdeaStatus.EXPIRED, hidden=True)


def test_other_reason_needs_text() -> None:
    assert rules.reason_problem(RejectReason.OTHER, " ") == "text_required"
    assert rules.reason_problem(RejectReason.OTHER, "Because") is None
    assert rules.reason_problem(RejectReason.DUPLICATE, None) is None


def test_screening_deadline_and_overdue() -> None:
    due = rules.screening_due(T, 14)
    assert due == T + timedelta(days=14)
    assert not rules.screening_overdue(IdeaStatus.SUBMITTED, due, due - timedelta(seconds=1))
    assert rules.screening_overdue(IdeaStatus.SUBMITTED, due, due)
    assert not rules.screening_overdue(IdeaStatus.VOTING, due, due + timedelta(days=1))


def test_calendar_months_clamp_to_the_month_end() -> None:
    assert rules.add_months(T, 3) == datetime(2027, 2, 28, 12, 0, tzinfo=UTC)
    assert rules.add_months(T, 1) == datetime(2026, 12, 30, 12, 0, tzinfo=UTC)
    assert rules.add_months(T, 14) == datetime(2028, 1, 30, 12, 0, tzinfo=UTC)


def test_vote_rule_per_area_ignoring_case() -> None:
    default = VoteRule()
    assert (default.threshold, default.months) == (2000, 3)
    per_area = {"Afval": VoteRule(500, 2)}
    assert rules.vote_rule("afval", per_area, default) == VoteRule(500, 2)
    assert rules.vote_rule("parken", per_area, default) == default


def test_three_reports_hide_once() -> None:
    assert not rules.hides(2, hidden=False)
    assert rules.hides(3, hidden=False)
    assert not rules.hides(4, hidden=True)
