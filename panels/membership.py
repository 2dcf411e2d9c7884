"""Membership: confirmation, withdrawal and no-show, replacement from the reserve list,
term ends and staggered rotation (scheduled), stipend and expense entries.

A freed seat is refilled from the ordered reserve list: the first reserve with whom the
engine still finds a full panel meeting every quota, given the members who stay
(`sortition.check_feasible` with must = staying members + reserves already taken). When no
reserve fits, the seats stay open and the panel is flagged for a new wave (audit
`panel.wave_needed`); the next panel draw then fills them with must = the members.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

import sortition
from civic import audit, clock
from civic.errors import Conflict, InvalidInput, NotFound
from civic.extensions import db
from panels import draws, rules
from panels.models import (
    Attendance,
    EndReason,
    Meeting,
    MembershipStatus,
    Panel,
    PanelMembership,
    PanelPayment,
    PanelStatus,
    PaymentKind,
)

DEFAULT_STIPEND = "50.00"
MAX_AMOUNT = Decimal("10000")


def get_membership(panel: Panel, membership_id: int) -> PanelMembership:
    """A membership of this panel, or NotFound."""
    membership = db.session.get(PanelMembership, membership_id)
    if membership is None or membership.panel_id != panel.id:
        raise NotFound()
    return membership


def confirm(actor: Any, membership: PanelMembership) -> PanelMembership:
    """Record that a drawn member confirmed their seat (once)."""
    if membership.status != MembershipStatus.SERVING:
        raise Conflict(_l("This seat has ended."))
    if membership.confirmed_at is not None:
        return membership
    membership.confirmed_at = clock.now()
    db.session.flush()
    audit.record(actor, "panel.member_confirmed", membership, after={"confirmed": True})
    return membership


def end_seat(actor: Any, membership: PanelMembership, reason: EndReason, on: date) -> None:
    """End one seat on `on` (conditional update: a seat ends once)."""
    changed = db.session.execute(
        update(PanelMembership)
        .where(
            PanelMembership.id == membership.id,
            PanelMembership.status == MembershipStatus.SERVING,
        )
        .values(status=MembershipStatus.ENDED, ended_on=on, end_reason=reason)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(_l("This seat has ended."))
    db.session.refresh(membership)
    audit.record(
        actor,
        "panel.member_ended",
        membership,
        {"status": "serving"},
        {"status": "ended", "reason": reason.value, "ended_on": str(on)},
    )


def leave(
    actor: Any, panel: Panel, membership: PanelMembership, reason: EndReason
) -> list[PanelMembership]:
    """A withdrawal or no-show: end the seat, then refill it from the reserves."""
    if reason not in (EndReason.WITHDRAWN, EndReason.NO_SHOW):
        raise InvalidInput(_l("Choose withdrawal or no-show."), field="reason")
    today = clock.local(clock.now()).date()
    end_seat(actor, membership, reason, today)
    return refill(actor, panel, today)


def _fits(spec: draws.DrawInput, must: list[str]) -> bool:
    people = [v.as_person() for v in spec.pool]
    try:
        sortition.check_feasible(people, spec.quotas, spec.k, must=must)
    except sortition.InfeasibleQuotas:
        return False
    return True


def refill(actor: Any, panel: Panel, today: date) -> list[PanelMembership]:
    """Fill open seats from the ordered reserve list so the quotas can still hold given the
    members who stay; flag a new wave for seats no reserve can fill."""
    members = draws.serving_members(panel)
    open_seats = panel.size - len(members)
    if open_seats <= 0 or panel.status != PanelStatus.ACTIVE:
        return []
    staying = draws.member_volunteers(members, today.year)
    reserves = draws.reserve_list(panel, today)
    pool = staying + reserves
    quotas = draws.engine_quotas(panel, pool)
    spec = draws.DrawInput(draws.with_features(pool, quotas), quotas, [], panel.size)
    must = [v.pseudonym for v in staying]
    taken: list[draws.Volunteer] = []
    for reserve in reserves:
        if len(taken) == open_seats:
            break
        if _fits(spec, [*must, reserve.pseudonym]):
            must.append(reserve.pseudonym)
            taken.append(reserve)
    seated = [
        draws.seat(actor, panel, v.invitation_id, today, from_reserve=True, rank=i)
        for i, v in enumerate(taken)
    ]
    if len(taken) < open_seats:
        audit.record(
            actor,
            "panel.wave_needed",
            panel,
            after={"open_seats": open_seats - len(taken), "reserves_left": len(reserves)},
        )
    return seated


# --- term ends and staggered rotation (scheduled) ---


def rotate(actor: Any, panel: Panel, today: date) -> list[PanelMembership]:
    """One rotation: the planned share of seats, longest serving first, ends and is refilled."""
    members = draws.serving_members(panel)
    leaving = members[: rules.rotation_seats(panel.size, panel.rotation_percent)]
    for membership in leaving:
        end_seat(actor, membership, EndReason.ROTATION, today)
    return leaving


def _claim_rotation(panel: Panel, done: int) -> bool:
    changed = db.session.execute(
        update(Panel)
        .where(Panel.id == panel.id, Panel.rotations_done == done)
        .values(rotations_done=done + 1)
    )
    return changed.rowcount == 1  # type: ignore[attr-defined]


def rotate_due(now: datetime | None = None) -> int:
    """Run every rotation that is due (each exactly once, claimed on the panel row), then
    end seats whose term is over; refill from the reserves. Returns seats ended."""
    today = clock.local(now or clock.now()).date()
    ended = 0
    panels = db.session.scalars(
        select(Panel).where(Panel.status == PanelStatus.ACTIVE).order_by(Panel.id)
    ).all()
    for panel in panels:
        while True:
            db.session.refresh(panel)
            due = rules.rotation_date(
                panel.seated_on or today, panel.rotation_months, panel.rotations_done
            )
            if due is None or due > today or not _claim_rotation(panel, panel.rotations_done):
                break
            ended += len(rotate("scheduler", panel, today))
        ended += _end_terms(panel, today)
        refill("scheduler", panel, today)
    db.session.flush()
    return ended


def _end_terms(panel: Panel, today: date) -> int:
    due = [
        m
        for m in draws.serving_members(panel)
        if m.term_ends_on is not None and m.term_ends_on <= today
    ]
    for membership in due:
        end_seat("scheduler", membership, EndReason.TERM_END, today)
    return len(due)


# --- stipends and expenses ---


def stipend() -> Decimal:
    """The stipend per meeting attended (PANELS_STIPEND, default 50.00)."""
    return Decimal(str(current_app.config.get("PANELS_STIPEND", DEFAULT_STIPEND)))


def add_stipend(actor: Any, membership: PanelMembership, meeting: Meeting) -> PanelPayment:
    """The stipend entry for attending `meeting` (one per member and meeting)."""
    payment = PanelPayment(
        membership_id=membership.id,
        meeting_id=meeting.id,
        kind=PaymentKind.STIPEND,
        amount=stipend(),
        note="",
        recorded_by_id=getattr(actor, "id", None),
        created_at=clock.now(),
    )
    db.session.add(payment)
    db.session.flush()
    audit.record(actor, "panel.stipend", payment, after={"amount": str(payment.amount)})
    return payment


@dataclass(frozen=True)
class ExpenseData:
    """An expense claim as entered."""

    membership_id: int
    meeting_id: int
    amount: str
    note: str


def _attended(membership_id: int, meeting_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(func.count()).where(
                Attendance.membership_id == membership_id,
                Attendance.meeting_id == meeting_id,
                Attendance.present.is_(True),
            )
        )
    )


def add_expense(actor: Any, panel: Panel, data: ExpenseData) -> PanelPayment:
    """An expense entry (travel, childcare ...) for a meeting the member attended."""
    membership = get_membership(panel, data.membership_id)
    meeting = db.session.get(Meeting, data.meeting_id)
    if meeting is None or meeting.panel_id != panel.id:
        raise InvalidInput(_l("Choose a meeting of this panel."), field="meeting_id")
    if not _attended(membership.id, meeting.id):
        raise InvalidInput(_l("Expenses can be entered only for meetings attended."))
    try:
        amount = Decimal(data.amount.replace(",", ".").strip()).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_l("Enter an amount such as 12.50."), field="amount") from None
    if not Decimal("0") < amount <= MAX_AMOUNT:
        raise InvalidInput(_l("Enter an amount between 0.01 and 10000."), field="amount")
    if not data.note.strip():
        raise InvalidInput(_l("Say what the expense was for."), field="note")
    payment = PanelPayment(
        membership_id=membership.id,
        meeting_id=meeting.id,
        kind=PaymentKind.EXPENSE,
        amount=amount,
        note=data.note.strip()[:200],
        recorded_by_id=getattr(actor, "id", None),
        created_at=clock.now(),
    )
    db.session.add(payment)
    db.session.flush()
    audit.record(actor, "panel.expense", payment, after={"amount": str(amount)})
    return payment


def payment_totals(panel: Panel) -> dict[int, tuple[Decimal, Decimal]]:
    """Per membership: (stipends, expenses)."""
    rows = db.session.execute(
        select(PanelPayment.membership_id, PanelPayment.kind, func.sum(PanelPayment.amount))
        .join(PanelMembership, PanelMembership.id == PanelPayment.membership_id)
        .where(PanelMembership.panel_id == panel.id)
        .group_by(PanelPayment.membership_id, PanelPayment.kind)
    ).all()
    totals: dict[int, tuple[Decimal, Decimal]] = {}
    for mid, kind, total in rows:
        stip, exp = totals.get(mid, (Decimal(0), Decimal(0)))
        if PaymentKind(kind) == PaymentKind.STIPEND:
            stip += Decimal(total)
        else:
            exp += Decimal(total)
        totals[mid] = (stip, exp)
    return totals


def all_members(panel: Panel) -> list[PanelMembership]:
    """Every seat of the panel, serving first, then ended (newest first)."""
    rows = db.session.scalars(
        select(PanelMembership)
        .where(PanelMembership.panel_id == panel.id)
        .order_by(PanelMembership.status.desc(), PanelMembership.started_on, PanelMembership.id)
    )
    return list(rows)
