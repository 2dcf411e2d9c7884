"""Thin handlers for administrators: panels, quotas, waves; letters for admins and clerks."""

from __future__ import annotations

import json
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from civic.accounts.models import Role
from civic.agencies.models import Agency
from civic.authz import acting_user, require_role
from civic.errors import CivicError
from civic.extensions import db
from panels import bp, panel_setup, waves
from panels.forms import (
    STATUS_CHOICES,
    TOPIC_CHOICES,
    PanelForm,
    QuotaForm,
    WaveForm,
    choices,
)
from panels.models import InvitationStatus, Panel, PanelStatus, QuotaKind, TopicKind

STATUS_LABELS = {
    InvitationStatus.PENDING: _l("waiting for a reply"),
    InvitationStatus.YES: _l("yes"),
    InvitationStatus.NO: _l("no"),
    InvitationStatus.DEFERRED: _l("deferred"),
    InvitationStatus.EXCUSED: _l("excused"),
    InvitationStatus.NO_REPLY: _l("no reply"),
}


def labels() -> dict[str, Any]:
    """Labels for enums shown in templates."""
    return {
        "topic_labels": dict(TOPIC_CHOICES),
        "panel_status_labels": dict(STATUS_CHOICES),
        "invitation_labels": {k.value: v for k, v in STATUS_LABELS.items()},
    }


def show_error(form: Any, error: CivicError) -> None:
    """Put a service error on its form field when it names one, else flash it."""
    name = error.details.get("field")
    field = getattr(form, name, None) if isinstance(name, str) else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        flash(str(error.message), "error")


def _panel_form(panel: Panel | None = None) -> PanelForm:
    form = PanelForm(obj=panel)
    form.agency_id.choices = choices(
        (a.id, a.name) for a in db.session.scalars(select(Agency).order_by(Agency.name))
    )
    if panel is not None and not form.is_submitted():
        form.topic_kind.data = panel.topic_kind.value
        form.status.data = panel.status.value
    return form


def _panel_data(form: PanelForm) -> panel_setup.PanelData:
    return panel_setup.PanelData(
        topic_kind=TopicKind(form.topic_kind.data),
        title=form.title.data.strip(),
        description=(form.description.data or "").strip(),
        agency_id=form.agency_id.data,
        size=form.size.data,
        term_months=form.term_months.data,
        rotation_months=form.rotation_months.data,
        rotation_percent=form.rotation_percent.data,
        rest_months=form.rest_months.data,
        status=PanelStatus(form.status.data),
    )


@bp.get("/manage")
@require_role(Role.ADMIN)
def manage_panels() -> str:
    """Every panel."""
    return render_template("panels/manage.html", panels=panel_setup.list_panels(), **labels())


def _save_panel(form: PanelForm, panel: Panel | None) -> Response | tuple[str, int]:
    if form.validate_on_submit():
        user = acting_user()
        assert user is not None
        try:
            data = _panel_data(form)
            if panel is None:
                panel = panel_setup.create_panel(user, data)
            else:
                panel_setup.update_panel(user, panel, data)
            db.session.commit()
            flash(_("The panel was saved."), "success")
            return redirect(url_for("panels.panel_detail", panel_id=panel.id))
        except CivicError as error:
            db.session.rollback()
            show_error(form, error)
    status = 422 if form.is_submitted() else 200
    return render_template("panels/panel_form.html", form=form, panel=panel), status


@bp.route("/manage/new", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def new_panel() -> Response | tuple[str, int]:
    """Create a panel."""
    return _save_panel(_panel_form(), None)


@bp.route("/manage/<int:panel_id>/edit", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def edit_panel(panel_id: int) -> Response | tuple[str, int]:
    """Edit a panel."""
    panel = panel_setup.get_panel(panel_id)
    return _save_panel(_panel_form(panel), panel)


def _detail(
    panel: Panel, quota_form: QuotaForm | None = None, wave_form: WaveForm | None = None
) -> tuple[str, int]:
    submitted = any(f is not None and f.is_submitted() for f in (quota_form, wave_form))
    html = render_template(
        "panels/panel_detail.html",
        panel=panel,
        quotas=panel_setup.quotas_of(panel),
        waves=waves.waves_of(panel),
        quota_form=quota_form or QuotaForm(formdata=None),
        wave_form=wave_form or WaveForm(formdata=None),
        **labels(),
    )
    return html, 422 if submitted else 200


@bp.get("/manage/<int:panel_id>")
@require_role(Role.ADMIN)
def panel_detail(panel_id: int) -> tuple[str, int]:
    """A panel: its settings, quotas and waves, with the forms to add them."""
    return _detail(panel_setup.get_panel(panel_id))


@bp.post("/manage/<int:panel_id>/quotas")
@require_role(Role.ADMIN)
def add_quota(panel_id: int) -> Response | tuple[str, int]:
    """Add a quota to a panel."""
    panel = panel_setup.get_panel(panel_id)
    form = QuotaForm()
    user = acting_user()
    assert user is not None
    if form.validate_on_submit():
        data = panel_setup.QuotaData(
            feature=form.feature.data,
            value=form.value.data,
            kind=QuotaKind(form.kind.data),
            min_count=form.min_count.data,
            max_count=form.max_count.data,
            share_percent=form.share_percent.data,
            tolerance_percent=form.tolerance_percent.data,
        )
        try:
            panel_setup.add_quota(user, panel, data)
            db.session.commit()
            flash(_("The quota was added."), "success")
            return redirect(url_for("panels.panel_detail", panel_id=panel.id))
        except CivicError as error:
            db.session.rollback()
            panel = panel_setup.get_panel(panel_id)
            show_error(form, error)
    return _detail(panel, quota_form=form)


@bp.post("/manage/<int:panel_id>/quotas/<int:quota_id>/delete")
@require_role(Role.ADMIN)
def remove_quota(panel_id: int, quota_id: int) -> Response:
    """Remove a quota."""
    panel = panel_setup.get_panel(panel_id)
    user = acting_user()
    assert user is not None
    panel_setup.remove_quota(user, panel, quota_id)
    db.session.commit()
    flash(_("The quota was removed."), "success")
    return redirect(url_for("panels.panel_detail", panel_id=panel.id))


@bp.post("/manage/<int:panel_id>/waves")
@require_role(Role.ADMIN)
def draw_wave(panel_id: int) -> Response | tuple[str, int]:
    """Draw an invitation wave."""
    panel = panel_setup.get_panel(panel_id)
    form = WaveForm()
    if form.validate_on_submit():
        request = waves.WaveRequest(
            seed=form.seed.data,
            size=form.size.data,
            reply_by=form.reply_by.data,
            oversample=bool(form.oversample.data),
        )
        try:
            user = acting_user()
            assert user is not None
            wave = waves.draw_wave(user, panel, request)
            db.session.commit()
            flash(_("The wave was drawn."), "success")
            return redirect(url_for("panels.wave_detail", wave_id=wave.id))
        except CivicError as error:
            db.session.rollback()
            panel = panel_setup.get_panel(panel_id)
            show_error(form, error)
    return _detail(panel, wave_form=form)


@bp.get("/waves/<int:wave_id>")
@require_role(Role.CLERK)
def wave_detail(wave_id: int) -> str:
    """A wave: its seed, deadline and replies so far."""
    wave = waves.get_wave(wave_id)
    return render_template(
        "panels/wave.html",
        wave=wave,
        counts=waves.status_counts(wave),
        factors=json.loads(wave.area_factors),
        **labels(),
    )


@bp.get("/waves/<int:wave_id>/letters")
@require_role(Role.CLERK)
def wave_letters(wave_id: int) -> str:
    """The wave's letters: one A4 page per invitation, for printing."""
    wave = waves.get_wave(wave_id)
    return render_template(
        "panels/letters.html",
        wave=wave,
        letters=waves.letters(wave),
        reply_url=waves.reply_url(),
        reply_address=waves.reply_address(),
    )
