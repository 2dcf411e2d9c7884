"""Thin handlers: the privacy page, the data download and the erasure of one's account."""

from __future__ import annotations

import json
from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import logout_user
from werkzeug.wrappers import Response

from civic import clock
from civic.accounts.views import acting_user
from civic.authz import require_login
from civic.errors import InvalidInput, Throttled
from civic.extensions import db
from civic.privacy import bp, services
from civic.privacy.forms import EraseForm, ExportForm

Page = Response | tuple[str, int] | str


def _page(erase_form: EraseForm | None = None, status: int = 200, **extra: Any) -> tuple[str, int]:
    return render_template(
        "privacy/index.html",
        export_form=ExportForm(prefix="export"),
        erase_form=erase_form or EraseForm(prefix="erase", formdata=None),
        **extra,
    ), status


@bp.get("/")
@require_login
def index() -> Page:
    """What Civic keeps, the download and the erasure."""
    return _page()


@bp.post("/export")
@require_login
def export() -> Page:
    """Everything Civic holds about the user, as a JSON file."""
    if not ExportForm(prefix="export").validate_on_submit():
        return _page(status=400)
    data = services.export_data(acting_user())
    db.session.commit()
    name = f"civic-my-data-{clock.now():%Y-%m-%d}.json"
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/erase")
@require_login
def erase() -> Page:
    """Erase the account after the password; the user is logged out everywhere."""
    form = EraseForm(prefix="erase")
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        services.erase_own_account(
            acting_user(), form.password.data or "", request.remote_addr or "unknown"
        )
    except Throttled as error:
        db.session.rollback()
        form.password.errors = [str(error.message)]
        html, status = _page(form, 429)
        wait = str(error.details.get("retry_after", 60))
        return Response(html, status, headers={"Retry-After": wait}, mimetype="text/html")
    except InvalidInput as error:
        db.session.commit()  # a wrong password counts as a failed attempt
        form.password.errors = [str(error.message)]
        return _page(form, 422)
    db.session.commit()
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Your account is erased. Thank you for taking part."), "success")
    return redirect(url_for("public.home"))
