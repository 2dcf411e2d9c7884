"""Helpers for draw, membership and work tests: volunteers, quotas, a seated panel, members
with verified accounts."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from civic.extensions import db
from panels import draws, replies
from panels.models import (
    Invitation,
    InvitationStatus,
    Panel,
    PanelMembership,
    QuotaKind,
    ReplyChannel,
    ResidentLink,
)
from panels.panel_setup import QuotaData, add_quota
from panels.replies import ReplyData


def say_yes(invitation: Invitation, education: str = "vocational") -> None:
    """A yes reply by the web with stratification answers."""
    data = ReplyData(
        InvitationStatus.YES, answers={"education": education, "digital_skills": "good"}
    )
    replies.record_reply(invitation, data, channel=ReplyChannel.WEB, actor=None)


def count_quota(admin: Any, panel: Panel, feature: str, value: str, low: int, high: int) -> None:
    add_quota(admin, panel, QuotaData(feature, value, QuotaKind.COUNT, low, high))


def share_quota(admin: Any, panel: Panel, feature: str, value: str, share: str, tol: str) -> None:
    add_quota(
        admin,
        panel,
        QuotaData(feature, value, QuotaKind.SHARE, None, None, Decimal(share), Decimal(tol)),
    )


def seat_panel(admin: Any, panel: Panel, seed: str = "lotto 2026-03-28 4 8 15 16 23 42") -> Any:
    """Prepare, publish and seed the panel draw; commit; returns the draw."""
    prepared = draws.prepare_panel_draw(admin, panel)
    assert not isinstance(prepared, Exception), getattr(prepared, "conflicts", prepared)
    draws.publish_panel_draw(admin, panel)
    draws.seed_panel_draw(admin, panel, seed)
    db.session.commit()
    return draws.current_draw(panel)


def serving(panel: Panel) -> list[PanelMembership]:
    return draws.serving_members(panel)


def counts(panel: Panel) -> Counter[tuple[str, str]]:
    """Seats per (feature, value) among the serving members."""
    result: Counter[tuple[str, str]] = Counter()
    for volunteer in draws.member_volunteers(serving(panel), 2026):
        for feature, value in volunteer.features.items():
            result[(feature, value)] += 1
    return result


def quotas_hold(panel: Panel) -> bool:
    seats = counts(panel)
    return all(lo <= seats[(f, v)] <= hi for f, v, lo, hi in draws.quota_counts(panel))


def link_account(user: Any, membership: PanelMembership) -> None:
    """Make `user` the verified account of the member's register person."""
    from civic import clock

    db.session.add(
        ResidentLink(
            user_id=user.id,
            person_id=membership.person_id,
            code_id=_any_code(membership),
            verified_at=clock.now(),
        )
    )
    user.verified_at = clock.now()
    db.session.commit()


def _any_code(membership: PanelMembership) -> int:
    from panels.models import LetterCode

    code = db.session.scalar(
        select(LetterCode.id).where(LetterCode.person_id == membership.person_id)
    )
    assert code is not None
    return int(code)
