"""Input values (people, quotas) and their compiled, index-based form used by the solvers."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from sortition.errors import InvalidInput

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Person:
    """A volunteer in the pool: a unique id, one value per feature, an optional household key."""

    id: str
    features: Mapping[str, str]
    household: str | None = None


@dataclass(frozen=True)
class Quota:
    """At least `min` and at most `max` panel members have `value` for `feature`."""

    feature: str
    value: str
    min: int
    max: int


@dataclass(frozen=True)
class Problem:
    """A validated selection problem in index form (internal to the solvers).

    `member[i, q]` is True when person i counts towards quota q. `households` lists the
    index groups (of two or more people) of which at most one may be selected.
    """

    ids: tuple[str, ...]
    quotas: tuple[Quota, ...]
    k: int
    member: BoolArray
    qmin: IntArray
    qmax: IntArray
    households: tuple[IntArray, ...]
    must: BoolArray
    must_not: BoolArray
    features: tuple[str, ...] = field(default=())

    @property
    def n(self) -> int:
        """Number of people in the pool."""
        return len(self.ids)

    @property
    def free(self) -> BoolArray:
        """People neither forced in nor forced out."""
        return ~(self.must | self.must_not)

    def feature_rows(self, feature: str) -> list[int]:
        """Indices of the quotas that belong to `feature`."""
        return [q for q, quota in enumerate(self.quotas) if quota.feature == feature]

    def is_panel(self, panel: Iterable[int]) -> bool:
        """True when the index set is a valid panel (size, quotas, households, must/must-not)."""
        chosen = np.zeros(self.n, dtype=bool)
        chosen[list(panel)] = True
        counts = self.member[chosen].sum(axis=0)
        return (
            int(chosen.sum()) == self.k
            and bool(np.all(counts >= self.qmin))
            and bool(np.all(counts <= self.qmax))
            and all(int(chosen[h].sum()) <= 1 for h in self.households)
            and bool(np.all(chosen[self.must]))
            and not bool(np.any(chosen[self.must_not]))
        )


def _check_quotas(quotas: Sequence[Quota], k: int) -> None:
    if k < 1:
        raise InvalidInput(f"The panel size must be at least 1, not {k}.")
    seen: set[tuple[str, str]] = set()
    for q in quotas:
        key = (q.feature, q.value)
        if key in seen:
            raise InvalidInput(f"Quota {q.feature}={q.value} is given twice.")
        seen.add(key)
        if q.min < 0 or q.max < q.min:
            raise InvalidInput(
                f"Quota {q.feature}={q.value} needs 0 <= min <= max, got min {q.min}, max {q.max}."
            )


def _membership(people: Sequence[Person], quotas: Sequence[Quota]) -> BoolArray:
    index = {(q.feature, q.value): j for j, q in enumerate(quotas)}
    features = sorted({q.feature for q in quotas})
    member = np.zeros((len(people), len(quotas)), dtype=bool)
    for i, person in enumerate(people):
        for feature in features:
            value = person.features.get(feature)
            if value is None:
                raise InvalidInput(f"Person {person.id} has no value for feature {feature}.")
            j = index.get((feature, value))
            if j is None:
                raise InvalidInput(f"Person {person.id} has {feature}={value}, which has no quota.")
            member[i, j] = True
    return member


def _households(people: Sequence[Person]) -> tuple[IntArray, ...]:
    groups: dict[str, list[int]] = {}
    for i, person in enumerate(people):
        if person.household is not None:
            groups.setdefault(person.household, []).append(i)
    return tuple(np.array(g, dtype=np.int64) for g in groups.values() if len(g) > 1)


def _mask(ids: Sequence[str], chosen: Collection[str], label: str) -> BoolArray:
    position = {pid: i for i, pid in enumerate(ids)}
    mask = np.zeros(len(ids), dtype=bool)
    for pid in chosen:
        if pid not in position:
            raise InvalidInput(f"{label} names {pid}, who is not in the pool.")
        mask[position[pid]] = True
    return mask


def compile_problem(
    people: Sequence[Person],
    quotas: Sequence[Quota],
    k: int,
    must: Collection[str] = (),
    must_not: Collection[str] = (),
) -> Problem:
    """Validate the input and build its index form; raises InvalidInput on bad input."""
    _check_quotas(quotas, k)
    ids = tuple(p.id for p in people)
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(pid for pid in ids if pid in seen or seen.add(pid))  # type: ignore[func-returns-value]
        raise InvalidInput(f"Person id {dup} appears more than once.")
    must_mask = _mask(ids, must, "must")
    must_not_mask = _mask(ids, must_not, "must_not")
    both = must_mask & must_not_mask
    if both.any():
        raise InvalidInput(f"Person {ids[int(np.argmax(both))]} is both a must and a must-not.")
    return Problem(
        ids=ids,
        quotas=tuple(quotas),
        k=k,
        member=_membership(people, quotas),
        qmin=np.array([q.min for q in quotas], dtype=np.int64),
        qmax=np.array([q.max for q in quotas], dtype=np.int64),
        households=_households(people),
        must=must_mask,
        must_not=must_not_mask,
        features=tuple(sorted({q.feature for q in quotas})),
    )
