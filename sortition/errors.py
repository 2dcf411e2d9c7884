"""Typed errors of the sortition engine, each with a stable code and the numbers behind it."""

from __future__ import annotations

from dataclasses import dataclass


class SortitionError(Exception):
    """Base of every error this package raises on purpose."""

    code = "sortition_error"


class InvalidInput(SortitionError, ValueError):
    """People, quotas or options that do not make sense (duplicate id, min above max, ...)."""

    code = "invalid_input"


@dataclass(frozen=True)
class Conflict:
    """One reason why no panel meets the quotas.

    `quotas` names the (feature, value) pairs involved; `amount` says by how many
    people they conflict (e.g. the minimums of a feature add up to `amount` more than k).
    """

    kind: str
    quotas: tuple[tuple[str, str], ...]
    amount: int
    message: str


@dataclass(frozen=True)
class QuotaChange:
    """A proposed change of one quota: its new (min, max) against the old one."""

    feature: str
    value: str
    old_min: int
    old_max: int
    new_min: int
    new_max: int

    @property
    def size(self) -> int:
        """Number of seats by which the quota moves (min lowered plus max raised)."""
        return (self.old_min - self.new_min) + (self.new_max - self.old_max)


class InfeasibleQuotas(SortitionError):
    """No panel of size k meets every quota (with the given households, must and must-not).

    `conflicts` explains why; `relaxation` is the least change of minimums and maximums
    that makes a panel possible (empty when no change of quotas alone can help, e.g. when
    fewer households than seats are available).
    """

    code = "infeasible_quotas"

    def __init__(
        self, conflicts: tuple[Conflict, ...], relaxation: tuple[QuotaChange, ...]
    ) -> None:
        self.conflicts = conflicts
        self.relaxation = relaxation
        super().__init__(self.explain())

    def explain(self) -> str:
        """Human-readable explanation: every conflict, then the proposed relaxation."""
        lines = ["The quotas cannot be met:"]
        lines += [f"- {c.message}" for c in self.conflicts]
        if self.relaxation:
            lines.append("Smallest change of quotas that makes a draw possible:")
            for ch in self.relaxation:
                lines.append(
                    f"- {ch.feature}={ch.value}: min {ch.old_min} -> {ch.new_min}, "
                    f"max {ch.old_max} -> {ch.new_max}"
                )
        else:
            lines.append("No change of the quotas alone makes a draw possible.")
        return "\n".join(lines)
