"""The agency inbox (/inbox, officers of the item's agency) and the public accountability
pages (/agencies). Every inbox route checks the item's agency; denials are audit-logged."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from civic import clock
from civic.accounts.models import Role, User
from civic.agencies.models import Agency
from civic.authz import (
    acting_user,
    deny,
    record_denial,
    require_agency_member,
    require_login,
    require_role,
)
from civic.errors import CivicError, NotAllowed
from civic.extensions import db
from proposals import accountability, answers, inbox, progress
from proposals.answers import KIND_LABELS, AnswerData
from proposals.models import AnswerKind, OriginType, ProgressStatus, Proposal, ProposalStatus
from proposals.progress import ProgressData

inbox_bp = Blueprint("inbox", __name__)
public_bp = Blueprint("agencies", __name__)
inbox.register_jobs()

STATUS_LABELS = {
    ProposalStatus.OPEN: _l("waiting for an answer"),
    ProposalStatus.ANSWERED: _l("answered"),
    ProposalStatus.DONE: _l("done"),
}
ORIGIN_LABELS = {OriginType.IDEA: _l("Idea of residents"), OriginType.PANEL: _l("Citizen panel")}


# --- forms (shape only; proposals.answers and proposals.progress hold the rules) ---


class AnswerForm(FlaskForm):
    kind = RadioField(
        _l("Answer"),
        choices=[SelectChoice(k.value, v) for k, v in KIND_LABELS.items()],
        validators=[InputRequired(_l("Choose an answer."))],
    )
    summary = StringField(_l("Summary (at most 200 characters)"), validators=[Optional()])
    explanation = TextAreaField(_l("Explanation in plain language"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[Optional()])
    new_due_date = DateField(_l("New answer date"), validators=[Optional()])


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Officer"), validators=[Optional()])


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Internal note"), validators=[Optional()])


class ProgressForm(FlaskForm):
    status = RadioField(
        _l("Status"),
        choices=[SelectChoice(k.value, v) for k, v in progress.STATUS_LABELS.items()],
        validators=[InputRequired(_l("Choose a status."))],
    )
    percent = IntegerField(
        _l("Percentage done"),
        validators=[
            InputRequired(_l("Enter a percentage from 0 to 100.")),
            NumberRange(0, 100, _l("Enter a percentage from 0 to 100.")),
        ],
    )
    milestone = TextAreaField(_l("Milestone"), validators=[Optional()])
    on_date = DateField(_l("Date"), validators=[InputRequired(_l("Enter the date."))])


class RateForm(FlaskForm):
    score = RadioField(
        _l("Your rating (1 = very poor, 5 = very good)"),
        choices=[SelectChoice(str(n), str(n)) for n in range(1, 6)],
        validators=[InputRequired(_l("Choose a score from 1 to 5."))],
    )
    comment = TextAreaField(_l("Comment"), validators=[Optional()])


# --- helpers ---


def _user() -> User:
    user = acting_user()
    assert user is not None  # the routes using this require a login
    return user


def _item(proposal_id: int) -> tuple[User, Proposal]:
    """The proposal if the acting officer belongs to its agency (else 404, audit-logged)."""
    user = _user()
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        deny(user, f"proposal:{proposal_id}", hide=True)
    require_agency_member(user, proposal.agency_id, f"proposal:{proposal_id}")
    return user, proposal


def _show_error(form: Any, error: CivicError) -> None:
    name = error.details.get("field")
    field = getattr(form, name, None) if isinstance(name, str) else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        flash(str(error.message), "error")


def _end_of_day(day: date) -> datetime:
    """A date typed by an officer means the end of that day in Amsterdam."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=clock.LOCAL_ZONE).astimezone(UTC)


def _labels() -> dict[str, Any]:
    return {
        "status_labels": {k.value: v for k, v in STATUS_LABELS.items()},
        "origin_labels": {k.value: v for k, v in ORIGIN_LABELS.items()},
        "kind_labels": {k.value: v for k, v in KIND_LABELS.items()},
        "progress_labels": {k.value: v for k, v in progress.STATUS_LABELS.items()},
    }


def _origin_url(proposal: Proposal) -> str | None:
    if proposal.origin_type == OriginType.IDEA:
        return url_for("proposals.detail", idea_id=proposal.origin_id)
    return None


# --- the inbox ---


def _inbox_agency(user: User) -> Agency:
    if user.role == Role.ADMIN:
        agency_id = request.args.get("agency", type=int)
        agency = db.session.get(Agency, agency_id) if agency_id else None
        agency = agency or db.session.scalar(select(Agency).order_by(Agency.name))
        if agency is None:
            abort(404)
        return agency
    if user.agency_id is None:
        deny(user, "inbox:no-agency")
    return db.session.get(Agency, user.agency_id)  # type: ignore[return-value]


def _filter() -> inbox.InboxFilter:
    args = request.args
    status = args.get("status", "")
    origin = args.get("origin", "")
    sort = args.get("sort", "")
    return inbox.InboxFilter(
        status=ProposalStatus(status) if status in set(ProposalStatus) else None,
        origin=OriginType(origin) if origin in set(OriginType) else None,
        assignee=args.get("assignee", "") if args.get("assignee") in ("me", "none") else "",
        overdue=args.get("overdue") == "1",
        sort=inbox.Sort(sort) if sort in set(inbox.Sort) else inbox.Sort.DUE,
    )


@inbox_bp.get("/")
@require_role(Role.OFFICER)
def index() -> str:
    """The agency's proposals with filters and sorting."""
    user = _user()
    agency = _inbox_agency(user)
    now = clock.now()
    f = _filter()
    items = [
        (
            p,
            inbox.is_overdue(p.status, p.response_due_at, now),
            inbox.days_late(p.response_due_at, now),
        )
        for p in inbox.list_inbox(agency.id, f, user, now)
    ]
    agencies = (
        list(db.session.scalars(select(Agency).order_by(Agency.name)))
        if user.role == Role.ADMIN
        else []
    )
    return render_template(
        "proposals/inbox/index.html",
        agency=agency,
        agencies=agencies,
        items=items,
        f=f,
        now=now,
        statuses=list(ProposalStatus),
        origins=list(OriginType),
        **_labels(),
    )


def _answer_form(draft: Any) -> AnswerForm:
    form = AnswerForm()
    if draft is not None and not form.is_submitted():
        form.kind.data = draft.kind.value
        form.summary.data = draft.summary
        form.explanation.data = draft.explanation
        form.reason.data = draft.reason or ""
        if draft.new_due_at:
            form.new_due_date.data = clock.local(draft.new_due_at).date()
    return form


def _assign_form(proposal: Proposal) -> AssignForm:
    form = AssignForm()
    form.assignee.choices = [SelectChoice("", _("Nobody"))] + [
        SelectChoice(str(o.id), o.display_name or o.email)
        for o in inbox.officers_of(proposal.agency_id)
    ]
    if not form.is_submitted():
        form.assignee.data = str(proposal.assignee_id or "")
    return form


def _render_item(proposal: Proposal, status: int = 200, **forms: Any) -> tuple[str, int]:
    now = clock.now()
    draft = answers.draft_of(proposal)
    context = {
        "proposal": proposal,
        "origin_url": _origin_url(proposal),
        "overdue": inbox.is_overdue(proposal.status, proposal.response_due_at, now),
        "days_late": inbox.days_late(proposal.response_due_at, now),
        "notes": inbox.notes(proposal),
        "published": answers.published_answers(proposal),
        "draft": draft,
        "updates": progress.updates(proposal),
        "acting": proposal.answer_kind in answers.ACTING_KINDS,
        "answer_form": forms.get("answer_form") or _answer_form(draft),
        "assign_form": forms.get("assign_form") or _assign_form(proposal),
        "note_form": forms.get("note_form") or NoteForm(formdata=None),
        "progress_form": forms.get("progress_form") or ProgressForm(formdata=None),
        "publish_form": FlaskForm(formdata=None),
        **_labels(),
    }
    return render_template("proposals/inbox/item.html", **context), status


@inbox_bp.get("/<int:proposal_id>")
@require_role(Role.OFFICER)
def item(proposal_id: int) -> Any:
    """One proposal: answer, assign, notes, progress."""
    _, proposal = _item(proposal_id)
    return _render_item(proposal)


def _done(proposal: Proposal, message: str, anchor: str = "") -> Response:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("inbox.item", proposal_id=proposal.id) + anchor, 303)


@inbox_bp.post("/<int:proposal_id>/assign")
@require_role(Role.OFFICER)
def assign(proposal_id: int) -> Any:
    """Give the proposal to an officer of the same agency."""
    user, proposal = _item(proposal_id)
    form = _assign_form(proposal)
    form.validate_on_submit()
    raw = form.assignee.data or ""
    try:
        inbox.assign(user, proposal, int(raw) if str(raw).isdigit() else None)
    except CivicError as error:
        db.session.rollback()
        _show_error(form, error)
        return _render_item(proposal, 422, assign_form=form)
    return _done(proposal, _("The assignment has been saved."))


@inbox_bp.post("/<int:proposal_id>/notes")
@require_role(Role.OFFICER)
def add_note(proposal_id: int) -> Any:
    """Add an internal note (never public)."""
    user, proposal = _item(proposal_id)
    form = NoteForm()
    try:
        if not form.validate_on_submit():
            return _render_item(proposal, 422, note_form=form)
        inbox.add_note(user, proposal, form.body.data or "")
    except CivicError as error:
        db.session.rollback()
        _show_error(form, error)
        return _render_item(proposal, 422, note_form=form)
    return _done(proposal, _("The note has been added."), "#notes")


@inbox_bp.post("/<int:proposal_id>/answer")
@require_role(Role.OFFICER)
def save_answer(proposal_id: int) -> Any:
    """Save the draft answer; publishing is a separate step."""
    user, proposal = _item(proposal_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _render_item(proposal, 422, answer_form=form)
    day = form.new_due_date.data
    data = AnswerData(
        kind=AnswerKind(form.kind.data),
        summary=form.summary.data or "",
        explanation=form.explanation.data or "",
        reason=form.reason.data or "",
        new_due_at=_end_of_day(day) if day else None,
    )
    try:
        answers.save_draft(user, proposal, data)
    except CivicError as error:
        db.session.rollback()
        _show_error(form, error)
        return _render_item(proposal, 422, answer_form=form)
    return _done(proposal, _("The draft has been saved. It is not public until you publish it."))


@inbox_bp.post("/<int:proposal_id>/publish")
@require_role(Role.OFFICER)
def publish(proposal_id: int) -> Any:
    """Publish the draft as the next version of the public answer."""
    user, proposal = _item(proposal_id)
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        answers.publish(user, proposal)
    except CivicError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("inbox.item", proposal_id=proposal.id), 303)
    return _done(proposal, _("The answer has been published."))


@inbox_bp.post("/<int:proposal_id>/progress")
@require_role(Role.OFFICER)
def add_progress(proposal_id: int) -> Any:
    """Append a progress update."""
    user, proposal = _item(proposal_id)
    form = ProgressForm()
    if not form.validate_on_submit():
        return _render_item(proposal, 422, progress_form=form)
    data = ProgressData(
        status=ProgressStatus(form.status.data),
        percent=int(form.percent.data or 0),
        milestone=form.milestone.data or "",
        on_date=form.on_date.data,
    )
    try:
        progress.add_update(user, proposal, data)
    except CivicError as error:
        db.session.rollback()
        _show_error(form, error)
        return _render_item(proposal, 422, progress_form=form)
    return _done(proposal, _("The progress update has been published."), "#progress")


# --- public accountability ---


def _agency(slug: str) -> Agency:
    agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
    if agency is None:
        abort(404)
    return agency


@public_bp.get("/")
def agencies() -> str:
    """Every agency with its open and overdue items."""
    now = clock.now()
    rows = [
        (a, accountability.figures(a.id, now))
        for a in db.session.scalars(select(Agency).order_by(Agency.name))
    ]
    return render_template("agencies/index.html", rows=rows)


@public_bp.get("/<slug>")
def agency(slug: str) -> str:
    """An agency's public accountability page."""
    agency = _agency(slug)
    now = clock.now()
    items = [
        (p, inbox.is_overdue(p.status, p.response_due_at, now))
        for p in accountability.recent(agency.id)
    ]
    return render_template(
        "agencies/agency.html",
        agency=agency,
        figures=accountability.figures(agency.id, now),
        items=items,
        **_labels(),
    )


def _public_proposal(slug: str, proposal_id: int) -> Proposal:
    agency = _agency(slug)
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.agency_id != agency.id:
        abort(404)
    return proposal


def _render_public(proposal: Proposal, form: RateForm | None = None, status: int = 200) -> Any:
    now = clock.now()
    user = acting_user()
    average, count = answers.rating_summary(proposal)
    context = {
        "proposal": proposal,
        "origin_url": _origin_url(proposal),
        "overdue": inbox.is_overdue(proposal.status, proposal.response_due_at, now),
        "days_late": inbox.days_late(proposal.response_due_at, now),
        "published": list(reversed(answers.published_answers(proposal))),
        "updates": list(reversed(progress.updates(proposal))),
        "average": average,
        "count": count,
        "can_rate": answers.can_rate(proposal, user),
        "my_rating": answers.my_rating(proposal, user),
        "rate_form": form or RateForm(formdata=None),
        "user": user,
        **_labels(),
    }
    return render_template("agencies/proposal.html", **context), status


@public_bp.get("/<slug>/proposals/<int:proposal_id>")
def proposal(slug: str, proposal_id: int) -> Any:
    """A proposal in public: deadline, every answer version, progress, ratings."""
    return _render_public(_public_proposal(slug, proposal_id))


@public_bp.post("/<slug>/proposals/<int:proposal_id>/rate")
@require_login
def rate(slug: str, proposal_id: int) -> Any:
    """A voter or panel member rates the published answer, once."""
    proposal = _public_proposal(slug, proposal_id)
    form = RateForm()
    if not form.validate_on_submit():
        return _render_public(proposal, form, 422)
    try:
        answers.rate(_user(), proposal, int(form.score.data), form.comment.data or "")
        db.session.commit()
    except NotAllowed as error:
        record_denial(_user(), f"proposal:{proposal.id}:rate")
        _show_error(form, error)
        return _render_public(proposal, form, error.status)
    except CivicError as error:
        db.session.rollback()
        _show_error(form, error)
        return _render_public(proposal, form, error.status)
    flash(_("Thank you for your rating."), "success")
    return redirect(url_for("agencies.proposal", slug=slug, proposal_id=proposal.id), 303)
