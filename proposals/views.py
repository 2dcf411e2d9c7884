"""Thin handlers of the ideas area: public pages, authors, voters, moderators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from civic import clock
from civic.accounts.models import Role, User
from civic.authz import acting_user, deny, record_denial, require_login, require_role
from civic.errors import CivicError, NotFound
from civic.extensions import db
from proposals import bp, ideas, rules, screening, similarity
from proposals.forms import REASON_LABELS, IdeaForm, MergeForm, RejectForm, ReportForm
from proposals.inbox import proposal_for
from proposals.models import AnswerKind, Idea, IdeaEvent, OriginType
from proposals.rules import EventKind, IdeaStatus, RejectReason
from voting import rules as voting_rules

STATUS_LABELS = {
    IdeaStatus.SUBMITTED: _l("waiting for screening"),
    IdeaStatus.VOTING: _l("open for votes"),
    IdeaStatus.REACHED: _l("reached"),
    IdeaStatus.EXPIRED: _l("expired"),
    IdeaStatus.REJECTED: _l("rejected"),
    IdeaStatus.MERGED: _l("merged"),
    IdeaStatus.WITHDRAWN: _l("withdrawn"),
}
PER_PAGE = 20
SIMILAR_LIMIT = 5


def _labels() -> dict[str, Any]:
    return {
        "status_labels": {k.value: v for k, v in STATUS_LABELS.items()},
        "reason_labels": {k.value: v for k, v in REASON_LABELS.items()},
    }


def _user() -> User:
    user = acting_user()
    assert user is not None  # routes using this require a login
    return user


def _show_error(form: Any, error: CivicError) -> None:
    name = error.details.get("field")
    field = getattr(form, name, None) if isinstance(name, str) else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        flash(str(error.message), "error")


# --- the public list ---


@bp.get("/")
def index() -> str:
    """Public ideas with filters by status and service area."""
    user = acting_user()
    raw_status = request.args.get("status", "")
    status = IdeaStatus(raw_status) if raw_status in rules.PUBLIC_STATUSES else None
    area = request.args.get("area", "").strip() or None
    page = ideas.list_ideas(status, area, request.args.get("page", 1, type=int), PER_PAGE)
    return render_template(
        "proposals/list.html",
        page=page,
        status=status.value if status else "",
        area=area or "",
        areas=ideas.service_areas(),
        statuses=[s for s in IdeaStatus if s in rules.PUBLIC_STATUSES],
        is_moderator=bool(user and user.has_role(Role.MODERATOR)),
        **_labels(),
    )


@bp.get("/similar")
def similar() -> Response:
    """JSON for the title field: existing ideas that look like the text typed so far."""
    text = request.args.get("title", "")[: similarity.MAX_QUERY_CHARS]
    exclude = request.args.get("exclude", type=int)
    found = similarity.similar_ideas(text, SIMILAR_LIMIT, exclude_id=exclude)
    return jsonify(
        {
            "ideas": [
                {
                    "id": m.id,
                    "title": m.title,
                    "status": str(STATUS_LABELS[IdeaStatus(m.status)]),
                    "url": url_for("proposals.detail", idea_id=m.id),
                }
                for m in found
            ]
        }
    )


# --- submitting and editing ---


def _idea_form(idea: Idea | None = None) -> IdeaForm:
    form = IdeaForm(obj=idea)
    form.service_area.choices = [SelectChoice("", _("Choose a service area"))] + [
        SelectChoice(a, a) for a in ideas.service_areas()
    ]
    form.agency_id.choices = [SelectChoice("", _("I don't know: the municipality chooses"))] + [
        SelectChoice(str(a.id), a.name) for a in ideas.agencies()
    ]
    if idea is not None and not form.is_submitted():
        form.agency_id.data = str(idea.agency_id)
    return form


def _data(form: IdeaForm) -> ideas.IdeaData:
    agency = form.agency_id.data
    return ideas.IdeaData(
        title=form.title.data or "",
        problem=form.problem.data or "",
        proposed_change=form.proposed_change.data or "",
        service_area=form.service_area.data or "",
        agency_id=int(agency) if agency and str(agency).isdigit() else None,
    )


def _form_page(form: IdeaForm, idea: Idea | None, similar: list[Any], status: int) -> Any:
    html = render_template(
        "proposals/form.html", form=form, idea=idea, similar=similar, **_labels()
    )
    return html, status


@bp.route("/new", methods=["GET", "POST"])
@require_login
def new() -> Any:
    """Submit an idea; first see the ideas that look like it (works without JavaScript)."""
    form = _idea_form()
    if not form.validate_on_submit():
        return _form_page(form, None, [], 422 if form.is_submitted() else 200)
    try:
        data, _agency = ideas.check(_data(form))
        if not form.checked.data:
            found = similarity.similar_ideas(f"{data.title} {data.problem}", SIMILAR_LIMIT)
            if found:
                form.checked.data = "1"
                return _form_page(form, None, found, 200)
        idea = ideas.submit_idea(_user(), data)
        db.session.commit()
    except CivicError as error:
        db.session.rollback()
        _show_error(form, error)
        return _form_page(form, None, [], 422)
    flash(_("Thank you. Your idea has been submitted and will be screened."), "success")
    return redirect(url_for("proposals.detail", idea_id=idea.id), 303)


def _visible_idea(idea_id: int, user: User | None) -> Idea:
    """The idea when `user` may see it; a hidden or withdrawn one is refused (audited) as 404."""
    idea = db.session.get(Idea, idea_id)
    if idea is None:
        raise NotFound()
    if not ideas.can_see(idea, user):
        deny(user, f"idea:{idea_id}", hide=True)
    return idea


def _own_idea(idea_id: int) -> Idea:
    user = _user()
    idea = _visible_idea(idea_id, user)
    if idea.author_id != user.id:
        deny(user, f"idea:{idea_id}")
    return idea


@bp.route("/<int:idea_id>/edit", methods=["GET", "POST"])
@require_login
def edit(idea_id: int) -> Any:
    """The author changes the idea until it is screened."""
    idea = _own_idea(idea_id)
    if idea.status != IdeaStatus.SUBMITTED:
        flash(_("This idea has been screened, so it can no longer be changed."), "error")
        return redirect(url_for("proposals.detail", idea_id=idea.id), 303)
    form = _idea_form(idea)
    if form.validate_on_submit():
        try:
            ideas.edit_idea(_user(), idea, _data(form))
            db.session.commit()
            flash(_("Your changes have been saved."), "success")
            return redirect(url_for("proposals.detail", idea_id=idea.id), 303)
        except CivicError as error:
            db.session.rollback()
            _show_error(form, error)
            return _form_page(form, idea, [], 422)
    return _form_page(form, idea, [], 422 if form.is_submitted() else 200)


def _act(idea_id: int, action: Any, done: Any, *, viewer_check: bool = True) -> Response:
    """Run one POST action on an idea, commit, and go back to its page with a message."""
    user = _user()
    idea = _visible_idea(idea_id, user) if viewer_check else db.get_or_404(Idea, idea_id)
    try:
        action(user, idea)
        db.session.commit()
        flash(str(done), "success")
    except ideas.NotVerified:
        record_denial(user, f"idea:{idea_id}:verified-residents-only")
        raise
    except CivicError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(url_for("proposals.detail", idea_id=idea_id), 303)


@bp.post("/<int:idea_id>/withdraw")
@require_login
def withdraw(idea_id: int) -> Response:
    """The author withdraws the idea before screening."""
    _own_idea(idea_id)
    return _act(
        idea_id, lambda u, i: ideas.withdraw_idea(u, i), _l("Your idea has been withdrawn.")
    )


# --- the idea page ---


def _event_text(event: IdeaEvent) -> str:
    data, kind = event.data or {}, event.kind
    if kind == EventKind.ACCEPTED:
        closes = datetime.fromisoformat(data["closes_at"])
        return _(
            "Accepted for voting: %(n)s votes needed before %(date)s.",
            n=data.get("threshold"),
            date=format_datetime(closes, "long"),
        )
    if kind == EventKind.REJECTED:
        reason = str(REASON_LABELS[RejectReason(data["reason"])])
        text = _("Rejected. Reason: %(reason)s.", reason=reason)
        return f"{text} {data['text']}" if data.get("text") else text
    if kind == EventKind.MERGED:
        return _(
            "Merged into idea %(n)s; %(moved)s votes moved along.",
            n=data.get("into"),
            moved=data.get("moved", 0),
        )
    if kind == EventKind.MERGED_IN:
        return _("Idea %(n)s was merged into this idea.", n=data.get("source"))
    if kind == EventKind.MILESTONE:
        if data.get("share") == "1/3":
            return _("A third of the votes needed.")
        return _("Two thirds of the votes needed.")
    if kind in (EventKind.REACHED, EventKind.EXPIRED):
        template = (
            _("Reached: %(votes)s of %(n)s votes by the deadline. It now goes to the agency.")
            if kind == EventKind.REACHED
            else _("Expired: %(votes)s of %(n)s votes by the deadline.")
        )
        return template % {"votes": data.get("votes", 0), "n": data.get("threshold", 0)}
    if kind == EventKind.ANSWERED:
        from proposals.answers import KIND_LABELS as ANSWER_LABELS

        label = ANSWER_LABELS.get(AnswerKind(data.get("answer", "adopted")), "")
        return _(
            "The agency answered (version %(n)s): %(kind)s. %(summary)s",
            n=data.get("version"),
            kind=label,
            summary=data.get("summary", ""),
        )
    if kind == EventKind.PILOT:
        from proposals import pilots

        return pilots.event_text(data)
    return str(EVENT_LABELS[kind])


EVENT_LABELS = {
    EventKind.SUBMITTED: _l("Submitted."),
    EventKind.EDITED: _l("Changed by the author."),
    EventKind.WITHDRAWN: _l("Withdrawn by the author."),
    EventKind.HIDDEN: _l("Hidden after reports by residents, until a moderator decides."),
    EventKind.RESTORED: _l("Shown again after a moderator's check."),
}


def _ballot_view(idea: Idea, now: datetime) -> dict[str, Any] | None:
    ballot = idea.ballot
    if ballot is None or ballot.threshold is None:
        return None
    share = voting_rules.progress(ballot.tally, ballot.threshold)
    return {
        "tally": ballot.tally,
        "threshold": ballot.threshold,
        "percent": int(share * 100),
        "closes_at": ballot.closes_at,
        "days_left": voting_rules.days_left(ballot.closes_at, now),
        "open": idea.status == IdeaStatus.VOTING and now < ballot.closes_at,
    }


def _detail_context(idea: Idea, user: User | None) -> dict[str, Any]:
    now = clock.now()
    return {
        "idea": idea,
        "events": [(e.at, e.kind.value, _event_text(e)) for e in ideas.timeline(idea)],
        "ballot": _ballot_view(idea, now),
        "voted": ideas.my_vote(idea, user),
        "following": ideas.is_following(idea, user),
        "reported": ideas.has_reported(idea, user),
        "is_author": user is not None and user.id == idea.author_id,
        "is_moderator": user is not None and user.has_role(Role.MODERATOR),
        "overdue": rules.screening_overdue(idea.status, idea.screening_due_at, now),
        "proposal": proposal_for(OriginType.IDEA, idea.id),
        "user": user,
        "report_form": ReportForm(),
        **_labels(),
    }


@bp.get("/<int:idea_id>")
def detail(idea_id: int) -> str:
    """The idea and its journey."""
    user = acting_user()
    idea = _visible_idea(idea_id, user)
    return render_template("proposals/detail.html", **_detail_context(idea, user))


# --- voting, following, reporting ---


@bp.post("/<int:idea_id>/vote")
@require_login
def vote(idea_id: int) -> Any:
    """A verified resident supports the idea."""
    user = _user()
    if not user.is_verified:
        idea = _visible_idea(idea_id, user)
        record_denial(user, f"idea:{idea_id}:verified-residents-only")
        context = _detail_context(idea, user)
        return render_template("proposals/detail.html", not_verified=True, **context), 403
    return _act(idea_id, lambda u, i: ideas.vote_for(i, u), _l("Thank you for your vote."))


@bp.post("/<int:idea_id>/unvote")
@require_login
def unvote(idea_id: int) -> Response:
    """Withdraw one's vote until the close."""
    return _act(
        idea_id, lambda u, i: ideas.withdraw_vote(i, u), _l("Your vote has been withdrawn.")
    )


@bp.post("/<int:idea_id>/follow")
@require_login
def follow(idea_id: int) -> Response:
    """Follow the idea (e-mails at a third and two thirds of the votes)."""
    return _act(idea_id, lambda u, i: ideas.follow(u, i), _l("You now follow this idea."))


@bp.post("/<int:idea_id>/unfollow")
@require_login
def unfollow(idea_id: int) -> Response:
    """Stop following the idea."""
    return _act(idea_id, lambda u, i: ideas.unfollow(u, i), _l("You no longer follow this idea."))


@bp.route("/<int:idea_id>/report", methods=["GET", "POST"])
@require_login
def report(idea_id: int) -> Any:
    """Report abusive content."""
    user = _user()
    idea = _visible_idea(idea_id, user)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            ideas.report_idea(user, idea, form.reason.data)
            db.session.commit()
            flash(_("Thank you. A moderator will look at your report."), "success")
            return redirect(url_for("proposals.detail", idea_id=idea.id), 303)
        except CivicError as error:
            db.session.rollback()
            _show_error(form, error)
            return render_template("proposals/report.html", idea=idea, form=form), 422
    status = 422 if form.is_submitted() else 200
    return render_template("proposals/report.html", idea=idea, form=form), status


# --- moderators ---


@bp.get("/screening")
@require_role(Role.MODERATOR)
def queue() -> str:
    """The screening queue with deadlines, and ideas hidden after reports."""
    return render_template(
        "proposals/screening.html",
        items=screening.screening_queue(),
        hidden=screening.hidden_ideas(),
        **_labels(),
    )


def _screen_page(idea: Idea, status: int = 200, **forms: Any) -> Any:
    context = {
        "idea": idea,
        "reject_form": forms.get("reject_form") or RejectForm(),
        "merge_form": forms.get("merge_form") or MergeForm(),
        "reports": screening.open_reports(idea),
        "similar": similarity.similar_ideas(idea.title, SIMILAR_LIMIT, exclude_id=idea.id),
        "overdue": rules.screening_overdue(idea.status, idea.screening_due_at, clock.now()),
        "can_reject": rules.can_reject(idea.status, idea.hidden),
        **_labels(),
    }
    return render_template("proposals/screen.html", **context), status


@bp.get("/<int:idea_id>/screen")
@require_role(Role.MODERATOR)
def screen(idea_id: int) -> Any:
    """One idea for a moderator: accept, reject, merge, restore."""
    return _screen_page(db.get_or_404(Idea, idea_id))


def _moderate(idea_id: int, action: Any, done: Any) -> Response:
    return _act(idea_id, action, done, viewer_check=False)


@bp.post("/<int:idea_id>/accept")
@require_role(Role.MODERATOR)
def accept(idea_id: int) -> Response:
    """Accept for voting: the ballot opens."""
    return _moderate(
        idea_id, lambda u, i: screening.accept_idea(u, i), _l("The idea is open for votes.")
    )


@bp.post("/<int:idea_id>/restore")
@require_role(Role.MODERATOR)
def restore(idea_id: int) -> Response:
    """Show a hidden idea again."""
    return _moderate(
        idea_id, lambda u, i: screening.restore_idea(u, i), _l("The idea is shown again.")
    )


@bp.post("/<int:idea_id>/reject")
@require_role(Role.MODERATOR)
def reject(idea_id: int) -> Any:
    """Reject with a coded public reason."""
    idea = db.get_or_404(Idea, idea_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _screen_page(idea, 422, reject_form=form)
    try:
        screening.reject_idea(_user(), idea, RejectReason(form.reason.data), form.text.data)
        db.session.commit()
    except CivicError as error:
        db.session.rollback()
        _show_error(form, error)
        return _screen_page(db.get_or_404(Idea, idea_id), 422, reject_form=form)
    flash(_("The idea has been rejected; the reason is public."), "success")
    return redirect(url_for("proposals.detail", idea_id=idea_id), 303)


@bp.post("/<int:idea_id>/merge")
@require_role(Role.MODERATOR)
def merge(idea_id: int) -> Any:
    """Merge into another idea; votes move along without counting anyone twice."""
    idea = db.get_or_404(Idea, idea_id)
    form = MergeForm()
    if not form.validate_on_submit():
        return _screen_page(idea, 422, merge_form=form)
    try:
        target = screening.find_target(form.target.data or "")
        screening.merge_idea(_user(), idea, target)
        db.session.commit()
    except CivicError as error:
        db.session.rollback()
        _show_error(form, error)
        return _screen_page(db.get_or_404(Idea, idea_id), 422, merge_form=form)
    flash(_("The idea has been merged."), "success")
    return redirect(url_for("proposals.detail", idea_id=target.id), 303)
