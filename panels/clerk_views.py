"""Thin handlers for clerks: find an invitation, record a phone or paper reply, issue codes."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from civic.accounts.models import Role
from civic.authz import acting_user, require_role
from civic.errors import CivicError, Conflict
from civic.extensions import db
from panels import bp, replies, verification, waves
from panels.admin_views import labels, show_error
from panels.forms import ClerkLookupForm, IssueCodeForm
from panels.models import Invitation, ReplyChannel
from panels.resident_views import new_reply_form, reply_data, reply_page_context


def _desk(
    lookup: ClerkLookupForm | None = None,
    issue: IssueCodeForm | None = None,
    found: list[Invitation] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    html = render_template(
        "panels/clerk.html",
        lookup=lookup or ClerkLookupForm(formdata=None),
        issue=issue or IssueCodeForm(formdata=None),
        found=found,
        **labels(),
    )
    return html, status


@bp.get("/clerk")
@require_role(Role.CLERK)
def clerk_desk() -> tuple[str, int]:
    """The clerk's desk: look up an invitation, or issue a code."""
    return _desk()


@bp.post("/clerk/lookup")
@require_role(Role.CLERK)
def clerk_lookup() -> Response | tuple[str, int]:
    """Find invitations by letter code or by register id (never put in a URL)."""
    form = ClerkLookupForm()
    clerk = acting_user()
    assert clerk is not None
    if not form.validate_on_submit():
        return _desk(lookup=form, status=422)
    code, register_id = (form.code.data or "").strip(), (form.register_id.data or "").strip()
    if not code and not register_id:
        form.code.errors = [_("Enter a letter code or a register id.")]
        return _desk(lookup=form, status=422)
    try:
        if code:
            invitation = replies.clerk_invitation_by_code(clerk, code)
            db.session.commit()
            return redirect(url_for("panels.clerk_invitation", invitation_id=invitation.id))
        found = replies.invitations_for_register_id(register_id)
    except CivicError as error:
        db.session.commit()  # keep the count of wrong codes
        (form.code if code else form.register_id).errors = [str(error.message)]
        return _desk(lookup=form, status=422)
    return _desk(found=found)


@bp.route("/clerk/invitations/<int:invitation_id>", methods=["GET", "POST"])
@require_role(Role.CLERK)
def clerk_invitation(invitation_id: int) -> Response | tuple[str, int]:
    """One invitation; record the reply the person gave by phone or on paper."""
    invitation = replies.get_invitation(invitation_id)
    form = new_reply_form(invitation, clerk=True)
    if form.validate_on_submit():
        channel = ReplyChannel(form.channel.data)  # type: ignore[attr-defined]
        try:
            replies.record_reply(invitation, reply_data(form), channel=channel, actor=acting_user())
            db.session.commit()
            flash(_("The reply was recorded."), "success")
            return redirect(url_for("panels.clerk_invitation", invitation_id=invitation.id))
        except CivicError as error:
            db.session.rollback()
            invitation = replies.get_invitation(invitation_id)
            if isinstance(error, Conflict):
                flash(str(error.message), "error")
            else:
                show_error(form, error)
    html = render_template(
        "panels/clerk_invitation.html",
        form=form,
        reply=replies.reply_of(invitation),
        reference=waves.reference(invitation.wave, invitation),
        **reply_page_context(invitation),
        **labels(),
    )
    return html, 422 if form.is_submitted() else 200


@bp.post("/clerk/codes")
@require_role(Role.CLERK)
def clerk_issue_code() -> tuple[str, int]:
    """Issue a verification code for someone in the register; shown once, with a letter."""
    form = IssueCodeForm()
    clerk = acting_user()
    assert clerk is not None
    if not form.validate_on_submit():
        return _desk(issue=form, status=422)
    try:
        row, code = verification.clerk_issue_code(clerk, form.register_id.data)
    except CivicError as error:
        db.session.rollback()
        form.register_id.errors = [str(error.message)]
        return _desk(issue=form, status=422)
    db.session.commit()
    html = render_template(
        "panels/clerk_code.html", code=code, expires_at=row.expires_at, reply_url=waves.reply_url()
    )
    return html, 200
