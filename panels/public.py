"""What the public panel page shows: counts only, never a person."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from civic import clock
from civic.draws.models import DrawStatus
from civic.errors import NotFound
from civic.extensions import db
from panels import draws, rules
from panels.models import Panel, PanelStatus, RegisterPerson, RegisterStatus

REGISTER_FEATURES = ("gender", "area", "age_group")


def public_panels() -> list[Panel]:
    """Panels past their draft, newest first."""
    return list(
        db.session.scalars(
            select(Panel).where(Panel.status != PanelStatus.DRAFT).order_by(Panel.id.desc())
        )
    )


def public_panel(panel_id: int) -> Panel:
    """A panel visible to the public, or NotFound."""
    panel = db.session.get(Panel, panel_id)
    if panel is None or panel.status == PanelStatus.DRAFT:
        raise NotFound()
    return panel


@dataclass(frozen=True)
class CompositionRow:
    """One feature value: seats held and its share against the population's."""

    value: str
    seats: int
    panel_share: float
    population_share: float | None


def _population(features: list[str], year: int) -> dict[str, Counter[str]]:
    """Active adults in the register, counted per value of each register feature."""
    counts: dict[str, Counter[str]] = {f: Counter() for f in features}
    rows = db.session.execute(
        select(
            RegisterPerson.gender, RegisterPerson.area, RegisterPerson.birth_year,
            RegisterPerson.extra,
        ).where(
            RegisterPerson.status == RegisterStatus.ACTIVE,
            RegisterPerson.birth_year <= year - rules.ADULT_AGE - 1,
        )
    )  # fmt: skip
    for gender, area, birth_year, extra in rows:
        values = {"gender": gender, "area": area, "age_group": rules.age_group(birth_year, year)}
        if extra and extra != "{}":
            values.update({k: str(v) for k, v in json.loads(extra).items()})
        for feature in features:
            if feature in values:
                counts[feature][values[feature]] += 1
    return counts


def composition(panel: Panel) -> dict[str, list[CompositionRow]]:
    """Per quota feature (or the register's features without quotas): seats per value and
    the shares of panel and population (None where the register does not hold the feature,
    e.g. education, asked in the reply)."""
    year = clock.local(clock.now()).year
    members = draws.member_volunteers(draws.serving_members(panel), year)
    quota_features = sorted({f for f, _v, _lo, _hi in draws.quota_counts(panel)})
    features = quota_features or list(REGISTER_FEATURES)
    population = _population(features, year)
    result: dict[str, list[CompositionRow]] = {}
    for feature in features:
        seats = Counter(m.features.get(feature, rules.UNKNOWN) for m in members)
        pop = population[feature]
        pop_total = sum(pop.values())
        values = sorted(set(seats) | set(pop))
        result[feature] = [
            CompositionRow(
                value,
                seats[value],
                seats[value] / len(members) if members else 0.0,
                pop[value] / pop_total if pop_total else None,
            )
            for value in values
        ]
    return result


def public_draws(panel: Panel) -> list[Any]:
    """The panel's published draws, oldest first."""
    return [
        d for d in draws.panel_draws(panel) if d.status in (DrawStatus.PUBLISHED, DrawStatus.DRAWN)
    ]


def answers_for(proposal_id: int | None) -> list[Any]:
    """The agency's published answers to a submission's proposal (if the inbox has them)."""
    if proposal_id is None:
        return []
    try:
        from proposals.answers import published_answers
        from proposals.models import Proposal
    except ImportError:  # pragma: no cover
        return []
    proposal = db.session.get(Proposal, proposal_id)
    return published_answers(proposal) if proposal is not None else []
