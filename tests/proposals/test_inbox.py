"""The agency inbox at the service layer: answers, revisions, more time, progress, ratings,
assignment, notes and the accountability figures, on the real database with a moved clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from civic import clock
from civic.accounts.models import Role, User
from civic.errors import Conflict, NotAllowed
from civic.extensions import db
from civic.notifications.models import Notification
from proposals import accountability, answers, inbox, progress
from proposals.answers import AnswerData, AnswerInvalid, answer_problem
from proposals.inbox import create_proposal
from proposals.models import (
    AnswerKind,
    Idea,
    OriginType,
    ProgressStatus,
    ProposalAnswer,
    ProposalStatus,
)
from proposals.progress import ProgressData, ProgressInvalid, progress_problem
from tests.proposals.inbox_support import officer_of, reach
from tests.proposals.support import T0, audit_count

REJECT = AnswerData(AnswerKind.REJECTED, "Not now", "We have no budget this year.", "")


# --- pure rules ---


def _problem(data: AnswerData, **kw: Any) -> str | None:
    args = {"now": T0, "due_at": T0 + timedelta(days=10), "extended": False, "answered": False}
    found = answer_problem(data, **{**args, **kw})
    return found[0] if found else None


def test_a_reason_is_required_for_everything_but_adopted() -> None:
    for kind in AnswerKind:
        data = AnswerData(kind, "Summary", "Explanation", "", T0 + timedelta(days=30))
        expected = None if kind == AnswerKind.ADOPTED else "reason"
        assert _problem(data) == expected, kind
    assert _problem(AnswerData(AnswerKind.REJECTED, "S", "E", "Because")) is None


def test_summary_and_explanation_rules() -> None:
    assert _problem(AnswerData(AnswerKind.ADOPTED, "", "E")) == "summary"
    assert _problem(AnswerData(AnswerKind.ADOPTED, "x" * 201, "E")) == "summary"
    assert _problem(AnswerData(AnswerKind.ADOPTED, "x" * 200, "E")) is None
    assert _problem(AnswerData(AnswerKind.ADOPTED, "S", "  ")) == "explanation"


def test_more_time_needs_a_later_date_once_and_before_the_answer() -> None:
    later = T0 + timedelta(days=30)
    more = AnswerData(AnswerKind.NEEDS_MORE_TIME, "S", "E", "Research", later)
    assert _problem(more) is None
    assert _problem(more, extended=True) == "kind"
    assert _problem(more, answered=True) == "kind"
    no_date = AnswerData(AnswerKind.NEEDS_MORE_TIME, "S", "E", "Research")
    assert _problem(no_date) == "new_due_at"
    earlier = AnswerData(AnswerKind.NEEDS_MORE_TIME, "S", "E", "R", T0 + timedelta(days=5))
    assert _problem(earlier) == "new_due_at"


def test_progress_rules() -> None:
    today = date(2026, 3, 2)

    def problem(status: ProgressStatus, percent: int, **kw: Any) -> str | None:
        data = ProgressData(status, percent, "Milestone", today)
        found = progress_problem(data, **{"acting": True, "done": False, "today": today, **kw})
        return found[0] if found else None

    assert problem(ProgressStatus.IN_PROGRESS, 40) is None
    assert problem(ProgressStatus.DONE, 100) is None
    assert problem(ProgressStatus.DONE, 90) == "percent"
    assert problem(ProgressStatus.IN_PROGRESS, 100) == "status"
    assert problem(ProgressStatus.IN_PROGRESS, 101) == "percent"
    assert problem(ProgressStatus.IN_PROGRESS, 40, acting=False) == "status"
    assert problem(ProgressStatus.IN_PROGRESS, 40, done=True) == "status"


def test_overdue_and_days_late() -> None:
    due = T0
    assert not inbox.is_overdue(ProposalStatus.OPEN, due, due)
    assert inbox.is_overdue(ProposalStatus.OPEN, due, due + timedelta(seconds=1))
    assert not inbox.is_overdue(ProposalStatus.ANSWERED, due, due + timedelta(days=3))
    assert inbox.days_late(due, due + timedelta(hours=1)) == 1
    assert inbox.days_late(due, due + timedelta(days=1, hours=23)) == 1
    assert inbox.days_late(due, due + timedelta(days=3)) == 3
    assert inbox.days_late(due, due - timedelta(days=3)) == 0
    assert inbox.escalation_due(None, due)
    assert not inbox.escalation_due(due, due + timedelta(days=6, hours=23))
    assert inbox.escalation_due(due, due + timedelta(days=7))


# --- answers ---


@pytest.fixture()
def reached(voting_idea: Callable[..., Idea], residents: Callable[..., list[User]]) -> Any:
    return reach(voting_idea, residents)


@pytest.fixture()
def officer(agency: Any, make_user: Callable[..., User]) -> User:
    return officer_of(make_user, agency)


def _notified(kind: str) -> list[int]:
    query = select(Notification.user_id).where(Notification.kind == kind)
    return sorted(db.session.scalars(query.order_by(Notification.user_id)))


def test_draft_is_private_until_published_then_immutable(
    reached: Any, officer: User, author: User
) -> None:
    proposal = reached.proposal
    with pytest.raises(AnswerInvalid) as refused:
        answers.save_draft(officer, proposal, REJECT)
    assert refused.value.details["field"] == "reason"
    db.session.rollback()

    data = AnswerData(AnswerKind.REJECTED, "Not now", "No budget this year.", "Budget is spent.")
    answers.save_draft(officer, proposal, data)
    db.session.commit()
    assert answers.published_answers(proposal) == []
    assert proposal.status == ProposalStatus.OPEN
    assert _notified("answer") == []

    first = answers.publish(officer, proposal)
    db.session.commit()
    assert (first.version, first.kind, proposal.status) == (1, AnswerKind.REJECTED, "answered")
    assert proposal.answered_at == clock.now()
    assert answers.draft_of(proposal) is None
    stakeholders = sorted([author.id, *(v.id for v in reached.voters)])
    assert _notified("answer") == stakeholders
    assert audit_count("proposal.answer_drafted") == 1
    assert audit_count("proposal.answer_published") == 1

    first.summary = "Changed behind the public's back"
    with pytest.raises(ValueError, match="never changed"):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(answers.NoDraft):
        answers.publish(officer, proposal)


def test_a_revision_is_a_new_version_and_the_first_stays(reached: Any, officer: User) -> None:
    proposal = reached.proposal
    answers.save_draft(officer, proposal, REJECT.__class__(**{**REJECT.__dict__, "reason": "R"}))
    answers.publish(officer, proposal)
    db.session.commit()
    clock.move(timedelta(days=3))
    revised = AnswerData(AnswerKind.ADOPTED_IN_PART, "Ten bins", "We place ten bins.", "Budget")
    answers.save_draft(officer, proposal, revised)
    answers.publish(officer, proposal)
    db.session.commit()
    history = answers.published_answers(proposal)
    assert [(a.version, a.kind, a.summary) for a in history] == [
        (1, AnswerKind.REJECTED, "Not now"),
        (2, AnswerKind.ADOPTED_IN_PART, "Ten bins"),
    ]
    assert proposal.answer_kind == AnswerKind.ADOPTED_IN_PART
    assert proposal.answered_at == history[0].published_at  # the first answer counts
    assert audit_count("proposal.answer_published") == 2


def test_more_time_moves_the_deadline_once(reached: Any, officer: User) -> None:
    proposal = reached.proposal
    old_due = proposal.response_due_at
    new_due = old_due + timedelta(days=28)
    more = AnswerData(AnswerKind.NEEDS_MORE_TIME, "We need a survey", "First we count.", "Survey")
    answers.save_draft(officer, proposal, AnswerData(**{**more.__dict__, "new_due_at": new_due}))
    answers.publish(officer, proposal)
    db.session.commit()
    assert proposal.response_due_at == new_due
    assert proposal.status == ProposalStatus.OPEN
    assert proposal.answered_at is None
    again = AnswerData(**{**more.__dict__, "new_due_at": new_due + timedelta(days=7)})
    with pytest.raises(AnswerInvalid) as refused:
        answers.save_draft(officer, proposal, again)
    assert "only once" in str(refused.value.message)


def test_idea_timeline_shows_the_published_answer(reached: Any, officer: User) -> None:
    from proposals.ideas import timeline

    answers.save_draft(officer, reached.proposal, AnswerData(AnswerKind.ADOPTED, "Yes", "Ok."))
    db.session.commit()
    before = [e.kind.value for e in timeline(reached.idea)]
    answers.publish(officer, reached.proposal)
    db.session.commit()
    after = [e.kind.value for e in timeline(reached.idea)]
    assert after[: len(before)] == before
    assert after[len(before) :] == ["answered"]
    assert timeline(reached.idea)[-1].data["summary"] == "Yes"


# --- progress ---


def test_progress_only_after_adoption_appended_done_at_100(reached: Any, officer: User) -> None:
    proposal = reached.proposal
    step = ProgressData(ProgressStatus.IN_PROGRESS, 40, "Bins ordered", date(2026, 6, 1))
    with pytest.raises(ProgressInvalid):
        progress.add_update(officer, proposal, step)
    db.session.rollback()
    answers.save_draft(officer, proposal, AnswerData(AnswerKind.ADOPTED, "Yes", "We do it."))
    answers.publish(officer, proposal)
    db.session.commit()
    progress.add_update(officer, proposal, step)
    db.session.commit()
    with pytest.raises(ProgressInvalid) as refused:
        progress.add_update(
            officer, proposal, ProgressData(ProgressStatus.DONE, 90, "Nearly", date(2026, 6, 1))
        )
    assert refused.value.details["field"] == "percent"
    db.session.rollback()
    done = ProgressData(ProgressStatus.DONE, 100, "All ten bins placed", date(2026, 6, 2))
    progress.add_update(officer, proposal, done)
    db.session.commit()
    assert proposal.status == ProposalStatus.DONE
    assert [(u.percent, u.status) for u in progress.updates(proposal)] == [
        (40, ProgressStatus.IN_PROGRESS),
        (100, ProgressStatus.DONE),
    ]
    assert audit_count("proposal.progress_added") == 2
    assert len(_notified("progress")) == 2 * 4  # author and three voters, twice
    with pytest.raises(ProgressInvalid):
        progress.add_update(officer, proposal, done)


# --- ratings ---


def test_voters_rate_once_others_cannot(reached: Any, officer: User, author: User) -> None:
    proposal = reached.proposal
    voter, other = reached.voters[0], reached.voters[1]
    with pytest.raises(Conflict):
        answers.rate(voter, proposal, 4)
    answers.save_draft(officer, proposal, AnswerData(AnswerKind.ADOPTED, "Yes", "We do it."))
    answers.publish(officer, proposal)
    db.session.commit()
    assert answers.can_rate(proposal, voter)
    answers.rate(voter, proposal, 4, "Good")
    db.session.commit()
    assert not answers.can_rate(proposal, voter)
    with pytest.raises(answers.AlreadyRated):
        answers.rate(voter, proposal, 5)
    db.session.rollback()
    with pytest.raises(NotAllowed):
        answers.rate(officer, proposal, 5)
    with pytest.raises(AnswerInvalid):
        answers.rate(other, proposal, 6)
    answers.rate(other, proposal, 1)
    db.session.commit()
    assert answers.rating_summary(proposal) == (2.5, 2)
    assert audit_count("proposal.rated") == 2


# --- assignment and notes ---


def test_assign_only_to_an_officer_of_the_same_agency(
    reached: Any, officer: User, make_user: Callable[..., User], make_agency: Callable[..., Any]
) -> None:
    proposal = reached.proposal
    colleague = officer_of(make_user, proposal.agency)
    stranger = officer_of(make_user, make_agency("Afdeling Verkeer"))
    resident = make_user(Role.RESIDENT)
    for wrong in (stranger, resident):
        with pytest.raises(inbox.InboxInvalid):
            inbox.assign(officer, proposal, wrong.id)
    inbox.assign(officer, proposal, colleague.id)
    db.session.commit()
    assert proposal.assignee_id == colleague.id
    inbox.assign(officer, proposal, colleague.id)  # no change, no audit entry
    inbox.assign(officer, proposal, None)
    db.session.commit()
    assert proposal.assignee_id is None
    assert audit_count("proposal.assigned") == 2


def test_notes_are_kept_for_staff_only(reached: Any, officer: User) -> None:
    with pytest.raises(inbox.InboxInvalid):
        inbox.add_note(officer, reached.proposal, "  ")
    inbox.add_note(officer, reached.proposal, "Call the park manager first")
    db.session.commit()
    assert [n.body for n in inbox.notes(reached.proposal)] == ["Call the park manager first"]
    assert audit_count("proposal.note_added") == 1
    entry = db.session.scalar(select(ProposalAnswer))
    assert entry is None


# --- accountability figures ---


def test_accountability_figures(agency: Any, officer: User, make_user: Callable[..., User]) -> None:
    """Five proposals: answered after 10, 20 and 70 days (the last one late), one open and
    overdue, one open in time."""
    made = []
    for n in range(5):
        made.append(
            create_proposal(
                OriginType.PANEL, n + 1, agency=agency, title=f"P{n}", summary="S", actor=None
            )
        )
    db.session.commit()
    kinds = [AnswerKind.ADOPTED, AnswerKind.REJECTED, AnswerKind.ADOPTED_IN_PART]
    for proposal, days, kind in zip(made, (10, 20, 70), kinds, strict=False):
        clock.freeze(T0 + timedelta(days=days))
        answers.save_draft(officer, proposal, AnswerData(kind, "S", "E", "R"))
        answers.publish(officer, proposal)
        db.session.commit()
    made[4].response_due_at = T0 + timedelta(days=200)
    db.session.commit()
    clock.freeze(T0 + timedelta(days=60))
    figures = accountability.figures(agency.id, T0 + timedelta(days=80))
    assert figures.total == 5
    assert figures.open_items == 2
    assert figures.answered == 3
    assert figures.median_response_days == 20.0
    assert figures.adoption_rate == pytest.approx(2 / 3)
    # Due so far: three answered (two in time) and one overdue open item.
    assert figures.on_time_share == pytest.approx(2 / 4)
    assert [(o.proposal.id, o.days_late) for o in figures.overdue] == [(made[3].id, 24)]
    assert figures.average_rating is None
    even = accountability.figures(agency.id, T0 + timedelta(days=80))
    assert even == figures
