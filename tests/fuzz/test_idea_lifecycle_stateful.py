"""A stateful Hypothesis test of the idea lifecycle over the real services: submit, edit,
withdraw, screen (accept, reject, merge), vote and withdraw votes, move the clock past
deadlines and sweep, answer reached ideas in public, set up pilots — and illegal attempts.

After every step: each ballot's tally equals its vote rows; every idea moved only along
proposals.rules.TRANSITIONS and is where the model says; the audit log grew by exactly the
state changes the step made; every reached idea has exactly one proposal (others none).
At the end of each run the audit hash chain verifies.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from civic import clock
from civic.accounts.models import Role, User
from civic.accounts.passwords import hash_password
from civic.agencies.models import Agency
from civic.audit.models import AuditEntry
from civic.audit.services import verify_chain
from civic.errors import CivicError
from civic.extensions import db
from proposals import answers, ideas, pilots, screening
from proposals.inbox import proposal_for
from proposals.models import AnswerKind, Idea, OriginType, Proposal
from proposals.rules import TRANSITIONS, IdeaStatus, RejectReason
from tests import conftest
from voting import rules as vote_rules
from voting import services as voting
from voting.models import Ballot, Vote

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
THRESHOLD = 2
VOTERS = 4
CONFIG = {"IDEA_VOTE_RULES": {"afval": {"threshold": THRESHOLD, "months": 1}}}
LEGAL_MOVES = {(before, after) for (before, _), after in TRANSITIONS.items() if before != after}
ACCEPTED = "accepted"  # model-only marker: the idea's ballot exists


def _reset_database(app: Flask) -> None:
    """An empty database for every run: truncate (PostgreSQL) or a fresh template copy."""
    db.session.remove()
    if conftest.ON_POSTGRES:
        conftest._reset_postgres()
        return
    path = db.engine.url.database
    db.engine.dispose()
    assert path, "SQLite file expected"
    shutil.copyfile(conftest._TEMPLATE_DB, path)


def _count(model: Any, *where: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


class IdeaLifecycle(RuleBasedStateMachine):
    """The services driven in random order; a plain model says what must have happened."""

    app: Flask
    ideas_bundle = Bundle("ideas")

    def __init__(self) -> None:
        super().__init__()
        _reset_database(self.app)
        clock.freeze(T0)
        self.status: dict[int, IdeaStatus] = {}  # the model: idea id -> status
        self.previous: dict[int, IdeaStatus] = {}
        self.voted: dict[int, set[int]] = {}  # idea id -> voter ids (while voting)
        self.announced: dict[int, set[Fraction]] = {}
        self.answered: set[int] = set()
        self.piloted: set[int] = set()
        self.expected_audit = 0
        self.step_audit = 0
        self.serial = 0

    # --- set-up ---------------------------------------------------------------------------

    @initialize()
    def people(self) -> None:
        self.agency = Agency(name="Afdeling Afval", slug="afval", service_areas="afval")
        self.agency.response_days = 56
        db.session.add(self.agency)
        db.session.flush()
        self.author = self._user("author@example.org", Role.RESIDENT)
        self.other = self._user("other@example.org", Role.RESIDENT)
        self.moderator = self._user("moderator@example.org", Role.MODERATOR)
        self.officer = self._user("officer@example.org", Role.OFFICER, agency=self.agency)
        self.voters = [
            self._user(f"voter{i}@example.org", Role.RESIDENT, verified=True) for i in range(VOTERS)
        ]
        db.session.commit()
        self.expected_audit = self._audit_rows()

    def _user(
        self, email: str, role: Role, *, agency: Agency | None = None, verified: bool = False
    ) -> User:
        user = User(
            email=email,
            password_hash=hash_password("correct horse battery"),
            role=role,
            agency_id=agency.id if agency else None,
            email_confirmed_at=clock.now(),
            verified_at=clock.now() if verified else None,
        )
        db.session.add(user)
        db.session.flush()
        return user

    # --- helpers --------------------------------------------------------------------------

    def _audit_rows(self) -> int:
        return _count(AuditEntry)

    def _idea(self, idea_id: int) -> Idea:
        idea = db.session.get(Idea, idea_id)
        assert idea is not None
        return idea

    def _commit(self, audit_rows: int) -> None:
        db.session.commit()
        self.expected_audit += audit_rows
        self.step_audit = audit_rows

    def _refused(self, action: Any) -> None:
        """An illegal attempt: refused with a domain error, nothing written."""
        try:
            action()
        except CivicError:
            db.session.rollback()
        else:
            db.session.rollback()
            raise AssertionError("an illegal action was accepted")
        self.step_audit = 0

    def _ideas_in(self, *statuses: IdeaStatus) -> list[int]:
        return sorted(i for i, s in self.status.items() if s in statuses)

    def _milestones(self, idea_id: int, old: int, new: int) -> int:
        """Audit rows for milestones newly met on the idea's ballot (each once per ballot):
        ballot.milestone and one queued e-mail to the author (nobody follows in this model)."""
        crossed = set(vote_rules.milestones_crossed(old, new, THRESHOLD))
        fresh = crossed - self.announced.setdefault(idea_id, set())
        self.announced[idea_id] |= fresh
        return 2 * len(fresh)

    # --- submitting and editing -----------------------------------------------------------

    @rule(target=ideas_bundle, by_other=st.booleans())
    def submit(self, by_other: bool) -> int:
        self.serial += 1
        author = self.other if by_other else self.author
        data = ideas.IdeaData(
            f"Idea {self.serial}", "A problem.", "A change.", "afval", self.agency.id
        )
        idea = ideas.submit_idea(author, data)
        self._commit(1)
        self.status[idea.id] = IdeaStatus.SUBMITTED
        return idea.id

    @rule(idea_id=ideas_bundle, title=st.sampled_from(["Same", "Changed title"]))
    def edit(self, idea_id: int, title: str) -> None:
        idea = self._idea(idea_id)
        data = ideas.IdeaData(title, "A problem.", "A change.", "afval", self.agency.id)
        if self.status[idea_id] != IdeaStatus.SUBMITTED:
            self._refused(lambda: ideas.edit_idea(idea.author, idea, data))
            return
        changed = ideas.edit_idea(idea.author, idea, data)
        self._commit(1 if changed else 0)

    @rule(idea_id=ideas_bundle)
    def withdraw(self, idea_id: int) -> None:
        idea = self._idea(idea_id)
        if self.status[idea_id] != IdeaStatus.SUBMITTED:
            self._refused(lambda: ideas.withdraw_idea(idea.author, idea))
            return
        ideas.withdraw_idea(idea.author, idea)
        self._commit(1)
        self.status[idea_id] = IdeaStatus.WITHDRAWN

    # --- screening ------------------------------------------------------------------------

    @rule(idea_id=ideas_bundle)
    def accept(self, idea_id: int) -> None:
        idea = self._idea(idea_id)
        if self.status[idea_id] != IdeaStatus.SUBMITTED:
            self._refused(lambda: screening.accept_idea(self.moderator, idea))
            return
        screening.accept_idea(self.moderator, idea)
        self._commit(2)  # ballot.opened, idea.accepted
        self.status[idea_id] = IdeaStatus.VOTING
        self.voted[idea_id] = set()

    @rule(idea_id=ideas_bundle, reason=st.sampled_from(list(RejectReason)))
    def reject(self, idea_id: int, reason: RejectReason) -> None:
        idea = self._idea(idea_id)
        text = "Explained." if reason == RejectReason.OTHER else None
        if self.status[idea_id] != IdeaStatus.SUBMITTED:  # voting: only when hidden
            self._refused(lambda: screening.reject_idea(self.moderator, idea, reason, text))
            return
        screening.reject_idea(self.moderator, idea, reason, text)
        self._commit(1)
        self.status[idea_id] = IdeaStatus.REJECTED

    @rule(source_id=ideas_bundle, target_id=ideas_bundle)
    def merge(self, source_id: int, target_id: int) -> None:
        source, target = self._idea(source_id), self._idea(target_id)
        s, t = self.status[source_id], self.status[target_id]
        legal = (
            source_id != target_id
            and t in (IdeaStatus.SUBMITTED, IdeaStatus.VOTING)
            and s in (IdeaStatus.SUBMITTED, IdeaStatus.VOTING)
            and not (s == IdeaStatus.VOTING and t != IdeaStatus.VOTING)
        )
        if not legal:
            self._refused(lambda: screening.merge_idea(self.moderator, source, target))
            return
        old = len(self.voted.get(target_id, ()))
        screening.merge_idea(self.moderator, source, target)
        rows = 1  # idea.merged
        if s == IdeaStatus.VOTING:  # both voting: the votes move along, each voter once
            self.voted[target_id] |= self.voted.pop(source_id)
            rows += 2 + self._milestones(target_id, old, len(self.voted[target_id]))
        self._commit(rows)
        self.status[source_id] = IdeaStatus.MERGED

    # --- voting ---------------------------------------------------------------------------

    @precondition(lambda self: bool(self._ideas_in(IdeaStatus.VOTING)))
    @rule(data=st.data(), voters=st.sets(st.integers(0, VOTERS - 1), min_size=1))
    def vote(self, data: Any, voters: set[int]) -> None:
        """Some voters support an idea being voted on (a repeat is answered idempotently)."""
        idea_id = data.draw(st.sampled_from(self._ideas_in(IdeaStatus.VOTING)))
        idea, votes = self._idea(idea_id), self.voted[idea_id]
        rows = 0
        for user in (self.voters[v] for v in sorted(voters)):
            result = ideas.vote_for(idea, user)
            assert result.created == (user.id not in votes)
            if result.created:
                votes.add(user.id)
                rows += 1 + self._milestones(idea_id, len(votes) - 1, len(votes))
        self._commit(rows)

    @rule(idea_id=ideas_bundle, voter=st.integers(0, VOTERS - 1))
    def vote_elsewhere(self, idea_id: int, voter: int) -> None:
        """A vote on any idea: refused unless it is being voted on."""
        idea, user = self._idea(idea_id), self.voters[voter]
        if self.status[idea_id] != IdeaStatus.VOTING:
            self._refused(lambda: ideas.vote_for(idea, user))
            return
        votes = self.voted[idea_id]
        result = ideas.vote_for(idea, user)
        assert result.created == (user.id not in votes)
        rows = 0
        if result.created:
            votes.add(user.id)
            rows = 1 + self._milestones(idea_id, len(votes) - 1, len(votes))
        self._commit(rows)

    @rule(idea_id=ideas_bundle, voter=st.integers(0, VOTERS - 1))
    def unvote(self, idea_id: int, voter: int) -> None:
        idea, user = self._idea(idea_id), self.voters[voter]
        if self.status[idea_id] != IdeaStatus.VOTING:
            if idea.ballot_id is not None:  # closed ballot: refused
                self._refused(lambda: ideas.withdraw_vote(idea, user))
            return
        removed = ideas.withdraw_vote(idea, user)
        assert removed == (user.id in self.voted[idea_id])
        self.voted[idea_id].discard(user.id)
        self._commit(1 if removed else 0)

    @precondition(lambda self: bool(self._ideas_in(IdeaStatus.SUBMITTED)))
    @rule(data=st.data())
    def accept_waiting(self, data: Any) -> None:
        """The moderator works through the queue (an accepted idea is voted on next)."""
        self.accept(data.draw(st.sampled_from(self._ideas_in(IdeaStatus.SUBMITTED))))

    # --- deadlines ------------------------------------------------------------------------

    @rule(days=st.sampled_from([1, 10, 32, 32]))
    def time_passes(self, days: int) -> None:
        clock.move(timedelta(days=days))
        now = clock.now()
        due = []
        for idea_id in self._ideas_in(IdeaStatus.VOTING):
            ballot = db.session.get(Ballot, self._idea(idea_id).ballot_id)
            assert ballot is not None
            if ballot.closes_at <= now:
                due.append(idea_id)
        closed = voting.close_due_ballots()
        assert sorted(b.subject_id for b in closed) == due
        rows = 0
        for idea_id in due:
            reached = len(self.voted.pop(idea_id)) >= THRESHOLD
            self.status[idea_id] = IdeaStatus.REACHED if reached else IdeaStatus.EXPIRED
            rows += 3 if reached else 2  # ballot.closed, idea.<outcome>, proposal.created
        self._commit(rows)

    @rule()
    def sweep_again(self) -> None:
        """A second sweep at the same moment closes nothing and writes nothing."""
        assert voting.close_due_ballots() == []
        self._commit(0)

    # --- the agency's answer and the pilot ------------------------------------------------

    @precondition(lambda self: bool(set(self._ideas_in(IdeaStatus.REACHED)) - self.answered))
    @rule(data=st.data())
    def answer(self, data: Any) -> None:
        idea_id = data.draw(
            st.sampled_from(sorted(set(self._ideas_in(IdeaStatus.REACHED)) - self.answered))
        )
        proposal = proposal_for(OriginType.IDEA, idea_id)
        assert proposal is not None
        content = answers.AnswerData(AnswerKind.TO_PILOT, "We pilot it", "Ten bins.", "To learn.")
        answers.save_draft(self.officer, proposal, content)
        answers.publish(self.officer, proposal)
        self._commit(2)  # proposal.answer_drafted, proposal.answer_published
        self.answered.add(idea_id)

    @precondition(lambda self: bool(self.answered - self.piloted))
    @rule(data=st.data(), twice=st.booleans())
    def pilot(self, data: Any, twice: bool) -> None:
        idea_id = data.draw(st.sampled_from(sorted(self.answered - self.piloted)))
        proposal = proposal_for(OriginType.IDEA, idea_id)
        assert proposal is not None
        setup = pilots.PilotData("Park bins", "", 20, 5)
        pilots.setup_pilot(self.officer, proposal, setup)
        self._commit(1)  # pilot.set_up
        self.piloted.add(idea_id)
        if twice:  # one pilot per proposal
            self._refused(lambda: pilots.setup_pilot(self.officer, proposal, setup))

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def tallies_equal_vote_rows(self) -> None:
        rows = dict(
            db.session.execute(select(Vote.ballot_id, func.count()).group_by(Vote.ballot_id)).all()
        )
        for ballot in db.session.scalars(select(Ballot)):
            assert ballot.tally == rows.get(ballot.id, 0), (ballot.id, ballot.tally, rows)

    @invariant()
    def statuses_follow_the_model_and_the_transitions(self) -> None:
        stored = dict(db.session.execute(select(Idea.id, Idea.status)).all())
        assert set(stored) == set(self.status)
        for idea_id, status in stored.items():
            assert status == self.status[idea_id], (idea_id, status, self.status[idea_id])
            before = self.previous.get(idea_id)
            if before is not None and before != status:
                assert (before, status) in LEGAL_MOVES, f"idea {idea_id}: {before} -> {status}"
            self.previous[idea_id] = status

    @invariant()
    def one_audit_row_per_change(self) -> None:
        found = self._audit_rows()
        assert found == self.expected_audit, (
            f"audit rows: {found}, expected {self.expected_audit} "
            f"(this step should have written {self.step_audit})"
        )

    @invariant()
    def reached_ideas_have_one_proposal(self) -> None:
        per_idea = dict(
            db.session.execute(
                select(Proposal.origin_id, func.count())
                .where(Proposal.origin_type == OriginType.IDEA)
                .group_by(Proposal.origin_id)
            ).all()
        )
        for idea_id, status in self.status.items():
            expected = 1 if status == IdeaStatus.REACHED else 0
            assert per_idea.get(idea_id, 0) == expected, (idea_id, status, per_idea)

    def teardown(self) -> None:
        db.session.rollback()
        checked, broken = verify_chain()
        assert broken is None, f"audit chain broken at {broken}"
        assert checked == self.expected_audit
        db.session.remove()
        clock.reset()


def test_idea_lifecycle_keeps_its_invariants(app: Flask) -> None:
    app.config.update(CONFIG)
    with app.test_request_context("/?lang=en"):
        IdeaLifecycle.app = app
        run_state_machine_as_test(
            IdeaLifecycle,
            settings=settings(
                max_examples=25,
                stateful_step_count=15,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
