"""Thin handlers: the register page (upload, errors, summary, history)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from civic.accounts.models import Role
from civic.authz import acting_user, require_role
from civic.errors import NotFound
from civic.extensions import db
from panels import bp
from panels.forms import RegisterUploadForm
from panels.models import ImportStatus, RegisterImport, RegisterStatus
from panels.register import (
    ImportResult,
    ImportSettings,
    import_history,
    import_register,
    register_stats,
)

PERSON_LABELS = {
    RegisterStatus.ACTIVE: _l("active"),
    RegisterStatus.MOVED_AWAY: _l("moved away"),
    RegisterStatus.DECEASED: _l("deceased"),
    RegisterStatus.INELIGIBLE: _l("not eligible"),
    RegisterStatus.ABSENT: _l("absent from the latest extract"),
}
IMPORT_LABELS = {ImportStatus.COMPLETED: _l("imported"), ImportStatus.REJECTED: _l("refused")}


def _page(
    form: RegisterUploadForm, result: ImportResult | None = None, status: int = 200
) -> tuple[str, int]:
    settings = ImportSettings.from_app()
    stats = register_stats()
    stats["status"] = [(str(PERSON_LABELS[RegisterStatus(s)]), n) for s, n in stats["status"]]
    html = render_template(
        "panels/register.html",
        form=form,
        result=result,
        stats=stats,
        history=import_history(),
        extra_fields=settings.fmt.extra_fields,
        max_mb=min(settings.max_bytes, current_app.config["MAX_CONTENT_LENGTH"] or 1 << 40) >> 20,
        **_labels(),
    )
    return html, status


def _labels() -> dict[str, Any]:
    return {"status_labels": {k.value: v for k, v in IMPORT_LABELS.items()}}


@bp.get("/register")
@require_role(Role.ADMIN)
def register() -> tuple[str, int]:
    """The register: counts, the upload form and the import history."""
    return _page(RegisterUploadForm())


@bp.post("/register")
@require_role(Role.ADMIN)
def upload_register() -> Response | tuple[str, int]:
    """Import an uploaded extract; show every error, or go to the import's summary."""
    form = RegisterUploadForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    upload = form.file.data
    result = import_register(upload.stream, upload.filename or "upload.csv", acting_user())
    db.session.commit()
    if not result.ok:
        return _page(RegisterUploadForm(formdata=None), result, status=422)
    flash(_("The register was imported."), "success")
    return redirect(url_for("panels.register_import", import_id=result.record.id))


@bp.get("/register/imports/<int:import_id>")
@require_role(Role.ADMIN)
def register_import(import_id: int) -> str:
    """The summary of one import."""
    record = db.session.get(RegisterImport, import_id)
    if record is None:
        raise NotFound()
    return render_template("panels/register_import.html", record=record, **_labels())
