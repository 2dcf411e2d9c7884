"""Thin handlers for administrators: the panel draw, members and reserves, meetings,
attendance, expenses, the journey's steps, votes and the submission to the agency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

import sortition
from civic import clock
from civic.accounts.models import Role
from civic.authz import acting_user, require_role
from civic.draws import services as draw_services
from civic.errors import CivicError
from civic.extensions import db
from panels import bp, draws, membership, panel_setup, work
from panels.admin_views import labels
from panels.forms import (
    EndSeatForm,
    ExpenseForm,
    MeetingForm,
    SeedForm,
    StepForm,
    choices,
)
from panels.models import EndReason, Panel

END_LABELS = {
    EndReason.ROTATION: _l("rotation"),
    EndReason.TERM_END: _l("end of term"),
    EndReason.WITHDRAWN: _l("withdrew"),
    EndReason.NO_SHOW: _l("did not show up"),
    EndReason.PANEL_CLOSED: _l("panel closed"),
}
REC_LABELS = {
    "draft": _l("draft"),
    "voting": _l("being voted on"),
    "adopted": _l("adopted"),
    "rejected": _l("not adopted"),
}


def work_labels() -> dict[str, Any]:
    """Labels for the membership and work templates."""
    return {
        "end_labels": {k.value: v for k, v in END_LABELS.items()},
        "rec_labels": REC_LABELS,
        **labels(),
    }


def first_error(form: FlaskForm) -> str:
    """The first validation message of a form."""
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return str(_l("Please check what you entered."))


def act(action: Callable[[], Any], done: Any, target: str) -> Response:
    """Run one service call, commit and flash `done`; on a rule error roll back and flash it."""
    try:
        action()
        db.session.commit()
        flash(str(done), "success")
    except CivicError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(target, code=303)


def _admin() -> Any:
    user = acting_user()
    assert user is not None
    return user


# --- the draw ---


def _draw_page(panel: Panel, infeasible: sortition.InfeasibleQuotas | None = None) -> str:
    draw = draws.current_draw(panel)
    today = clock.local(clock.now()).date()
    members = draws.serving_members(panel)
    return render_template(
        "panels/draw.html",
        panel=panel,
        draw=draw,
        summary=draw_services.summary(draw) if draw else None,
        probabilities=draw_services.probabilities(draw) if draw else [],
        infeasible=infeasible,
        volunteers=len(draws.available_volunteers(panel, today)),
        members=members,
        quotas=draws.quota_counts(panel),
        reserves=draws.reserve_list(panel, today),
        seed_form=SeedForm(formdata=None),
        **work_labels(),
    )


@bp.get("/manage/<int:panel_id>/draw")
@require_role(Role.ADMIN)
def panel_draw(panel_id: int) -> str:
    """The panel draw: feasibility, probabilities, the record, the seed, the panel."""
    return _draw_page(panel_setup.get_panel(panel_id))


@bp.post("/manage/<int:panel_id>/draw/prepare")
@require_role(Role.ADMIN)
def prepare_draw(panel_id: int) -> Response | tuple[str, int]:
    """Run the engine on the volunteers; infeasible quotas are explained on the page."""
    panel = panel_setup.get_panel(panel_id)
    target = url_for("panels.panel_draw", panel_id=panel.id)
    try:
        result = draws.prepare_panel_draw(_admin(), panel)
    except CivicError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(target, code=303)
    if isinstance(result, sortition.InfeasibleQuotas):
        db.session.rollback()
        return _draw_page(panel_setup.get_panel(panel_id), infeasible=result), 422
    db.session.commit()
    flash(str(_l("The draw is prepared. Check it, then publish its record.")), "success")
    return redirect(target, code=303)


@bp.post("/manage/<int:panel_id>/draw/publish")
@require_role(Role.ADMIN)
def publish_draw(panel_id: int) -> Response:
    """Publish the record before the seed exists."""
    panel = panel_setup.get_panel(panel_id)
    return act(
        lambda: draws.publish_panel_draw(_admin(), panel),
        _l("The record is public. Enter the public seed once it is known."),
        url_for("panels.panel_draw", panel_id=panel.id),
    )


@bp.post("/manage/<int:panel_id>/draw/seed")
@require_role(Role.ADMIN)
def seed_draw(panel_id: int) -> Response:
    """Enter the public seed: the drawn volunteers are seated."""
    panel = panel_setup.get_panel(panel_id)
    form = SeedForm()
    target = url_for("panels.panel_draw", panel_id=panel.id)
    if not form.validate_on_submit():
        flash(first_error(form), "error")
        return redirect(target, code=303)
    return act(
        lambda: draws.seed_panel_draw(_admin(), panel, form.seed.data),
        _l("The panel is drawn."),
        target,
    )


# --- members, reserves, payments ---


def _expense_form(panel: Panel) -> ExpenseForm:
    form = ExpenseForm()
    form.membership_id.choices = choices((m.id, m.pseudonym) for m in draws.serving_members(panel))
    form.meeting_id.choices = choices(
        (m.id, clock.local(m.starts_at).strftime("%d-%m-%Y %H:%M"))
        for m in work.meetings_of(panel, held_only=True)
    )
    return form


@bp.get("/manage/<int:panel_id>/members")
@require_role(Role.ADMIN)
def panel_members(panel_id: int) -> str:
    """Members, the reserve list, confirmations, ends, stipends and expenses."""
    panel = panel_setup.get_panel(panel_id)
    today = clock.local(clock.now()).date()
    return render_template(
        "panels/members.html",
        panel=panel,
        members=membership.all_members(panel),
        reserves=draws.reserve_list(panel, today),
        totals=membership.payment_totals(panel),
        end_form=EndSeatForm(formdata=None),
        expense_form=_expense_form(panel),
        **work_labels(),
    )


@bp.post("/manage/<int:panel_id>/members/<int:membership_id>/confirm")
@require_role(Role.ADMIN)
def confirm_member(panel_id: int, membership_id: int) -> Response:
    """Record a member's confirmation."""
    panel = panel_setup.get_panel(panel_id)
    seat = membership.get_membership(panel, membership_id)
    return act(
        lambda: membership.confirm(_admin(), seat),
        _l("The seat is confirmed."),
        url_for("panels.panel_members", panel_id=panel.id),
    )


@bp.post("/manage/<int:panel_id>/members/<int:membership_id>/end")
@require_role(Role.ADMIN)
def end_member(panel_id: int, membership_id: int) -> Response:
    """A withdrawal or no-show: the seat ends and is refilled from the reserves."""
    panel = panel_setup.get_panel(panel_id)
    seat = membership.get_membership(panel, membership_id)
    form = EndSeatForm()
    target = url_for("panels.panel_members", panel_id=panel.id)
    if not form.validate_on_submit():
        flash(first_error(form), "error")
        return redirect(target, code=303)
    return act(
        lambda: membership.leave(_admin(), panel, seat, EndReason(form.reason.data)),
        _l("The seat ended; the reserve list was used to refill it where the quotas allow."),
        target,
    )


@bp.post("/manage/<int:panel_id>/expenses")
@require_role(Role.ADMIN)
def add_expense(panel_id: int) -> Response:
    """Add an expense entry."""
    panel = panel_setup.get_panel(panel_id)
    form = _expense_form(panel)
    target = url_for("panels.panel_members", panel_id=panel.id)
    if not form.validate_on_submit():
        flash(first_error(form), "error")
        return redirect(target, code=303)
    data = membership.ExpenseData(
        form.membership_id.data, form.meeting_id.data, form.amount.data, form.note.data
    )
    return act(
        lambda: membership.add_expense(_admin(), panel, data), _l("The expense was added."), target
    )


# --- meetings, steps, votes, submission ---


@bp.get("/manage/<int:panel_id>/work")
@require_role(Role.ADMIN)
def manage_work(panel_id: int) -> str:
    """Meetings and attendance, journey steps, recommendations and their votes."""
    panel = panel_setup.get_panel(panel_id)
    recs = work.recommendations_of(panel)
    return render_template(
        "panels/manage_work.html",
        panel=panel,
        meetings=work.meetings_of(panel),
        present=work.attendance_counts(panel),
        members=draws.serving_members(panel),
        steps=work.steps_of(panel),
        recommendations=recs,
        counts={r.id: work.vote_counts(r) for r in recs},
        submissions=work.submissions_of(panel),
        meeting_form=MeetingForm(formdata=None),
        step_form=StepForm(formdata=None),
        **work_labels(),
    )


@bp.post("/manage/<int:panel_id>/meetings")
@require_role(Role.ADMIN)
def plan_meeting(panel_id: int) -> Response:
    """Plan a meeting."""
    panel = panel_setup.get_panel(panel_id)
    form = MeetingForm()
    target = url_for("panels.manage_work", panel_id=panel.id)
    if not form.validate_on_submit():
        flash(first_error(form), "error")
        return redirect(target, code=303)
    local = form.starts_at.data.replace(tzinfo=clock.LOCAL_ZONE)
    data = work.MeetingData(
        local.astimezone(UTC), form.place.data or "", form.online_url.data or "", form.agenda.data
    )
    return act(
        lambda: work.create_meeting(_admin(), panel, data), _l("The meeting is planned."), target
    )


@bp.post("/manage/meetings/<int:meeting_id>/attendance")
@require_role(Role.ADMIN)
def record_attendance(meeting_id: int) -> Response:
    """Record who attended (checkboxes of the serving members); stipends follow."""
    meeting = work.get_meeting(meeting_id)
    present = {int(v) for v in request.form.getlist("present") if v.isdigit()}
    return act(
        lambda: work.record_attendance(_admin(), meeting, present),
        _l("The attendance is recorded."),
        url_for("panels.manage_work", panel_id=meeting.panel_id),
    )


@bp.post("/manage/<int:panel_id>/steps")
@require_role(Role.ADMIN)
def add_step(panel_id: int) -> Response:
    """Add a step to the journey."""
    panel = panel_setup.get_panel(panel_id)
    form = StepForm()
    return act(
        lambda: work.add_step(_admin(), panel, form.title.data or "", form.description.data or ""),
        _l("The step was added."),
        url_for("panels.manage_work", panel_id=panel.id),
    )


@bp.post("/manage/recommendations/<int:rec_id>/open-vote")
@require_role(Role.ADMIN)
def open_vote(rec_id: int) -> Response:
    """Put a draft to the members' vote."""
    rec = work.get_recommendation(rec_id)
    return act(
        lambda: work.open_vote(_admin(), rec),
        _l("The members can vote now."),
        url_for("panels.manage_work", panel_id=rec.panel_id),
    )


@bp.post("/manage/recommendations/<int:rec_id>/close-vote")
@require_role(Role.ADMIN)
def close_vote(rec_id: int) -> Response:
    """Close the vote (at the end of the meeting)."""
    rec = work.get_recommendation(rec_id)
    return act(
        lambda: work.close_vote(_admin(), rec),
        _l("The vote is closed."),
        url_for("panels.manage_work", panel_id=rec.panel_id),
    )


@bp.post("/manage/<int:panel_id>/submit")
@require_role(Role.ADMIN)
def submit(panel_id: int) -> Response:
    """Send the adopted recommendations to the agency's inbox as one proposal."""
    panel = panel_setup.get_panel(panel_id)
    return act(
        lambda: work.submit_adopted(_admin(), panel),
        _l("The adopted recommendations are in the agency's inbox."),
        url_for("panels.manage_work", panel_id=panel.id),
    )
