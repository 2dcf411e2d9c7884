"""Use cases of panel set-up: create and edit a panel, add and remove its quotas."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from civic import audit
from civic.accounts.models import User
from civic.agencies.models import Agency
from civic.errors import Conflict, InvalidInput, NotFound
from civic.extensions import db
from panels import rules
from panels.models import Panel, PanelQuota, PanelStatus, QuotaKind, TopicKind

FIELD_MESSAGES = {
    "size": _l("The size must be at least 1."),
    "term_months": _l("The term must be at least 1 month."),
    "rotation_months": _l("The rotation cadence must be between 0 and the term."),
    "rotation_percent": _l("The share replaced per rotation must be between 0 and 100 percent."),
    "rest_months": _l("The rest period cannot be negative."),
}
QUOTA_MESSAGES = {
    "count_missing": _l("A count quota needs a minimum and a maximum."),
    "count_range": _l("The minimum must not exceed the maximum, nor the maximum the panel size."),
    "share_missing": _l("A share quota needs a share and a tolerance."),
    "share_range": _l("Share and tolerance must be between 0 and 100 percent."),
}


@dataclass(frozen=True)
class PanelData:
    """The editable fields of a panel."""

    topic_kind: TopicKind
    title: str
    description: str
    agency_id: int
    size: int
    term_months: int
    rotation_months: int
    rotation_percent: int
    rest_months: int
    status: PanelStatus = PanelStatus.DRAFT


@dataclass(frozen=True)
class QuotaData:
    """One quota row as entered."""

    feature: str
    value: str
    kind: QuotaKind
    min_count: int | None = None
    max_count: int | None = None
    share_percent: Decimal | None = None
    tolerance_percent: Decimal | None = None


def get_panel(panel_id: int) -> Panel:
    """The panel, or NotFound."""
    panel = db.session.get(Panel, panel_id)
    if panel is None:
        raise NotFound()
    return panel


def list_panels() -> list[Panel]:
    """Every panel, newest first."""
    return list(db.session.scalars(select(Panel).order_by(Panel.id.desc())))


def _check(data: PanelData) -> None:
    bad = rules.check_panel_numbers(
        data.size, data.term_months, data.rotation_months, data.rotation_percent, data.rest_months
    )
    if bad:
        raise InvalidInput(FIELD_MESSAGES[bad[0]], field=bad[0])
    if db.session.get(Agency, data.agency_id) is None:
        raise InvalidInput(_l("Choose an existing agency."), field="agency_id")


def _apply(panel: Panel, data: PanelData) -> None:
    for name, value in data.__dict__.items():
        setattr(panel, name, value)


def create_panel(actor: User, data: PanelData) -> Panel:
    """Create a panel (audited)."""
    _check(data)
    panel = Panel()
    _apply(panel, data)
    db.session.add(panel)
    db.session.flush()
    audit.record(actor, "panel.created", panel, after=panel.snapshot())
    return panel


def update_panel(actor: User, panel: Panel, data: PanelData) -> Panel:
    """Change a panel's fields (audited with before and after)."""
    _check(data)
    before = panel.snapshot()
    _apply(panel, data)
    db.session.flush()
    audit.record(actor, "panel.updated", panel, before, panel.snapshot())
    return panel


def quotas_of(panel: Panel) -> list[PanelQuota]:
    """The panel's quotas by feature and value."""
    return list(
        db.session.scalars(
            select(PanelQuota)
            .where(PanelQuota.panel_id == panel.id)
            .order_by(PanelQuota.feature, PanelQuota.value)
        )
    )


def _quota_fields(quota: PanelQuota) -> dict[str, object]:
    return {
        "feature": quota.feature,
        "value": quota.value,
        "kind": quota.kind.value,
        "min_count": quota.min_count,
        "max_count": quota.max_count,
        "share_percent": str(quota.share_percent) if quota.share_percent is not None else None,
        "tolerance_percent": (
            str(quota.tolerance_percent) if quota.tolerance_percent is not None else None
        ),
    }


def add_quota(actor: User, panel: Panel, data: QuotaData) -> PanelQuota:
    """Add one quota row; a feature value can have one quota only."""
    problem = rules.quota_problem(
        data.kind.value,
        data.min_count,
        data.max_count,
        float(data.share_percent) if data.share_percent is not None else None,
        float(data.tolerance_percent) if data.tolerance_percent is not None else None,
        panel.size,
    )
    if problem:
        raise InvalidInput(QUOTA_MESSAGES[problem])
    counts = data.kind == QuotaKind.COUNT
    quota = PanelQuota(
        panel_id=panel.id,
        feature=data.feature.strip(),
        value=data.value.strip(),
        kind=data.kind,
        min_count=data.min_count if counts else None,
        max_count=data.max_count if counts else None,
        share_percent=None if counts else data.share_percent,
        tolerance_percent=None if counts else data.tolerance_percent,
    )
    db.session.add(quota)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_l("This feature value already has a quota.")) from None
    audit.record(actor, "panel.quota_added", quota, after=_quota_fields(quota))
    return quota


def remove_quota(actor: User, panel: Panel, quota_id: int) -> None:
    """Delete one of the panel's quotas (audited with what it was)."""
    quota = db.session.get(PanelQuota, quota_id)
    if quota is None or quota.panel_id != panel.id:
        raise NotFound()
    audit.record(actor, "panel.quota_removed", quota, before=_quota_fields(quota))
    db.session.delete(quota)
    db.session.flush()
