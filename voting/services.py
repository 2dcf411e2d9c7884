"""Ballot use cases: open, vote, withdraw, close, merge, reconcile. Flush, never commit.

Concurrency rules (SQLite and PostgreSQL alike):
- One vote per voter is the UNIQUE(ballot_id, voter_id) constraint, used through
  INSERT ... ON CONFLICT DO NOTHING: no exception, no SAVEPOINT, the caller's
  transaction stays usable. (A SAVEPOINT opened before any write misbehaves on pysqlite:
  its RELEASE commits the whole transaction.)
- Every change to a ballot's votes first updates the ballot row (the tally, conditional
  on the ballot still being open at `now`). That row lock serialises changes per ballot,
  and is taken before the audit head, so writers always lock in the same order.
- Close and reconcile lock all the ballots they touch in ONE statement first, then count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any, NoReturn

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, delete, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from civic import audit, clock
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.extensions import db
from voting import rules
from voting.models import Ballot, Vote
from voting.rules import BallotStatus, Choice, Counts, Outcome, Problem, Refusal

Eligibility = Callable[[Any, Ballot], bool]
CloseHook = Callable[[Ballot], None]
MilestoneHook = Callable[[Ballot, Fraction], None]


class BallotClosed(Conflict):
    code = "ballot_closed"
    default_message = _l("Voting on this has closed.")


class BallotNotOpenYet(Conflict):
    code = "ballot_not_open_yet"
    default_message = _l("Voting on this has not started yet.")


class NotInElectorate(NotAllowed):
    code = "not_in_electorate"
    default_message = _l("You are not among the people who can vote on this.")


class AlreadyVoted(Conflict):
    code = "already_voted"
    default_message = _l(
        "You have already voted differently on this. Withdraw your vote first to change it."
    )


PROBLEM_MESSAGES = {
    Problem.WINDOW: _l("The closing time must be after the opening time."),
    Problem.THRESHOLD: _l("The number of votes needed must be at least 1."),
    Problem.QUORUM: _l("The quorum must be at least 1."),
    Problem.QUORUM_WITH_THRESHOLD: _l("A vote with a threshold has no quorum."),
}


@dataclass(frozen=True)
class CastResult:
    """The voter's vote; `created` is False when the same vote was already there."""

    vote: Vote
    created: bool
    tally: int


@dataclass(frozen=True)
class MergeResult:
    """Votes moved to the receiving ballot, and voters who had voted on both (counted once)."""

    moved: int
    already_voted: int


@dataclass(frozen=True)
class TallyRepair:
    """A ballot whose stored tally differed from its vote rows, and the repair."""

    ballot_id: int
    recorded: int
    counted: int


# --- registries: electorates and hooks (filled at import time by the owning packages) ---

_electorates: dict[str, Eligibility] = {}
_close_hooks: dict[str, list[CloseHook]] = defaultdict(list)
_milestone_hooks: dict[str, list[MilestoneHook]] = defaultdict(list)


def register_electorate(kind: str, predicate: Eligibility) -> None:
    """Say who belongs to electorates `kind` or `kind:<anything>` (e.g. "panel" for "panel:7")."""
    _electorates[kind] = predicate


def on_close(subject_type: str, callback: CloseHook) -> Callable[[], None]:
    """Call `callback(ballot)` in the closing transaction whenever a ballot on a subject of
    this type closes (outcome set). Returns a function that removes the hook."""
    _close_hooks[subject_type].append(callback)
    return lambda: _close_hooks[subject_type].remove(callback)


def on_milestone(subject_type: str, callback: MilestoneHook) -> Callable[[], None]:
    """Call `callback(ballot, fraction)` in the voting transaction, once per ballot and
    milestone (1/3, 2/3 of the threshold). Returns a function that removes the hook."""
    _milestone_hooks[subject_type].append(callback)
    return lambda: _milestone_hooks[subject_type].remove(callback)


def _verified_resident(voter: Any, ballot: Ballot) -> bool:
    return bool(getattr(voter, "is_verified", False) and getattr(voter, "is_active", True))


register_electorate("verified_residents", _verified_resident)


def _electorate_predicate(electorate: str) -> Eligibility | None:
    return _electorates.get(electorate.split(":", 1)[0])


# --- opening ---


def open_ballot(
    subject_type: str,
    subject_id: int,
    *,
    opens_at: datetime,
    closes_at: datetime,
    threshold: int | None,
    electorate: str,
    actor: Any,
    quorum: int | None = None,
) -> Ballot:
    """Open a ballot on a subject; at most one open ballot per subject."""
    problems = rules.ballot_problems(opens_at, closes_at, threshold, quorum)
    if problems:
        raise InvalidInput(PROBLEM_MESSAGES[problems[0]], problems=",".join(problems))
    if _electorate_predicate(electorate) is None:
        raise InvalidInput(_l("Unknown group of voters."), electorate=electorate)
    already = db.session.scalar(
        select(Ballot.id).where(
            Ballot.subject_type == subject_type,
            Ballot.subject_id == subject_id,
            Ballot.status == BallotStatus.OPEN,
        )
    )
    if already is not None:  # the partial unique index decides a race
        raise Conflict(_l("Voting on this is already open."), ballot_id=already)
    ballot = Ballot(
        subject_type=subject_type,
        subject_id=subject_id,
        opens_at=opens_at,
        closes_at=closes_at,
        threshold=threshold,
        quorum=quorum,
        electorate=electorate,
        status=BallotStatus.OPEN,
        tally=0,
        milestones_notified=0,
        created_at=clock.now(),
    )
    db.session.add(ballot)
    db.session.flush()
    audit.record(actor, "ballot.opened", ballot, after=ballot.as_audit())
    return ballot


# --- voting ---


def get_ballot(ballot_id: int) -> Ballot:
    """The ballot, or NotFound."""
    ballot = db.session.get(Ballot, ballot_id)
    if ballot is None:
        raise NotFound()
    return ballot


def vote_of(ballot_id: int, voter_id: int) -> Vote | None:
    """The voter's current vote on the ballot, if any."""
    return db.session.scalar(
        select(Vote).where(Vote.ballot_id == ballot_id, Vote.voter_id == voter_id)
    )


def _refuse_if_not_open(ballot: Ballot, now: datetime, *, withdrawing: bool = False) -> None:
    reason = rules.refusal(ballot.status, ballot.opens_at, ballot.closes_at, now)
    if reason == Refusal.CLOSED:
        if withdrawing:
            raise BallotClosed(
                _l("Voting on this has closed, so votes can no longer be withdrawn.")
            )
        raise BallotClosed()
    if reason == Refusal.NOT_OPEN_YET:
        raise BallotNotOpenYet()


def _change_tally(ballot: Ballot, delta: int, now: datetime | None) -> int | None:
    """Add `delta` to the tally, locking the ballot row; with `now`, only while the ballot
    is open at `now` (None when it is not). Without `now`: unconditional (compensation)."""
    statement = update(Ballot).where(Ballot.id == ballot.id)
    if now is not None:
        statement = statement.where(
            Ballot.status == BallotStatus.OPEN, Ballot.opens_at <= now, Ballot.closes_at > now
        )
    tally = db.session.scalar(
        statement.values(tally=Ballot.tally + delta)
        .returning(Ballot.tally)
        .execution_options(synchronize_session=False)
    )
    if tally is not None:
        set_committed_value(ballot, "tally", tally)
    return tally


def _refuse_after_lost_race(
    ballot: Ballot, now: datetime, *, withdrawing: bool = False
) -> NoReturn:
    """The conditional tally update matched nothing: the ballot closed in the meantime."""
    db.session.refresh(ballot)
    _refuse_if_not_open(ballot, now, withdrawing=withdrawing)
    raise BallotClosed()  # pragma: no cover - refresh always shows why


def _insert_vote(ballot_id: int, voter_id: int, choice: Choice, now: datetime) -> Vote | None:
    """INSERT ... ON CONFLICT DO NOTHING; the new vote, or None if the voter had one."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(Vote)
        .values(ballot_id=ballot_id, voter_id=voter_id, choice=choice, cast_at=now)
        .on_conflict_do_nothing(index_elements=["ballot_id", "voter_id"])
        .returning(Vote)
    )
    vote: Vote | None = db.session.scalar(statement)
    return vote


def _repeat(ballot: Ballot, existing: Vote, choice: Choice) -> CastResult:
    """A second cast by the same voter: the same choice is answered idempotently."""
    if existing.choice != choice:
        raise AlreadyVoted(choice=str(existing.choice))
    return CastResult(existing, False, ballot.tally)


def _check_choice(ballot: Ballot, choice: Choice | str) -> Choice:
    try:
        value = Choice(choice)
    except ValueError:
        value = None
    if value is None or value not in rules.allowed_choices(ballot.threshold):
        raise InvalidInput(_l("This is not a valid choice for this vote."), choice=str(choice))
    return value


def _check_eligible(ballot: Ballot, voter: Any, eligible: Eligibility | None) -> None:
    predicate = eligible or _electorate_predicate(ballot.electorate)
    if predicate is None:
        raise LookupError(f"no electorate registered for {ballot.electorate!r}")
    if not predicate(voter, ballot):
        raise NotInElectorate()


def cast_vote(
    ballot_id: int,
    voter: Any,
    *,
    choice: Choice | str = Choice.YES,
    eligible: Eligibility | None = None,
    now: datetime | None = None,
) -> CastResult:
    """Record `voter`'s vote: one per voter (a repeat with the same choice is answered with
    the existing vote, `created=False`), refused once the close has passed by the clock
    even if no sweep closed the ballot yet. `eligible(voter, ballot)` overrides the
    ballot's electorate rule. Tally, vote row and audit row change in the same transaction."""
    now = now or clock.now()
    ballot = get_ballot(ballot_id)
    _refuse_if_not_open(ballot, now)
    value = _check_choice(ballot, choice)
    existing = vote_of(ballot.id, voter.id)
    if existing is not None:  # cheap answer to a double click; the constraint decides races
        return _repeat(ballot, existing, value)
    _check_eligible(ballot, voter, eligible)
    tally = _change_tally(ballot, +1, now)
    if tally is None:
        _refuse_after_lost_race(ballot, now)
    vote = _insert_vote(ballot.id, voter.id, value, now)
    if vote is None:  # the same voter's concurrent request won the unique constraint
        _change_tally(ballot, -1, None)
        winner = vote_of(ballot.id, voter.id)
        if winner is None:  # ... and was withdrawn again in the meantime
            raise Conflict(_l("Your vote changed at the same moment. Please try again."))
        return _repeat(ballot, winner, value)
    audit.record(
        voter,
        "vote.cast",
        ballot,
        before={"tally": tally - 1},
        after={"tally": tally, "choice": value.value},
    )
    _announce_milestones(ballot, tally - 1, tally)
    return CastResult(vote, True, tally)


def withdraw_vote(ballot_id: int, voter: Any, *, now: datetime | None = None) -> bool:
    """Remove `voter`'s vote until the close; False when there was none to remove."""
    now = now or clock.now()
    ballot = get_ballot(ballot_id)
    _refuse_if_not_open(ballot, now, withdrawing=True)
    existing = vote_of(ballot.id, voter.id)
    if existing is None:
        return False
    tally = _change_tally(ballot, -1, now)
    if tally is None:
        _refuse_after_lost_race(ballot, now, withdrawing=True)
    removed = db.session.execute(
        delete(Vote)
        .where(Vote.ballot_id == ballot.id, Vote.voter_id == voter.id)
        .returning(Vote.choice)
        .execution_options(synchronize_session=False)
    ).first()
    db.session.expunge(existing)
    if removed is None:  # a concurrent withdrawal by the same voter got there first
        _change_tally(ballot, +1, None)
        return False
    audit.record(
        voter,
        "vote.withdrawn",
        ballot,
        before={"tally": tally + 1, "choice": str(removed[0])},
        after={"tally": tally},
    )
    return True


def _announce_milestones(ballot: Ballot, old_tally: int, new_tally: int) -> list[Fraction]:
    """Claim each newly met milestone (once per ballot, by a conditional bit update)."""
    announced = []
    for milestone in rules.milestones_crossed(old_tally, new_tally, ballot.threshold):
        bit = rules.milestone_bit(milestone)
        mask = db.session.scalar(
            update(Ballot)
            .where(Ballot.id == ballot.id, Ballot.milestones_notified.op("&")(bit) == 0)
            .values(milestones_notified=Ballot.milestones_notified.op("|")(bit))
            .returning(Ballot.milestones_notified)
            .execution_options(synchronize_session=False)
        )
        if mask is None:  # announced before (the tally dipped and came back)
            continue
        set_committed_value(ballot, "milestones_notified", mask)
        audit.record(
            None,
            "ballot.milestone",
            ballot,
            after={"milestone": str(milestone), "tally": new_tally},
        )
        for hook in list(_milestone_hooks.get(ballot.subject_type, ())):
            hook(ballot, milestone)
        announced.append(milestone)
    return announced


# --- closing ---


def _counts(ballot_ids: list[int]) -> dict[int, Counts]:
    """Votes per choice per ballot, counted from the vote rows."""
    rows: dict[int, list[tuple[Choice, int]]] = defaultdict(list)
    result = db.session.execute(
        select(Vote.ballot_id, Vote.choice, func.count())
        .where(Vote.ballot_id.in_(ballot_ids))
        .group_by(Vote.ballot_id, Vote.choice)
    )
    for ballot_id, choice, count in result:
        rows[ballot_id].append((choice, count))
    return {ballot_id: Counts.of(rows.get(ballot_id, [])) for ballot_id in ballot_ids}


def _load(ballot_ids: list[int]) -> list[Ballot]:
    statement: Select[tuple[Ballot]] = (
        select(Ballot)
        .where(Ballot.id.in_(ballot_ids))
        .order_by(Ballot.id)
        .execution_options(populate_existing=True)
    )
    return list(db.session.scalars(statement))


def _settle(ballot_ids: list[int], actor: Any) -> list[Ballot]:
    """Set the outcome of ballots this transaction just closed (rows locked), audit, hooks."""
    if not ballot_ids:
        return []
    counts = _counts(ballot_ids)
    ballots = _load(ballot_ids)
    for ballot in ballots:
        counted = counts[ballot.id]
        if ballot.tally != counted.total:
            _repair(ballot, counted.total, actor)
        ballot.outcome = rules.outcome(counted, ballot.threshold, ballot.quorum)
        db.session.flush()
        audit.record(
            actor,
            "ballot.closed",
            ballot,
            before={"status": BallotStatus.OPEN.value},
            after={
                "status": BallotStatus.CLOSED.value,
                "outcome": ballot.outcome.value,
                "yes": counted.yes,
                "no": counted.no,
                "abstain": counted.abstain,
            },
        )
        _run_close_hooks(ballot)
    return ballots


def _run_close_hooks(ballot: Ballot) -> None:
    for hook in list(_close_hooks.get(ballot.subject_type, ())):
        hook(ballot)


def close_due_ballots(
    now: datetime | None = None, *, actor: Any = None, limit: int | None = None
) -> list[Ballot]:
    """Close every open ballot whose closing time has passed, exactly once even when run
    concurrently, and return the ones THIS call closed (outcome set, hooks called)."""
    now = now or clock.now()
    due = select(Ballot.id).where(Ballot.status == BallotStatus.OPEN, Ballot.closes_at <= now)
    if limit is not None:
        due = due.order_by(Ballot.closes_at, Ballot.id).limit(limit)
    claimed = db.session.scalars(
        update(Ballot)
        .where(Ballot.id.in_(due.scalar_subquery()), Ballot.status == BallotStatus.OPEN)
        .values(status=BallotStatus.CLOSED, closed_at=now)
        .returning(Ballot.id)
        .execution_options(synchronize_session=False)
    ).all()
    return _settle(sorted(claimed), actor or "scheduler")


def close_ballot(ballot_id: int, *, actor: Any, now: datetime | None = None) -> Ballot:
    """Close one open ballot now, before (or after) its closing time, e.g. at a meeting's end."""
    now = now or clock.now()
    get_ballot(ballot_id)
    claimed = db.session.scalar(
        update(Ballot)
        .where(Ballot.id == ballot_id, Ballot.status == BallotStatus.OPEN)
        .values(status=BallotStatus.CLOSED, closed_at=now)
        .returning(Ballot.id)
        .execution_options(synchronize_session=False)
    )
    if claimed is None:
        raise BallotClosed(_l("This vote is already closed."))
    return _settle([ballot_id], actor)[0]


# --- merging duplicates ---


def _move_votes(source_id: int, into_id: int) -> int:
    """Copy the source's votes to the receiving ballot, skipping voters already there."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    rows = select(literal(into_id), Vote.voter_id, Vote.choice, Vote.cast_at)
    statement = (
        dialect.insert(Vote)
        .from_select(
            ["ballot_id", "voter_id", "choice", "cast_at"], rows.where(Vote.ballot_id == source_id)
        )
        .on_conflict_do_nothing(index_elements=["ballot_id", "voter_id"])
        .returning(Vote.id)
    )
    return len(db.session.scalars(statement).all())


def merge_ballot(
    source_id: int, into_id: int, *, actor: Any, now: datetime | None = None
) -> MergeResult:
    """Move an open ballot's votes into another open ballot (a duplicate subject) and close
    the source as MERGED. A voter who voted on both is counted once."""
    now = now or clock.now()
    if source_id == into_id:
        raise InvalidInput(_l("A vote cannot be merged into itself."))
    source, into = get_ballot(source_id), get_ballot(into_id)
    for ballot in (source, into):
        _refuse_if_not_open(ballot, now)
    if (source.threshold is None) != (into.threshold is None):
        raise InvalidInput(_l("Only votes of the same kind can be merged."))
    locked = db.session.scalars(
        update(Ballot)
        .where(Ballot.id.in_([source_id, into_id]), Ballot.status == BallotStatus.OPEN)
        .values(tally=Ballot.tally)
        .returning(Ballot.id)
        .execution_options(synchronize_session=False)
    ).all()
    if len(locked) != 2:
        raise BallotClosed()
    source_votes = db.session.scalar(
        select(func.count()).select_from(Vote).where(Vote.ballot_id == source_id)
    )
    moved = _move_votes(source_id, into_id)
    db.session.execute(
        delete(Vote).where(Vote.ballot_id == source_id).execution_options(synchronize_session=False)
    )
    db.session.refresh(source)
    db.session.refresh(into)
    before_source, before_into = source.tally, into.tally
    source.tally, source.status, source.closed_at = 0, BallotStatus.CLOSED, now
    source.outcome, source.merged_into_id = Outcome.MERGED, into_id
    into.tally = before_into + moved
    db.session.flush()
    result = MergeResult(moved, int(source_votes or 0) - moved)
    audit.record(
        actor,
        "ballot.merged",
        source,
        before={"status": BallotStatus.OPEN.value, "tally": before_source},
        after={
            "status": BallotStatus.CLOSED.value,
            "outcome": Outcome.MERGED.value,
            "tally": 0,
            "merged_into": into_id,
            "moved": moved,
            "already_voted": result.already_voted,
        },
    )
    audit.record(
        actor,
        "ballot.votes_merged_in",
        into,
        before={"tally": before_into},
        after={"tally": into.tally, "from_ballot": source_id},
    )
    _announce_milestones(into, before_into, into.tally)
    _run_close_hooks(source)
    return result


# --- reconciliation ---


def _repair(ballot: Ballot, counted: int, actor: Any) -> TallyRepair:
    repair = TallyRepair(ballot.id, ballot.tally, counted)
    ballot.tally = counted
    db.session.flush()
    audit.record(
        actor, "tally.repaired", ballot, before={"tally": repair.recorded}, after={"tally": counted}
    )
    return repair


def _drifted_ballot_ids() -> list[int]:
    counted = select(Vote.ballot_id, func.count().label("n")).group_by(Vote.ballot_id).subquery()
    statement = (
        select(Ballot.id)
        .outerjoin(counted, counted.c.ballot_id == Ballot.id)
        .where(Ballot.tally != func.coalesce(counted.c.n, 0))
        .order_by(Ballot.id)
    )
    return list(db.session.scalars(statement))


def reconcile_tallies(*, actor: Any = None) -> list[TallyRepair]:
    """Recount the vote rows of every ballot; repair each tally that drifted (one audit row
    per repair) and return the repairs."""
    suspects = _drifted_ballot_ids()
    if not suspects:
        return []
    # Lock the suspects (waiting for in-flight votes), then count with a fresh statement.
    db.session.execute(
        update(Ballot)
        .where(Ballot.id.in_(suspects))
        .values(tally=Ballot.tally)
        .execution_options(synchronize_session=False)
    )
    counts = _counts(suspects)
    repairs = []
    for ballot in _load(suspects):
        if ballot.tally != counts[ballot.id].total:
            repairs.append(_repair(ballot, counts[ballot.id].total, actor or "scheduler"))
    return repairs
