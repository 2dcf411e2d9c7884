"""Rotation with a moved clock: exactly the planned share leaves and is refilled from the
reserves, the quotas still hold, and nobody inside the rest period is invited again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from civic import clock
from civic.accounts.models import Role
from civic.extensions import db
from panels import draws, jobs, rules
from panels.models import EndReason, Invitation, MembershipStatus, PanelMembership, Wave
from tests.panels.draw_support import count_quota, quotas_hold, say_yes, seat_panel, serving
from tests.panels.panel_support import (
    adults,
    audit_rows,
    invitations,
    load_register,
    make_panel,
    start_clock,
    wave,
)


@pytest.fixture()
def seated(app: Flask, make_user: Callable[..., Any], make_agency: Callable[..., Any]) -> Any:
    start_clock()
    load_register(adults(40))
    admin = make_user(Role.ADMIN)
    panel = make_panel(
        admin, make_agency("Burgerzaken"), size=6, term_months=18, rotation_months=6,
        rotation_percent=33, rest_months=24,
    )  # fmt: skip
    count_quota(admin, panel, "gender", "female", 3, 3)
    count_quota(admin, panel, "gender", "male", 3, 3)
    db.session.commit()
    for invitation in invitations(wave(admin, panel, 30)):
        say_yes(invitation)
    db.session.commit()
    seat_panel(admin, panel)
    return admin, panel


def _ended(panel_id: int, reason: EndReason) -> list[PanelMembership]:
    return list(
        db.session.scalars(
            select(PanelMembership).where(
                PanelMembership.panel_id == panel_id, PanelMembership.end_reason == reason
            )
        )
    )


def test_rotation_replaces_exactly_the_planned_share(seated: Any) -> None:
    admin, panel = seated
    first = serving(panel)
    assert len(first) == 6 and quotas_hold(panel)
    reserves_before = [v.pseudonym for v in draws.reserve_list(panel, date(2026, 3, 2))]

    clock.move(timedelta(days=120))  # not due yet
    assert jobs.rotate_members() == 0
    db.session.commit()

    clock.move(timedelta(days=65))  # 2 September 2026: six months after seating
    assert jobs.rotate_members() == 2
    db.session.commit()
    rotated = _ended(panel.id, EndReason.ROTATION)
    assert len(rotated) == rules.rotation_seats(6, 33) == 2
    # Longest serving first, by the public rotation order of the draw.
    assert {m.id for m in rotated} == {m.id for m in first[:2]}
    now_serving = serving(panel)
    assert len(now_serving) == 6 and quotas_hold(panel)
    newcomers = [m for m in now_serving if m.from_reserve]
    assert len(newcomers) == 2
    # Taken from the reserve list in its order (skipping only those who would break a quota).
    assert all(m.pseudonym in reserves_before for m in newcomers)

    assert jobs.rotate_members() == 0  # idempotent: the same slot does nothing twice
    db.session.commit()
    assert len(_ended(panel.id, EndReason.ROTATION)) == 2

    clock.move(timedelta(days=183))  # the second rotation: the next two of the first cohort
    assert jobs.rotate_members() == 2
    db.session.commit()
    rotated = _ended(panel.id, EndReason.ROTATION)
    assert {m.id for m in rotated} == {m.id for m in first[:4]}
    assert len(serving(panel)) == 6 and quotas_hold(panel)
    db.session.refresh(panel)
    assert panel.rotations_done == 2


def test_nobody_inside_the_rest_period_is_invited(seated: Any) -> None:
    admin, panel = seated
    clock.move(timedelta(days=185))
    jobs.rotate_members()
    db.session.commit()
    rotated = {m.person_id for m in _ended(panel.id, EndReason.ROTATION)}
    assert len(rotated) == 2
    resting_or_invited = set(db.session.scalars(select(Invitation.person_id)))
    new_wave = wave(admin, panel, 40, seed="lotto 2026-09-05", reply_by=date(2026, 9, 30))
    invited = {i.person_id for i in invitations(new_wave)}
    assert invited, "the ten people never invited are eligible"
    assert not invited & rotated
    assert not invited & resting_or_invited  # everyone invited in March is still resting
    serving_now = {m.person_id for m in serving(panel)}
    assert not invited & serving_now
    assert db.session.scalar(select(Wave.eligible_count).where(Wave.id == new_wave.id)) == 10


def test_withdrawal_is_replaced_so_the_quotas_still_hold(seated: Any) -> None:
    admin, panel = seated
    from panels import membership

    today = date(2026, 3, 2)
    reserves = draws.reserve_list(panel, today)
    first_gender = reserves[0].features["gender"]
    leaving = next(
        m
        for m in serving(panel)
        if draws.member_volunteers([m], 2026)[0].features["gender"] != first_gender
    )
    gender = draws.member_volunteers([leaving], 2026)[0].features["gender"]
    expected = next(r for r in reserves if r.features["gender"] == gender)
    seated_now = membership.leave(admin, panel, leaving, EndReason.WITHDRAWN)
    db.session.commit()
    assert [m.pseudonym for m in seated_now] == [expected.pseudonym]
    assert seated_now[0].pseudonym != reserves[0].pseudonym  # the first reserve would break it
    assert quotas_hold(panel) and len(serving(panel)) == 6
    db.session.refresh(leaving)
    assert leaving.status == MembershipStatus.ENDED and leaving.end_reason == EndReason.WITHDRAWN
    assert len(audit_rows("panel.member_ended")) == 1
