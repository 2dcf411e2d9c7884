"""Pure rules of a ballot: when it takes votes, which choices count, milestones and outcome.

No database, no request, no clock: every function gets `now` and plain values.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction


class BallotStatus(enum.StrEnum):
    """A ballot takes votes while open; closing is a one-way step."""

    OPEN = "open"
    CLOSED = "closed"


class Choice(enum.StrEnum):
    """What a vote says. Threshold ballots (ideas) know only `yes`."""

    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


class Outcome(enum.StrEnum):
    """How a closed ballot ended."""

    REACHED = "reached"  # threshold ballot: enough votes by the close
    EXPIRED = "expired"  # threshold ballot: too few votes by the close
    ADOPTED = "adopted"  # majority ballot: more yes than no
    REJECTED = "rejected"  # majority ballot: not more yes than no (a tie keeps the status quo)
    NO_QUORUM = "no_quorum"  # majority ballot: fewer votes cast than the quorum
    MERGED = "merged"  # its votes moved to another ballot (duplicate subject)


class Refusal(enum.StrEnum):
    """Why a ballot takes no vote (or withdrawal) at a given moment."""

    NOT_OPEN_YET = "not_open_yet"
    CLOSED = "closed"


class Problem(enum.StrEnum):
    """Why ballot settings are invalid."""

    WINDOW = "closes_before_it_opens"
    THRESHOLD = "threshold_not_positive"
    QUORUM = "quorum_not_positive"
    QUORUM_WITH_THRESHOLD = "quorum_with_threshold"


# Authors and followers of an idea are told when a third and two thirds of the threshold is met.
MILESTONES: tuple[Fraction, ...] = (Fraction(1, 3), Fraction(2, 3))


@dataclass(frozen=True)
class Counts:
    """Votes per choice on one ballot."""

    yes: int = 0
    no: int = 0
    abstain: int = 0

    @property
    def total(self) -> int:
        return self.yes + self.no + self.abstain

    @classmethod
    def of(cls, rows: Iterable[tuple[Choice | str, int]]) -> Counts:
        """Build from (choice, count) pairs, e.g. a GROUP BY result."""
        values = {Choice(choice).value: int(n) for choice, n in rows}
        return cls(**values)


def ballot_problems(
    opens_at: datetime, closes_at: datetime, threshold: int | None, quorum: int | None
) -> list[Problem]:
    """Every reason why these settings cannot make a ballot (empty list: fine)."""
    problems = []
    if closes_at <= opens_at:
        problems.append(Problem.WINDOW)
    if threshold is not None and threshold < 1:
        problems.append(Problem.THRESHOLD)
    if quorum is not None and quorum < 1:
        problems.append(Problem.QUORUM)
    if quorum is not None and threshold is not None:
        problems.append(Problem.QUORUM_WITH_THRESHOLD)
    return problems


def refusal(
    status: BallotStatus, opens_at: datetime, closes_at: datetime, now: datetime
) -> Refusal | None:
    """Why the ballot takes no vote at `now`, or None when it does.

    The close is decided by the clock as well as by the status, so a ballot whose
    deadline passed refuses votes even before the sweep has marked it closed.
    """
    if status != BallotStatus.OPEN or now >= closes_at:
        return Refusal.CLOSED
    if now < opens_at:
        return Refusal.NOT_OPEN_YET
    return None


def allowed_choices(threshold: int | None) -> frozenset[Choice]:
    """A threshold ballot counts support only; a majority ballot takes yes, no and abstain."""
    if threshold is not None:
        return frozenset({Choice.YES})
    return frozenset(Choice)


def milestone_votes(threshold: int, milestone: Fraction) -> int:
    """The number of votes that reaches `milestone` of `threshold` (rounded up)."""
    return math.ceil(Fraction(threshold) * milestone)


def milestones_crossed(
    old_tally: int,
    new_tally: int,
    threshold: int | None,
    milestones: Sequence[Fraction] = MILESTONES,
) -> list[Fraction]:
    """The milestones met by going from `old_tally` to `new_tally` (upwards only), in order."""
    if threshold is None or new_tally <= old_tally:
        return []
    return [m for m in milestones if old_tally < milestone_votes(threshold, m) <= new_tally]


def milestone_bit(milestone: Fraction, milestones: Sequence[Fraction] = MILESTONES) -> int:
    """The bit that records, on the ballot, that `milestone` has been announced."""
    return 1 << list(milestones).index(milestone)


def threshold_outcome(tally: int, threshold: int) -> Outcome:
    """Reached when the votes at the close meet the threshold, else expired."""
    return Outcome.REACHED if tally >= threshold else Outcome.EXPIRED


def majority_outcome(counts: Counts, quorum: int | None = None) -> Outcome:
    """Adopted with more yes than no among the votes cast; abstentions count only for quorum."""
    if quorum is not None and counts.total < quorum:
        return Outcome.NO_QUORUM
    return Outcome.ADOPTED if counts.yes > counts.no else Outcome.REJECTED


def outcome(counts: Counts, threshold: int | None, quorum: int | None = None) -> Outcome:
    """The outcome of a ballot at its close: threshold rule if it has one, else majority."""
    if threshold is not None:
        return threshold_outcome(counts.total, threshold)
    return majority_outcome(counts, quorum)


def progress(tally: int, threshold: int | None) -> Fraction:
    """Share of the threshold met, capped at 1 (a majority ballot has no progress: 0)."""
    if threshold is None:
        return Fraction(0)
    return min(Fraction(tally, threshold), Fraction(1))


def days_left(closes_at: datetime, now: datetime) -> int:
    """Whole days until the close, rounded up; 0 once it has passed."""
    seconds = (closes_at - now).total_seconds()
    return max(0, math.ceil(seconds / 86400))
