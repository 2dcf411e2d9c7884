"""Overdue with a moved clock: shown in public with the days late; the agency's lead gets an
escalation e-mail once a week, not more, through the real scheduler slots."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from civic import clock
from civic.accounts.models import User
from civic.extensions import db
from civic.scheduling import RunResult, run_due
from proposals import answers, inbox
from proposals.answers import AnswerData
from proposals.models import AnswerKind, Idea
from tests.proposals.inbox_support import officer_of, reach
from tests.proposals.support import audit_count, outbox

JOB = "proposals.escalate_overdue"


def test_overdue_is_public_and_escalated_once_a_week(
    app: Flask,
    client: FlaskClient,
    voting_idea: Callable[..., Idea],
    residents: Callable[..., list[User]],
    agency: Any,
) -> None:
    agency.lead_email = "lead@afval.example.org"
    db.session.commit()
    reached = reach(voting_idea, residents)
    proposal = reached.proposal
    page_url = f"/agencies/{agency.slug}/proposals/{proposal.id}"
    assert "overdue" not in client.get(f"{page_url}?lang=en").get_data(as_text=True)

    clock.freeze(proposal.response_due_at + timedelta(minutes=1))
    for _day in range(21):  # the job every day for three weeks
        clock.move(timedelta(days=1))
        assert run_due(app, JOB) == RunResult.RAN
        assert run_due(app, JOB) == RunResult.SKIPPED  # same slot: never twice
    mails = outbox("proposal.escalation")
    assert len(mails) == 3
    assert {m.to_address for m in mails} == {"lead@afval.example.org"}
    assert "1 days late" in mails[0].subject or "1 dagen te laat" in mails[0].subject
    assert audit_count("proposal.escalated") == 3

    public = client.get(f"{page_url}?lang=en").get_data(as_text=True)
    assert "overdue, 21 days late" in public
    agency_page = client.get(f"/agencies/{agency.slug}?lang=en").get_data(as_text=True)
    assert "overdue, 21 days late" in agency_page
    dutch = client.get(f"/agencies/{agency.slug}?lang=nl").get_data(as_text=True)
    assert "21 dagen te laat" in dutch


def test_overdue_notifies_stakeholders_once_and_an_answer_stops_escalation(
    app: Flask,
    voting_idea: Callable[..., Idea],
    residents: Callable[..., list[User]],
    agency: Any,
    make_user: Callable[..., User],
) -> None:
    from sqlalchemy import func, select

    from civic.notifications.models import Notification

    reached = reach(voting_idea, residents)
    proposal = reached.proposal
    clock.freeze(proposal.response_due_at + timedelta(days=1))
    assert [p.id for p in inbox.escalate_overdue()] == [proposal.id]
    db.session.commit()
    clock.move(timedelta(days=7))
    inbox.escalate_overdue()
    db.session.commit()
    overdue = select(func.count()).select_from(Notification).where(Notification.kind == "overdue")
    assert db.session.scalar(overdue) == 4  # author and three voters, once
    officer = officer_of(make_user, agency)
    answers.save_draft(officer, proposal, AnswerData(AnswerKind.ADOPTED, "Yes", "We do it."))
    answers.publish(officer, proposal)
    db.session.commit()
    clock.move(timedelta(days=7))
    assert inbox.escalate_overdue() == []
    assert outbox("proposal.escalation") == []  # no lead address: nothing mailed
    assert audit_count("proposal.escalated") == 2
