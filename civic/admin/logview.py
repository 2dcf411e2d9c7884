"""The audit viewer's query: filters, pagination and the chain's verification status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from civic.accounts.forms import select_choices
from civic.admin.forms import AuditFilterForm
from civic.audit.models import AuditEntry
from civic.audit.services import verify_chain
from civic.extensions import db


def known_actions() -> list[str]:
    """Every action that occurs in the log, sorted."""
    return list(
        db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    )


def audit_page(args: Mapping[str, str], per_page: int) -> dict[str, Any]:
    """Template context: filter form, one page of entries (newest first), chain status."""
    form = AuditFilterForm(args)
    form.action.choices = select_choices(
        [("", _l("all actions"))] + [(a, a) for a in known_actions()]
    )
    form.validate()
    query = select(AuditEntry).order_by(AuditEntry.seq.desc())
    if form.action.data:
        query = query.where(AuditEntry.action == form.action.data)
    if form.object_type.data:
        query = query.where(AuditEntry.object_type == form.object_type.data.strip())
    if form.object_id.data:
        query = query.where(AuditEntry.object_id == form.object_id.data.strip())
    page = db.paginate(
        query,
        page=int(args.get("page", 1)) if str(args.get("page", "1")).isdigit() else 1,
        per_page=per_page,
        error_out=False,
    )
    checked, broken = verify_chain()
    filters = {k: v for k, v in args.items() if k in ("action", "object_type", "object_id") and v}
    return {"form": form, "page": page, "checked": checked, "broken": broken, "filters": filters}
