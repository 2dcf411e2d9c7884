"""Pure ballot rules: examples and Hypothesis properties; no app, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from voting import rules
from voting.rules import MILESTONES, BallotStatus, Choice, Counts, Outcome, Problem, Refusal

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
thresholds = st.integers(min_value=1, max_value=5000)
tallies = st.integers(min_value=0, max_value=10000)
counts = st.builds(
    Counts,
    yes=st.integers(0, 500),
    no=st.integers(0, 500),
    abstain=st.integers(0, 500),
)


def test_milestones_of_the_nideco_threshold() -> None:
    assert [rules.milestone_votes(2000, m) for m in MILESTONES] == [667, 1334]
    assert rules.milestones_crossed(666, 667, 2000) == [Fraction(1, 3)]
    assert rules.milestones_crossed(665, 666, 2000) == []
    assert rules.milestones_crossed(0, 2000, 2000) == list(MILESTONES)
    assert rules.milestones_crossed(1334, 1333, 2000) == []  # downwards never announces
    assert rules.milestones_crossed(0, 50, None) == []  # majority ballots have none


def test_threshold_outcome_at_the_close() -> None:
    assert rules.outcome(Counts(yes=2000), 2000) is Outcome.REACHED
    assert rules.outcome(Counts(yes=1999), 2000) is Outcome.EXPIRED


def test_majority_outcome() -> None:
    assert rules.outcome(Counts(yes=5, no=4, abstain=9), None) is Outcome.ADOPTED
    assert rules.outcome(Counts(yes=4, no=4), None) is Outcome.REJECTED  # a tie keeps status quo
    assert rules.outcome(Counts(yes=3, no=0), None, quorum=4) is Outcome.NO_QUORUM
    assert rules.outcome(Counts(yes=3, no=0, abstain=1), None, quorum=4) is Outcome.ADOPTED


def test_refusal_by_the_clock_even_while_the_row_says_open() -> None:
    opens, closes = T0, T0 + timedelta(days=90)
    assert rules.refusal(BallotStatus.OPEN, opens, closes, closes - timedelta(seconds=1)) is None
    assert rules.refusal(BallotStatus.OPEN, opens, closes, closes) is Refusal.CLOSED
    after = closes + timedelta(seconds=1)
    assert rules.refusal(BallotStatus.OPEN, opens, closes, after) is Refusal.CLOSED
    before = opens - timedelta(seconds=1)
    assert rules.refusal(BallotStatus.OPEN, opens, closes, before) is Refusal.NOT_OPEN_YET
    assert rules.refusal(BallotStatus.CLOSED, opens, closes, T0) is Refusal.CLOSED


def test_ballot_problems() -> None:
    assert rules.ballot_problems(T0, T0 + timedelta(days=1), 2000, None) == []
    assert rules.ballot_problems(T0, T0, 0, 3) == [
        Problem.WINDOW,
        Problem.THRESHOLD,
        Problem.QUORUM_WITH_THRESHOLD,
    ]
    assert rules.ballot_problems(T0, T0 + timedelta(hours=1), None, 0) == [Problem.QUORUM]


def test_choices_and_helpers() -> None:
    assert rules.allowed_choices(2000) == {Choice.YES}
    assert rules.allowed_choices(None) == set(Choice)
    assert Counts.of([("yes", 3), (Choice.ABSTAIN, 1)]) == Counts(yes=3, abstain=1)
    assert rules.days_left(T0 + timedelta(days=2, seconds=1), T0) == 3
    assert rules.days_left(T0 - timedelta(seconds=1), T0) == 0
    assert rules.progress(2500, 2000) == 1
    assert rules.progress(5, None) == 0


@given(thresholds, st.sampled_from(MILESTONES))
def test_milestone_votes_is_the_first_tally_at_or_above_the_fraction(
    threshold: int, milestone: Fraction
) -> None:
    votes = rules.milestone_votes(threshold, milestone)
    assert Fraction(votes, threshold) >= milestone
    assert Fraction(votes - 1, threshold) < milestone


@given(thresholds, tallies, tallies, tallies)
def test_crossing_is_additive(threshold: int, a: int, b: int, c: int) -> None:
    low, mid, high = sorted((a, b, c))
    whole = rules.milestones_crossed(low, high, threshold)
    assert whole == rules.milestones_crossed(low, mid, threshold) + rules.milestones_crossed(
        mid, high, threshold
    )


@given(thresholds, st.lists(st.sampled_from([1, -1]), max_size=300))
def test_a_walk_of_votes_and_withdrawals_announces_each_milestone_at_most_once(
    threshold: int, steps: list[int]
) -> None:
    """What the service does: announce on each +1 step, claim a bit once per milestone."""
    tally, mask, announced, peak = 0, 0, [], 0
    for step in steps:
        new = max(0, tally + step)
        for m in rules.milestones_crossed(tally, new, threshold):
            bit = rules.milestone_bit(m)
            if not mask & bit:
                mask |= bit
                announced.append(m)
        tally, peak = new, max(peak, new)
    expected = [m for m in MILESTONES if rules.milestone_votes(threshold, m) <= peak]
    assert announced == expected


@given(tallies, thresholds)
def test_threshold_outcome_is_monotone(tally: int, threshold: int) -> None:
    result = rules.outcome(Counts(yes=tally), threshold)
    assert (result is Outcome.REACHED) == (tally >= threshold)
    if result is Outcome.REACHED:
        assert rules.outcome(Counts(yes=tally + 1), threshold) is Outcome.REACHED
    assert rules.progress(tally, threshold) <= rules.progress(tally + 1, threshold) <= 1


@given(counts, st.none() | st.integers(1, 1500))
def test_majority_rule(votes: Counts, quorum: int | None) -> None:
    result = rules.outcome(votes, None, quorum)
    if quorum is not None and votes.total < quorum:
        assert result is Outcome.NO_QUORUM
        return
    assert (result is Outcome.ADOPTED) == (votes.yes > votes.no)
    swapped = rules.outcome(Counts(yes=votes.no, no=votes.yes, abstain=votes.abstain), None)
    assert not (result is Outcome.ADOPTED and swapped is Outcome.ADOPTED)


@given(
    st.integers(-100_000, 100_000),
    st.integers(1, 10_000_000),
    st.sampled_from(list(BallotStatus)),
)
def test_refusal_partitions_time(offset: int, window: int, status: BallotStatus) -> None:
    opens, closes = T0, T0 + timedelta(seconds=window)
    now = T0 + timedelta(seconds=offset)
    reason = rules.refusal(status, opens, closes, now)
    takes_votes = status is BallotStatus.OPEN and opens <= now < closes
    assert (reason is None) == takes_votes
    if reason is Refusal.NOT_OPEN_YET:
        assert now < opens
