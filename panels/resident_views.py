"""Thin handlers for residents: verify an account with a letter code; reply to an invitation."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from civic import clock
from civic.authz import acting_user, require_login
from civic.errors import CivicError, Conflict, Throttled
from civic.extensions import db
from panels import bp, replies, reply_bp, verification
from panels.admin_views import show_error
from panels.forms import CodeForm, ReplyForm, reply_form
from panels.models import ExcuseReason, Invitation, InvitationStatus, ReplyChannel
from panels.questions import reply_questions

REPLY_SESSION = "panels_reply"
REPLY_SESSION_SECONDS = 30 * 60


@bp.route("/verify", methods=["GET", "POST"])
@require_login
def verify() -> Response | tuple[str, int]:
    """Verify the logged-in account as a resident with a letter code."""
    user = acting_user()
    assert user is not None
    form = CodeForm()
    link = verification.link_for(user)
    if link is None and form.validate_on_submit():
        try:
            verification.redeem(user, form.code.data)
            db.session.commit()
            flash(_("Your account is now verified as a resident."), "success")
            return redirect(url_for("panels.verify"))
        except CivicError as error:
            db.session.commit()  # keep the count of wrong codes
            form.code.errors = [str(error.message)]
            status = 429 if isinstance(error, Throttled) else 422
            return render_template("panels/verify.html", form=form, link=None), status
    status = 422 if form.is_submitted() and form.errors else 200
    return render_template("panels/verify.html", form=form, link=link), status


def _remembered() -> Invitation | None:
    saved = session.get(REPLY_SESSION)
    if not isinstance(saved, dict):
        return None
    if clock.now().timestamp() - float(saved.get("at", 0)) > REPLY_SESSION_SECONDS:
        session.pop(REPLY_SESSION, None)
        return None
    return db.session.get(Invitation, int(saved.get("id", 0)))


@reply_bp.route("", methods=["GET", "POST"])
def start() -> Response | tuple[str, int]:
    """Step 1: the code from the letter."""
    form = CodeForm()
    if form.validate_on_submit():
        try:
            invitation = replies.invitation_by_code(form.code.data, request.remote_addr)
        except CivicError as error:
            db.session.commit()  # keep the count of wrong codes
            form.code.errors = [str(error.message)]
            status = 429 if isinstance(error, Throttled) else 422
            return render_template("panels/reply_code.html", form=form), status
        session[REPLY_SESSION] = {"id": invitation.id, "at": clock.now().timestamp()}
        return redirect(url_for("reply.answer"))
    status = 422 if form.is_submitted() else 200
    return render_template("panels/reply_code.html", form=form), status


def reply_data(form: ReplyForm) -> replies.ReplyData:
    """The reply as the service takes it, from a submitted form."""
    answers = {f.name[2:]: f.data for f in form.question_fields() if f.data}
    return replies.ReplyData(
        answer=InvitationStatus(form.answer.data),
        answers=answers,
        availability=form.availability.data,
        access_needs=form.access_needs.data,
        excuse_reason=ExcuseReason(form.reason.data) if form.reason.data else None,
        excuse_text=form.reason_text.data,
        defer_to=date.fromisoformat(form.defer_to.data) if form.defer_to.data else None,
    )


def new_reply_form(invitation: Invitation, clerk: bool) -> ReplyForm:
    """The reply form for an invitation (defer offered only when still possible)."""
    months = replies.defer_options(invitation) if replies.can_defer(invitation) else []
    form = reply_form(reply_questions(), months, clerk)
    if not replies.can_defer(invitation):
        form.answer.choices = [c for c in form.answer.choices if c.value != "deferred"]
    return form


def reply_page_context(invitation: Invitation) -> dict[str, Any]:
    """What the reply templates show about the invitation."""
    return {
        "invitation": invitation,
        "panel": invitation.wave.panel,
        "deadline": invitation.wave.reply_deadline,
        "open": invitation.status == InvitationStatus.PENDING
        and clock.now() < invitation.wave.reply_deadline,
        "can_defer": replies.can_defer(invitation),
    }


@reply_bp.route("/answer", methods=["GET", "POST"])
def answer() -> Response | tuple[str, int]:
    """Step 2: the answer, and what it needs."""
    invitation = _remembered()
    if invitation is None:
        flash(_("Please enter the code from your letter first."), "warning")
        return redirect(url_for("reply.start"))
    form = new_reply_form(invitation, clerk=False)
    if form.validate_on_submit():
        try:
            replies.record_reply(invitation, reply_data(form), channel=ReplyChannel.WEB, actor=None)
            db.session.commit()
            session.pop(REPLY_SESSION, None)
            return redirect(url_for("reply.done", answer=form.answer.data))
        except CivicError as error:
            db.session.rollback()
            invitation = _remembered()
            if isinstance(error, Conflict) or invitation is None:
                flash(str(error.message), "error")
                return redirect(url_for("reply.answer"))
            show_error(form, error)
    status = 422 if form.is_submitted() else 200
    context = reply_page_context(invitation)
    return render_template("panels/reply_answer.html", form=form, **context), status


@reply_bp.get("/done")
def done() -> str:
    """The thank-you page."""
    return render_template("panels/reply_done.html", answer=request.args.get("answer", ""))
