"""Invitation waves: who is eligible, the seeded draw, invitations with codes, letters."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from civic import audit, clock
from civic.accounts.models import User
from civic.errors import Conflict, InvalidInput, NotFound
from civic.extensions import db
from panels import rules
from panels.models import (
    CodePurpose,
    Deferral,
    Invitation,
    InvitationStatus,
    LetterCode,
    MembershipStatus,
    Panel,
    PanelMembership,
    PanelStatus,
    RegisterPerson,
    RegisterStatus,
    Wave,
)
from panels.notices import recipients, send_invitation_mail
from panels.verification import clear_code, issue_code, valid_days

DEFAULT_REPLY_ADDRESS = "Civic panels\nFreepost 1000\n1000 AA"


@dataclass(frozen=True)
class Candidate:
    """An eligible person as the draw sees them (register key, household, area)."""

    person_id: int
    key: str
    household: str
    area: str


def _latest_dates(query: Any) -> dict[int, date]:
    return {int(pid): day for pid, day in db.session.execute(query) if day is not None}


def eligible_candidates(panel: Panel, on: date) -> list[Candidate]:
    """Everyone who may be invited on `on` (rules.ineligibility decides; SQL only narrows)."""
    serving = set(
        db.session.scalars(
            select(PanelMembership.person_id).where(
                PanelMembership.status == MembershipStatus.SERVING
            )
        )
    )
    served = _latest_dates(
        select(PanelMembership.person_id, func.max(PanelMembership.ended_on)).group_by(
            PanelMembership.person_id
        )
    )
    invited = _latest_dates(
        select(Invitation.person_id, func.max(Wave.wave_date))
        .join(Wave, Wave.id == Invitation.wave_id)
        .group_by(Invitation.person_id)
    )
    rows = db.session.execute(
        select(
            RegisterPerson.id,
            RegisterPerson.register_key,
            RegisterPerson.household_key,
            RegisterPerson.area,
            RegisterPerson.birth_year,
        )
        .where(
            RegisterPerson.status == RegisterStatus.ACTIVE,
            RegisterPerson.birth_year <= on.year - rules.ADULT_AGE - 1,
        )
        .order_by(RegisterPerson.id)
    )
    result = []
    for pid, key, household, area, birth_year in rows:
        facts = rules.PersonFacts(
            pid, household, birth_year, True, pid in serving, served.get(pid), invited.get(pid)
        )
        if rules.ineligibility(facts, on, panel.rest_months) is None:
            result.append(Candidate(pid, key, household, area))
    return result


def select_invitees(
    seed: str,
    candidates: Sequence[Candidate],
    size: int,
    factors: dict[str, float] | None = None,
    taken: set[str] | None = None,
) -> list[Candidate]:
    """The draw, pure: split `size` over areas (households × factor), then in each area take
    people in hash-ticket order (SHA-256 of seed and register key), one per household."""
    from sortition import hash_order

    taken = set() if taken is None else taken
    by_area: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_area[candidate.area].append(candidate)
    households = {
        area: len({c.household for c in people if c.household not in taken})
        for area, people in by_area.items()
    }
    allocation = rules.allocate_by_area(size, households, factors)
    chosen: list[Candidate] = []
    for area in sorted(by_area):
        lookup = {c.key: c for c in by_area[area]}
        order = hash_order(seed, list(lookup))
        picked = rules.one_per_household(
            ((k, lookup[k].household) for k in order), allocation[area], taken
        )
        chosen.extend(lookup[k] for k in picked)
    return chosen


def pool_digest(candidates: Iterable[Candidate]) -> str:
    """SHA-256 over the sorted register keys of the pool, one per line."""
    return hashlib.sha256("\n".join(sorted(c.key for c in candidates)).encode()).hexdigest()


def response_history(panel: Panel) -> dict[str, tuple[int, int]]:
    """Per area: (invited, replied) over the panel's closed waves (all waves if none)."""
    base = (
        select(RegisterPerson.area, Invitation.status, func.count())
        .join(Invitation, Invitation.person_id == RegisterPerson.id)
        .join(Wave, Wave.id == Invitation.wave_id)
        .where(Invitation.status != InvitationStatus.PENDING)
        .group_by(RegisterPerson.area, Invitation.status)
    )
    rows = db.session.execute(base.where(Wave.panel_id == panel.id)).all()
    if not rows:
        rows = db.session.execute(base).all()
    history: dict[str, tuple[int, int]] = {}
    for area, status, count in rows:
        invited, replied = history.get(area, (0, 0))
        answered = count if status != InvitationStatus.NO_REPLY else 0
        history[area] = (invited + count, replied + answered)
    return history


def deadline_from_day(day: date) -> datetime:
    """The end of `day` in local time, as an aware UTC moment (replies count until then)."""
    local_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=clock.LOCAL_ZONE)
    return local_end.astimezone(UTC)


@dataclass(frozen=True)
class WaveRequest:
    """What the administrator asks for."""

    seed: str
    size: int
    reply_by: date
    oversample: bool = False


def _check_request(request: WaveRequest, now: datetime) -> datetime:
    if not request.seed.strip():
        raise InvalidInput(_l("Enter the public seed of the draw."), field="seed")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in request.seed):
        raise InvalidInput(_l("The seed must be one line of plain text."), field="seed")
    if request.size < 1:
        raise InvalidInput(_l("Invite at least one person."), field="size")
    deadline = deadline_from_day(request.reply_by)
    if deadline <= now + timedelta(days=1):
        raise InvalidInput(_l("The reply deadline must be at least a day away."), field="reply_by")
    return deadline


def _placeable_deferrals(panel: Panel, on: date) -> list[tuple[Deferral, RegisterPerson]]:
    rows = db.session.execute(
        select(Deferral, RegisterPerson)
        .join(RegisterPerson, RegisterPerson.id == Deferral.person_id)
        .where(Deferral.panel_id == panel.id, Deferral.placed_invitation_id.is_(None))
        .order_by(Deferral.id)
    ).all()
    serving = set(
        db.session.scalars(
            select(PanelMembership.person_id).where(
                PanelMembership.status == MembershipStatus.SERVING
            )
        )
    )
    result = []
    for deferral, person in rows:
        if not rules.deferral_applies(deferral.not_before, deferral.until, on):
            continue
        active = person.status == RegisterStatus.ACTIVE
        facts = rules.PersonFacts(
            person.id, person.household_key, person.birth_year, active, person.id in serving
        )
        if rules.ineligibility(facts, on, 0) is None:
            result.append((deferral, person))
    return result


def _next_number(panel: Panel) -> int:
    latest = db.session.scalar(select(func.max(Wave.number)).where(Wave.panel_id == panel.id))
    return int(latest or 0) + 1


def draw_wave(actor: User, panel: Panel, request: WaveRequest) -> Wave:
    """Draw a wave: deferred people due now first, then `size` people by hash tickets; give
    each a letter code, e-mail those with a verified account, and audit the draw."""
    now = clock.now()
    deadline = _check_request(request, now)
    if panel.status == PanelStatus.CLOSED:
        raise Conflict(_l("This panel is closed."))
    on = clock.local(now).date()
    candidates = eligible_candidates(panel, on)
    deferred = _placeable_deferrals(panel, on)
    taken = {person.household_key for _d, person in deferred}
    factors = rules.area_factors(response_history(panel)) if request.oversample else {}
    seed = request.seed.strip()
    drawn = select_invitees(seed, candidates, request.size, factors, taken)
    wave = Wave(
        panel_id=panel.id,
        number=_next_number(panel),
        seed=seed,
        requested=request.size,
        wave_date=on,
        reply_deadline=deadline,
        area_factors=json.dumps(factors, sort_keys=True),
        eligible_count=len(candidates),
        pool_sha256=pool_digest(candidates),
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(wave)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_l("Another wave was drawn at the same moment. Please try again.")) from None
    invitations = _invite(wave, deferred, drawn)
    _audit_draw(actor, panel, wave, len(invitations), len(deferred), factors)
    accounts = recipients(i.person_id for i in invitations)
    for invitation in invitations:
        if invitation.person_id in accounts:
            send_invitation_mail(invitation, accounts[invitation.person_id], actor)
    return wave


def _invite(
    wave: Wave, deferred: list[tuple[Deferral, RegisterPerson]], drawn: list[Candidate]
) -> list[Invitation]:
    expires = wave.reply_deadline + timedelta(days=valid_days())
    invitations: list[tuple[Invitation, Deferral | None]] = []
    for deferral, person in deferred:
        invitation = Invitation(
            wave_id=wave.id, person_id=person.id, deferred_from_id=deferral.invitation_id
        )
        invitations.append((invitation, deferral))
    invitations += [(Invitation(wave_id=wave.id, person_id=c.person_id), None) for c in drawn]
    for position, (invitation, _d) in enumerate(invitations):
        invitation.position = position
        invitation.status = InvitationStatus.PENDING
        db.session.add(invitation)
    db.session.flush()
    for invitation, placed in invitations:
        if placed is not None:
            placed.placed_invitation_id = invitation.id
        issue_code(
            invitation.person_id,
            CodePurpose.INVITATION,
            expires_at=expires,
            invitation=invitation,
        )
    db.session.flush()
    return [invitation for invitation, _d in invitations]


def _audit_draw(
    actor: User, panel: Panel, wave: Wave, invited: int, deferred: int, factors: dict[str, float]
) -> None:
    audit.record(
        actor,
        "wave.drawn",
        wave,
        after={
            "panel_id": panel.id,
            "number": wave.number,
            "seed": wave.seed,
            "requested": wave.requested,
            "invited": invited,
            "deferred_placed": deferred,
            "eligible": wave.eligible_count,
            "pool_sha256": wave.pool_sha256,
            "area_factors": factors,
            "reply_deadline": wave.reply_deadline.isoformat(),
        },
    )
    if panel.status == PanelStatus.DRAFT:
        audit.record(actor, "panel.status", panel, {"status": "draft"}, {"status": "recruiting"})
        panel.status = PanelStatus.RECRUITING


def get_wave(wave_id: int) -> Wave:
    """The wave, or NotFound."""
    wave = db.session.get(Wave, wave_id)
    if wave is None:
        raise NotFound()
    return wave


def waves_of(panel: Panel) -> list[Wave]:
    """The panel's waves, newest first."""
    return list(
        db.session.scalars(
            select(Wave).where(Wave.panel_id == panel.id).order_by(Wave.number.desc())
        )
    )


def status_counts(wave: Wave) -> dict[InvitationStatus, int]:
    """How many invitations of the wave are in each status."""
    counts = dict.fromkeys(InvitationStatus, 0)
    rows = db.session.execute(
        select(Invitation.status, func.count())
        .where(Invitation.wave_id == wave.id)
        .group_by(Invitation.status)
    )
    for status, count in rows:
        counts[InvitationStatus(status)] = int(count)
    return counts


@dataclass(frozen=True)
class Letter:
    """What one printed letter shows."""

    reference: str
    code: str
    area: str


def reply_url() -> str:
    """Where invitees reply on the web."""
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + "/reply"


def reply_address() -> list[str]:
    """The postal reply address, as lines."""
    text = str(current_app.config.get("PANELS_REPLY_ADDRESS", DEFAULT_REPLY_ADDRESS))
    return [line for line in text.splitlines() if line.strip()]


def letters(wave: Wave) -> list[Letter]:
    """One letter per invitation of the wave, in draw order, with its code."""
    rows = db.session.execute(
        select(Invitation, LetterCode)
        .join(LetterCode, LetterCode.invitation_id == Invitation.id)
        .where(Invitation.wave_id == wave.id)
        .order_by(Invitation.position)
    ).all()
    return [Letter(reference(wave, inv), clear_code(code), inv.person.area) for inv, code in rows]


def reference(wave: Wave, invitation: Invitation) -> str:
    """A short letter reference, e.g. P3-W2-0017 (no personal data)."""
    return f"P{wave.panel_id}-W{wave.number}-{invitation.position + 1:04d}"
