"""`flask demo` loads a municipality with an account of every role and a history through the
real services: ideas at every stage, answers, a pilot, a panel. A second run changes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from civic import clock
from civic.accounts.models import Role, User
from civic.accounts.passwords import verify_password
from civic.audit.models import AuditEntry
from civic.audit.services import verify_chain
from civic.demo import USERS, demo_password
from civic.draws.models import Draw, DrawStatus
from civic.extensions import db
from civic.mail.models import OutboxMessage
from panels.models import (
    Invitation,
    InvitationStatus,
    LetterCode,
    Meeting,
    MembershipStatus,
    Panel,
    PanelMembership,
    PanelStatus,
    Recommendation,
    RecommendationStatus,
    Reply,
    ReplyChannel,
    ResidentLink,
    StepRating,
)
from proposals.models import (
    AnswerKind,
    Idea,
    OriginType,
    ProgressUpdate,
    Proposal,
    ProposalAnswer,
    ProposalStatus,
    Rating,
)
from proposals.pilot_models import Decision, Outcome, Pilot, PilotStatus, Rollout, Tester
from proposals.rules import IdeaStatus
from voting.models import Ballot, Vote
from voting.rules import BallotStatus

COUNTED = (
    User, AuditEntry, Idea, Vote, Ballot, Proposal, ProposalAnswer, ProgressUpdate, Rating,
    Pilot, Tester, Draw, Panel, Invitation, Reply, PanelMembership, Meeting, StepRating,
    Recommendation, ResidentLink, LetterCode, OutboxMessage,
)  # fmt: skip


def _counts() -> dict[str, int]:
    return {
        m.__name__: db.session.scalar(select(func.count()).select_from(m)) or 0 for m in COUNTED
    }


def _all(model: Any, *where: Any) -> list[Any]:
    return list(db.session.scalars(select(model).where(*where)))


def _check_accounts(output: str) -> None:
    assert {u.role for u in _all(User)} == set(Role)
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN))
    assert admin is not None and admin.password_hash.startswith("$argon2id$")
    assert verify_password(admin.password_hash, demo_password(admin.email))
    assert all(demo_password(u.email) in output for u in USERS)  # credentials printed
    resident = db.session.scalar(select(User).where(User.email == "resident@rivierstad.demo"))
    link = db.session.scalar(select(ResidentLink).where(ResidentLink.user_id == resident.id))
    code = db.session.get(LetterCode, link.code_id)
    assert resident.is_verified and code.redeemed_by_id == resident.id  # a real redemption


def _check_ideas(now: Any) -> None:
    ideas = _all(Idea)
    assert {i.status for i in ideas} == set(IdeaStatus)
    waiting = [i for i in ideas if i.status == IdeaStatus.SUBMITTED]
    assert sorted(i.screening_due_at < now for i in waiting) == [False, True]  # one overdue
    assert all(i.reject_reason for i in ideas if i.status == IdeaStatus.REJECTED)
    voting = next(i for i in ideas if i.status == IdeaStatus.VOTING)
    ballot = db.session.get(Ballot, voting.ballot_id)
    assert ballot.status == BallotStatus.OPEN and ballot.closes_at > now
    assert 0 < ballot.tally < ballot.threshold  # a progress bar partway
    assert all(b.tally == len(_all(Vote, Vote.ballot_id == b.id)) for b in _all(Ballot))
    for idea in ideas:
        if idea.status == IdeaStatus.REACHED:
            assert db.session.scalar(
                select(Proposal.id).where(
                    Proposal.origin_type == OriginType.IDEA, Proposal.origin_id == idea.id
                )
            )


def _check_inbox(now: Any) -> None:
    proposals = _all(Proposal)
    assert {AnswerKind.ADOPTED, AnswerKind.REJECTED, AnswerKind.TO_PILOT} <= {
        p.answer_kind for p in proposals
    }
    published = _all(ProposalAnswer, ProposalAnswer.published_at.is_not(None))
    assert AnswerKind.NEEDS_MORE_TIME in {a.kind for a in published}
    assert max(a.version for a in published) == 2  # one revised answer
    done = [p for p in proposals if p.status == ProposalStatus.DONE]
    assert done and any(u.percent == 100 for u in _all(ProgressUpdate))
    assert any(p.status == ProposalStatus.OPEN and p.response_due_at < now for p in proposals)
    assert any(p.origin_type == OriginType.PANEL for p in proposals)
    assert _all(Rating)


def _check_pilot(now: Any) -> None:
    (pilot,) = _all(Pilot)
    assert pilot.status == PilotStatus.ROLLOUT_PLANNED and len(pilot.criteria) == 2
    assert _all(Decision)[0].outcome == Outcome.GO
    assert _all(Rollout)[0].planned_for > clock.local(now).date()
    assert pilot.draw.status == DrawStatus.DRAWN and pilot.draw.seed
    assert len(_all(Tester)) == pilot.testers


def _check_panel() -> None:
    (panel,) = _all(Panel)
    assert panel.status == PanelStatus.ACTIVE and panel.title == "Verhuizen"
    seats = _all(PanelMembership, PanelMembership.status == MembershipStatus.SERVING)
    assert len(seats) == panel.size
    statuses = {i.status for i in _all(Invitation)}
    assert statuses == set(InvitationStatus) - {InvitationStatus.PENDING}
    clerk_replies = _all(Reply, Reply.channel != ReplyChannel.WEB)
    assert clerk_replies and all(r.recorded_by_id for r in clerk_replies)
    assert all(m.held_at for m in _all(Meeting)) and _all(StepRating)
    adopted = _all(Recommendation, Recommendation.status == RecommendationStatus.ADOPTED)
    assert adopted and all(r.submission_id for r in adopted)
    assert _all(Recommendation, Recommendation.status == RecommendationStatus.REJECTED)
    draw = db.session.scalar(select(Draw).where(Draw.purpose == "panel"))
    assert draw.status == DrawStatus.DRAWN and draw.seed


def test_demo_loads_every_stage_and_is_idempotent(runner: Any) -> None:
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    now = clock.now()
    _check_accounts(first.output)
    _check_ideas(now)
    _check_inbox(now)
    _check_pilot(now)
    _check_panel()
    checked, broken = verify_chain()
    assert broken is None and checked == _counts()["AuditEntry"]
    latest = db.session.scalar(select(func.max(AuditEntry.at)))
    assert latest is not None and latest <= now  # history lies in the past
    assert "ideas: " in first.output and "voting 1" in first.output
    counts = _counts()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert "already loaded" in second.output
    assert _counts() == counts


def test_demo_is_refused_in_production(app: Any, runner: Any) -> None:
    app.config["SESSION_COOKIE_SECURE"] = True
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0 and "production" in result.output
    assert _counts()["User"] == 0
