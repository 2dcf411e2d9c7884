"""Thin handlers: the public panel pages and the members' workspace (journey map ratings,
recommendations, discussion, votes)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from civic.accounts.models import Role
from civic.authz import acting_user, deny, require_login
from panels import bp, public, work
from panels.forms import CommentForm, RatingForm, RecommendationForm, VoteForm, choices
from panels.models import Panel
from panels.panel_views import act, first_error, work_labels


@bp.get("/")
def public_list() -> str:
    """Every panel past its draft."""
    return render_template(
        "panels/public_list.html", panels=public.public_panels(), **work_labels()
    )


@bp.get("/<int:panel_id>")
def public_page(panel_id: int) -> str:
    """A panel in public: topic, composition against the population, draw records, meetings
    held, the journey map, recommendations and the agency's answers. Counts only."""
    panel = public.public_panel(panel_id)
    submissions = work.submissions_of(panel)
    return render_template(
        "panels/public_panel.html",
        panel=panel,
        composition=public.composition(panel),
        draws=public.public_draws(panel),
        meetings=work.meetings_of(panel, held_only=True),
        present=work.attendance_counts(panel),
        journey=work.journey_map(panel),
        recommendations=work.recommendations_of(panel),
        submissions=submissions,
        answers={s.id: public.answers_for(s.proposal_id) for s in submissions},
        is_member=work.member_of(acting_user(), panel.id) is not None,
        **work_labels(),
    )


def _workspace_panel(panel_id: int) -> Panel:
    panel = public.public_panel(panel_id)
    user = acting_user()
    if work.member_of(user, panel.id) is None and not (user and user.has_role(Role.ADMIN)):
        deny(user, f"panel:{panel.id}:work")
    return panel


def _rec_form(panel: Panel) -> RecommendationForm:
    form = RecommendationForm()
    form.step_id.choices = choices(
        [(0, _l("The whole journey"))] + [(s.id, s.title) for s in work.steps_of(panel)]
    )
    return form


@bp.get("/<int:panel_id>/work")
@require_login
def workspace(panel_id: int) -> str:
    """The members' workspace (admins can look)."""
    panel = _workspace_panel(panel_id)
    user = acting_user()
    recs = work.recommendations_of(panel)
    return render_template(
        "panels/work.html",
        panel=panel,
        seat=work.member_of(user, panel.id),
        journey=work.journey_map(panel),
        mine=work.my_ratings(user, panel),
        recommendations=recs,
        comments=work.comments_of([r.id for r in recs]),
        counts={r.id: work.vote_counts(r) for r in recs},
        my_votes=work.my_votes(user, recs),
        rating_form=RatingForm(formdata=None),
        rec_form=_rec_form(panel),
        comment_form=CommentForm(formdata=None),
        vote_form=VoteForm(formdata=None),
        meetings=work.meetings_of(panel),
        **work_labels(),
    )


def _back(panel_id: int, anchor: str = "") -> str:
    return url_for("panels.workspace", panel_id=panel_id) + anchor


@bp.post("/<int:panel_id>/steps/<int:step_id>/rate")
@require_login
def rate_step(panel_id: int, step_id: int) -> Response:
    """A member rates one step."""
    panel = _workspace_panel(panel_id)
    form = RatingForm()
    if not form.validate_on_submit():
        flash(first_error(form), "error")
        return redirect(_back(panel.id, f"#step-{step_id}"), code=303)
    user = acting_user()
    assert user is not None
    return act(
        lambda: work.rate_step(user, panel, step_id, int(form.score.data), form.pain_points.data),
        _l("Your rating is saved."),
        _back(panel.id, f"#step-{step_id}"),
    )


@bp.post("/<int:panel_id>/recommendations")
@require_login
def draft_recommendation(panel_id: int) -> Response:
    """A member drafts a recommendation."""
    panel = _workspace_panel(panel_id)
    form = _rec_form(panel)
    if not form.validate_on_submit():
        flash(first_error(form), "error")
        return redirect(_back(panel.id, "#new-recommendation"), code=303)
    user = acting_user()
    assert user is not None
    step_id = form.step_id.data or None
    return act(
        lambda: work.draft(user, panel, form.title.data, form.body.data, step_id),
        _l("Your draft is saved. The panel discusses it and votes on it."),
        _back(panel.id, "#recommendations"),
    )


@bp.post("/recommendations/<int:rec_id>/comments")
@require_login
def comment(rec_id: int) -> Response:
    """A member comments on a recommendation."""
    rec = work.get_recommendation(rec_id)
    _workspace_panel(rec.panel_id)
    form = CommentForm()
    if not form.validate_on_submit():
        flash(first_error(form), "error")
        return redirect(_back(rec.panel_id, f"#rec-{rec.id}"), code=303)
    user = acting_user()
    assert user is not None
    return act(
        lambda: work.comment(user, rec, form.body.data),
        _l("Your comment is added."),
        _back(rec.panel_id, f"#rec-{rec.id}"),
    )


@bp.post("/recommendations/<int:rec_id>/vote")
@require_login
def vote(rec_id: int) -> Response:
    """A member votes on a recommendation."""
    rec = work.get_recommendation(rec_id)
    _workspace_panel(rec.panel_id)
    form = VoteForm()
    if not form.validate_on_submit():
        flash(first_error(form), "error")
        return redirect(_back(rec.panel_id, f"#rec-{rec.id}"), code=303)
    user = acting_user()
    assert user is not None
    return act(
        lambda: work.cast(user, rec, form.choice.data),
        _l("Your vote is counted."),
        _back(rec.panel_id, f"#rec-{rec.id}"),
    )
