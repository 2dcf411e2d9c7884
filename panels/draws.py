"""The panel draw on the volunteers: pool, quotas as counts, the public draw, seating.

The pool is everyone who said yes to one of the panel's waves and may still serve (register
status active, adult, not serving on another panel, not inside the rest period, never seated
on this panel before). Members who serve on this panel are in the pool as must-include, so a
later draw fills only the open seats while the quotas hold for the whole panel. Pseudonyms
are `V<invitation id>`; the draw's public files never hold a register key or a name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

import sortition
from civic import audit, clock
from civic.draws import services as draws
from civic.draws.models import Draw, DrawStatus
from civic.errors import Conflict, InvalidInput
from civic.extensions import db
from panels import rules
from panels.models import (
    Invitation,
    InvitationStatus,
    MembershipStatus,
    Panel,
    PanelMembership,
    PanelQuota,
    PanelStatus,
    QuotaKind,
    RegisterPerson,
    RegisterStatus,
    Reply,
    Wave,
)

PURPOSE = "panel"


@dataclass(frozen=True)
class Volunteer:
    """A yes-reply as the draw sees it: pseudonym, person, household, features."""

    invitation_id: int
    person_id: int
    household: str
    features: dict[str, str]

    @property
    def pseudonym(self) -> str:
        return f"V{self.invitation_id}"

    def as_person(self) -> sortition.Person:
        return sortition.Person(self.pseudonym, self.features, self.household)


def person_features(person: RegisterPerson, answers: str, year: int) -> dict[str, str]:
    """Register features (gender, area, age group, extra fields) plus the yes-answers."""
    features = {
        "gender": person.gender,
        "area": person.area,
        "age_group": rules.age_group(person.birth_year, year),
    }
    features.update({k: str(v) for k, v in json.loads(person.extra or "{}").items()})
    features.update({k: str(v) for k, v in json.loads(answers or "{}").items()})
    return features


def _served(panel: Panel) -> tuple[set[int], dict[int, date], set[int]]:
    """(serving anywhere, latest end of a seat per person, ever seated on this panel)."""
    rows = db.session.execute(
        select(
            PanelMembership.person_id,
            PanelMembership.panel_id,
            PanelMembership.status,
            PanelMembership.ended_on,
        )
    ).all()
    serving, ended, here = set(), {}, set()
    for pid, panel_id, status, ended_on in rows:
        if panel_id == panel.id:
            here.add(pid)
        if status == MembershipStatus.SERVING:
            serving.add(pid)
        elif ended_on is not None and (pid not in ended or ended[pid] < ended_on):
            ended[pid] = ended_on
    return serving, ended, here


def _yes_rows(panel: Panel) -> list[tuple[Invitation, Reply, RegisterPerson]]:
    rows = db.session.execute(
        select(Invitation, Reply, RegisterPerson)
        .join(Wave, Wave.id == Invitation.wave_id)
        .join(Reply, Reply.invitation_id == Invitation.id)
        .join(RegisterPerson, RegisterPerson.id == Invitation.person_id)
        .where(Wave.panel_id == panel.id, Invitation.status == InvitationStatus.YES)
        .order_by(Invitation.id)
    ).all()
    return [(i, r, p) for i, r, p in rows]


def available_volunteers(panel: Panel, on: date) -> list[Volunteer]:
    """Volunteers who may be seated on `on` (latest yes per person), by invitation id."""
    serving, ended, here = _served(panel)
    chosen: dict[int, Volunteer] = {}
    for invitation, reply, person in _yes_rows(panel):
        if person.id in here:
            continue
        facts = rules.PersonFacts(
            person.id,
            person.household_key,
            person.birth_year,
            person.status == RegisterStatus.ACTIVE,
            person.id in serving,
            ended.get(person.id),
        )
        if rules.ineligibility(facts, on, panel.rest_months) is not None:
            continue
        features = person_features(person, reply.answers, on.year)
        chosen[person.id] = Volunteer(invitation.id, person.id, person.household_key, features)
    return sorted(chosen.values(), key=lambda v: v.invitation_id)


def serving_members(panel: Panel) -> list[PanelMembership]:
    """The panel's serving members, longest serving first (the rotation order)."""
    return list(
        db.session.scalars(
            select(PanelMembership)
            .where(
                PanelMembership.panel_id == panel.id,
                PanelMembership.status == MembershipStatus.SERVING,
            )
            .order_by(PanelMembership.started_on, PanelMembership.rotation_rank, PanelMembership.id)
        )
    )


def member_volunteers(members: list[PanelMembership], year: int) -> list[Volunteer]:
    """Serving members as volunteers (features from their yes reply and the register)."""
    if not members:
        return []
    ids = [m.invitation_id for m in members if m.invitation_id is not None]
    answers = dict(
        db.session.execute(
            select(Reply.invitation_id, Reply.answers).where(Reply.invitation_id.in_(ids))
        ).all()
    )
    return [
        Volunteer(
            m.invitation_id or 0,
            m.person_id,
            m.person.household_key,
            person_features(m.person, answers.get(m.invitation_id, "{}"), year),
        )
        for m in members
    ]


def quota_counts(panel: Panel) -> list[tuple[str, str, int, int]]:
    """The panel's quotas as seat counts (feature, value, min, max); shares converted."""
    result = []
    rows = db.session.scalars(
        select(PanelQuota)
        .where(PanelQuota.panel_id == panel.id)
        .order_by(PanelQuota.feature, PanelQuota.value)
    )
    for q in rows:
        if q.kind == QuotaKind.COUNT:
            low, high = int(q.min_count or 0), int(q.max_count or 0)
        else:
            low, high = rules.share_to_counts(
                float(q.share_percent or 0), float(q.tolerance_percent or 0), panel.size
            )
        result.append((q.feature, q.value, low, high))
    return result


def engine_quotas(panel: Panel, pool: list[Volunteer]) -> list[sortition.Quota]:
    """Count quotas plus open 0..size quotas for pool values that no quota names."""
    named = quota_counts(panel)
    features = sorted({f for f, _v, _lo, _hi in named})
    values = [(f, v.features.get(f, rules.UNKNOWN)) for v in pool for f in features]
    extra = rules.open_quotas([(f, v) for f, v, _lo, _hi in named], values, panel.size)
    return [sortition.Quota(f, v, lo, hi) for f, v, lo, hi in [*named, *extra]]


def with_features(pool: list[Volunteer], quotas: list[sortition.Quota]) -> list[Volunteer]:
    """Every volunteer with a value (or "unknown") for each quota feature."""
    features = sorted({q.feature for q in quotas})
    return [
        Volunteer(
            v.invitation_id,
            v.person_id,
            v.household,
            {**v.features, **{f: v.features.get(f, rules.UNKNOWN) for f in features}},
        )
        for v in pool
    ]


def panel_draws(panel: Panel) -> list[Draw]:
    """The panel's draws, oldest first."""
    return list(
        db.session.scalars(
            select(Draw)
            .where(Draw.purpose == PURPOSE, Draw.subject_id == panel.id)
            .order_by(Draw.id)
        )
    )


def current_draw(panel: Panel) -> Draw | None:
    """The newest draw of the panel."""
    found = panel_draws(panel)
    return found[-1] if found else None


@dataclass(frozen=True)
class DrawInput:
    """What the engine gets for a panel draw."""

    pool: list[Volunteer]
    quotas: list[sortition.Quota]
    must: list[str]
    k: int


def draw_input(panel: Panel, on: date) -> DrawInput:
    """Pool (members first), quotas and must-include list for a draw on `on`."""
    members = member_volunteers(serving_members(panel), on.year)
    pool = members + available_volunteers(panel, on)
    quotas = engine_quotas(panel, pool)
    return DrawInput(
        with_features(pool, quotas), quotas, [m.pseudonym for m in members], panel.size
    )


def prepare_panel_draw(actor: Any, panel: Panel) -> Draw | sortition.InfeasibleQuotas:
    """Run the engine on the volunteers: the prepared draw, or why the quotas cannot hold."""
    if panel.status == PanelStatus.CLOSED:
        raise Conflict(_l("This panel is closed."))
    latest = current_draw(panel)
    if latest is not None and latest.status == DrawStatus.PUBLISHED:
        raise Conflict(_l("A published draw is waiting for its seed."))
    on = clock.local(clock.now()).date()
    spec = draw_input(panel, on)
    if len(spec.must) >= panel.size:
        raise Conflict(_l("Every seat is taken; there is nothing to draw."))
    if len(spec.pool) < panel.size:
        raise InvalidInput(
            _l(
                "Only %(n)s people can be seated for %(k)s seats. Send another wave first.",
                n=len(spec.pool),
                k=panel.size,
            )
        )
    people = [v.as_person() for v in spec.pool]
    return draws.prepare_draw(
        PURPOSE, panel.id, people, spec.quotas, spec.k, must=spec.must, actor=actor
    )


def publish_panel_draw(actor: Any, panel: Panel) -> Draw:
    """Publish the prepared record (before the seed exists)."""
    draw = current_draw(panel)
    if draw is None or draw.status != DrawStatus.PREPARED:
        raise Conflict(_l("Prepare the draw first."))
    return draws.publish_draw(draw, actor)


def seed_panel_draw(actor: Any, panel: Panel, seed: str) -> list[PanelMembership]:
    """Enter the public seed: seat the drawn volunteers who are not members yet."""
    draw = current_draw(panel)
    if draw is None or draw.status != DrawStatus.PUBLISHED:
        raise Conflict(_l("Publish the draw's record before entering the seed."))
    draws.enter_seed(draw, seed, actor)
    members = {m.pseudonym for m in serving_members(panel)}
    new = [p for p in draw.selected or [] if p not in members]
    order = sortition.hash_order(draw.seed or "", new)
    today = clock.local(clock.now()).date()
    seated = [
        seat(actor, panel, int(p[1:]), today, draw_id=draw.id, rank=order.index(p)) for p in new
    ]
    if panel.seated_on is None:
        before = {"status": panel.status.value, "seated_on": None}
        panel.seated_on = today
        panel.status = PanelStatus.ACTIVE
        audit.record(
            actor, "panel.seated", panel, before, {"status": "active", "seated_on": str(today)}
        )
    db.session.flush()
    return seated


def seat(
    actor: Any,
    panel: Panel,
    invitation_id: int,
    today: date,
    *,
    draw_id: int | None = None,
    rank: int = 0,
    from_reserve: bool = False,
) -> PanelMembership:
    """Give a volunteer a seat from `today` for one term (audited)."""
    invitation = db.session.get(Invitation, invitation_id)
    assert invitation is not None
    membership = PanelMembership(
        panel_id=panel.id,
        person_id=invitation.person_id,
        status=MembershipStatus.SERVING,
        started_on=today,
        invitation_id=invitation_id,
        draw_id=draw_id,
        from_reserve=from_reserve,
        rotation_rank=rank,
        term_ends_on=rules.term_end(today, panel.term_months),
    )
    db.session.add(membership)
    db.session.flush()
    audit.record(
        actor,
        "panel.member_seated",
        membership,
        after={
            "panel_id": panel.id,
            "pseudonym": membership.pseudonym,
            "draw_id": draw_id,
            "from_reserve": from_reserve,
            "term_ends_on": str(membership.term_ends_on),
        },
    )
    return membership


def reserve_list(panel: Panel, on: date) -> list[Volunteer]:
    """The ordered reserve list: the newest drawn draw's reserve order, keeping only
    volunteers who may still be seated."""
    drawn = [d for d in panel_draws(panel) if d.status == DrawStatus.DRAWN]
    if not drawn:
        return []
    available = {v.pseudonym: v for v in available_volunteers(panel, on)}
    return [available[p] for p in drawn[-1].reserve or [] if p in available]
