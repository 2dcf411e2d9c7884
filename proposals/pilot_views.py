"""Thin handlers of pilots: public pages, volunteers and testers, the agency's officers.

Officers act only on pilots (and proposals) of their own agency; other attempts are audited
and answered 404 (civic.authz.require_agency_member)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

import sortition
from civic import clock
from civic.accounts.models import Role, User
from civic.authz import acting_user, require_agency_member, require_login, require_role
from civic.draws import services as draw_services
from civic.errors import CivicError, NotFound
from civic.extensions import db
from proposals import pilots
from proposals.models import Proposal
from proposals.pilot_models import Outcome, Pilot, PilotStatus, Verdict

bp = Blueprint("pilots", __name__)

STATUS_LABELS = {
    PilotStatus.SETUP: _l("being set up"),
    PilotStatus.RECRUITING: _l("looking for testers"),
    PilotStatus.DRAWN: _l("testers drawn"),
    PilotStatus.RUNNING: _l("running"),
    PilotStatus.EVALUATING: _l("being evaluated"),
    PilotStatus.DECIDED: _l("decided"),
    PilotStatus.ROLLOUT_PLANNED: _l("rollout planned"),
    PilotStatus.ROLLED_OUT: _l("rolled out"),
}
VERDICT_LABELS = {
    Verdict.MET: _l("met"),
    Verdict.PARTLY: _l("partly met"),
    Verdict.NOT_MET: _l("not met"),
}
OUTCOME_LABELS = {Outcome.GO: _l("go"), Outcome.NO_GO: _l("no go")}


def _labels() -> dict[str, Any]:
    return {
        "status_labels": {k.value: v for k, v in STATUS_LABELS.items()},
        "verdict_labels": {k.value: v for k, v in VERDICT_LABELS.items()},
        "outcome_labels": {k.value: v for k, v in OUTCOME_LABELS.items()},
    }


def _user() -> User:
    user = acting_user()
    assert user is not None  # routes using this require a login
    return user


def _officer_pilot(pilot_id: int) -> tuple[User, Pilot]:
    """The pilot, if the acting officer belongs to its agency (else audited 404)."""
    user = _user()
    pilot = db.session.get(Pilot, pilot_id)
    require_agency_member(user, pilot.agency_id if pilot else None, f"pilot:{pilot_id}")
    if pilot is None:
        raise NotFound()
    return user, pilot


def _act(
    pilot_id: int, action: Callable[[User, Pilot], Any], done: Any, *, officer: bool = True
) -> Response:
    """Run one service call, commit, flash; a rule violation is flashed and nothing kept."""
    if officer:
        user, pilot = _officer_pilot(pilot_id)
        target = url_for("pilots.manage", pilot_id=pilot.id)
    else:
        user, pilot = _user(), pilots.get_pilot(pilot_id)
        target = url_for("pilots.detail", pilot_id=pilot.id)
    try:
        action(user, pilot)
        db.session.commit()
        flash(str(done), "success")
    except CivicError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    return redirect(target, code=303)


def _int(name: str, default: int = 0) -> int:
    try:
        return int(request.form.get(name, "").strip())
    except ValueError:
        return default


def _setup_data() -> pilots.PilotData:
    return pilots.PilotData(
        title=request.form.get("title", ""),
        description=request.form.get("description", ""),
        testers=_int("testers", -1),
        duration_weeks=_int("duration_weeks", -1),
    )


# --- public ---


@bp.get("/")
def index() -> str:
    """Every pilot, newest first."""
    return render_template("pilots/list.html", pilots=pilots.list_pilots(), **_labels())


@bp.get("/<int:pilot_id>")
def detail(pilot_id: int) -> str:
    """The public page of a pilot, with the forms for volunteers and testers."""
    pilot = pilots.get_pilot(pilot_id)
    user = acting_user()
    tester = pilots.tester_of(pilot, user)
    return render_template(
        "pilots/detail.html",
        pilot=pilot,
        user=user,
        volunteers=pilots.volunteer_count(pilot),
        testers=pilots.tester_count(pilot),
        volunteering=pilots.volunteer_of(pilot, user) is not None,
        pool_open=pilots._pool_open(pilot),
        tester=tester,
        evaluated=pilots.has_evaluated(pilot, tester),
        evaluation=pilots.evaluation_summary(pilot),
        decision=pilots.decision_of(pilot),
        rollout=pilots.rollout_of(pilot),
        is_officer=bool(
            user and (user.role == Role.ADMIN or user.agency_id == pilot.agency_id)
            and user.has_role(Role.OFFICER)
        ),
        **_labels(),
    )  # fmt: skip


@bp.post("/<int:pilot_id>/volunteer")
@require_login
def volunteer(pilot_id: int) -> Response:
    """Offer to test."""
    return _act(
        pilot_id,
        lambda u, p: pilots.volunteer(u, p),
        _l("Thank you! You are in the pool; the testers are drawn by lot."),
        officer=False,
    )


@bp.post("/<int:pilot_id>/unvolunteer")
@require_login
def unvolunteer(pilot_id: int) -> Response:
    """Take back the offer."""
    return _act(
        pilot_id,
        lambda u, p: pilots.withdraw_volunteer(u, p),
        _l("You are no longer in the pool."),
        officer=False,
    )


@bp.post("/<int:pilot_id>/feedback")
@require_login
def feedback(pilot_id: int) -> Response:
    """A tester's note during the pilot."""
    text = request.form.get("text", "")
    return _act(
        pilot_id,
        lambda u, p: pilots.leave_feedback(u, p, text),
        _l("Thank you for your feedback."),
        officer=False,
    )


@bp.post("/<int:pilot_id>/evaluate")
@require_login
def evaluate(pilot_id: int) -> Response:
    """A tester's verdict per criterion at the end."""
    pilot = pilots.get_pilot(pilot_id)
    answers = {
        c.id: (request.form.get(f"c{c.id}", ""), request.form.get(f"comment{c.id}"))
        for c in pilot.criteria
    }
    return _act(
        pilot_id,
        lambda u, p: pilots.answer_evaluation(u, p, answers),
        _l("Thank you! Your evaluation has been recorded."),
        officer=False,
    )


# --- the agency ---


@bp.get("/agency")
@require_role(Role.OFFICER)
def agency() -> str:
    """The officer's agency: its proposals and their pilots."""
    user = _user()
    query = select(Proposal).order_by(Proposal.id.desc())
    if user.role != Role.ADMIN:
        query = query.where(Proposal.agency_id == user.agency_id)
    proposals = list(db.session.scalars(query))
    piloted = {p.proposal_id: p for p in pilots.list_pilots()}
    return render_template("pilots/agency.html", proposals=proposals, piloted=piloted, **_labels())


@bp.route("/new/<int:proposal_id>", methods=["GET", "POST"])
@require_role(Role.OFFICER)
def new(proposal_id: int) -> Response | str | tuple[str, int]:
    """Set up a pilot of a proposal of the officer's agency."""
    user = _user()
    proposal = db.session.get(Proposal, proposal_id)
    require_agency_member(user, proposal.agency_id if proposal else None, f"proposal:{proposal_id}")
    assert proposal is not None
    values = {"title": proposal.title, "description": "", "testers": 200, "duration_weeks": 5}
    if request.method == "POST":
        values = dict(request.form.items())
        try:
            pilot = pilots.setup_pilot(user, proposal, _setup_data())
            db.session.commit()
            flash(str(_l("The pilot has been set up. Now write its success criteria.")), "success")
            return redirect(url_for("pilots.manage", pilot_id=pilot.id), code=303)
        except CivicError as error:
            db.session.rollback()
            errors = {error.details.get("field") or "title": str(error.message)}
            html = render_template(
                "pilots/new.html", proposal=proposal, values=values, errors=errors
            )
            return html, error.status
    return render_template("pilots/new.html", proposal=proposal, values=values, errors={})


def _manage_page(
    user: User, pilot: Pilot, infeasible: sortition.InfeasibleQuotas | None = None
) -> str:
    draw = pilot.draw
    return render_template(
        "pilots/manage.html",
        pilot=pilot,
        volunteers=pilots.volunteer_count(pilot),
        testers=pilots.tester_count(pilot),
        pool_open=pilots._pool_open(pilot),
        quotas_text=request.form.get("quotas", pilots.quotas_text(pilot)),
        draw=draw,
        summary=draw_services.summary(draw) if draw else None,
        probabilities=draw_services.probabilities(draw) if draw else [],
        infeasible=infeasible,
        feedback=pilots.feedback_list(pilot),
        evaluation=pilots.evaluation_summary(pilot),
        decision=pilots.decision_of(pilot),
        rollout=pilots.rollout_of(pilot),
        today=clock.local(clock.now()).date().isoformat(),
        **_labels(),
    )


@bp.get("/<int:pilot_id>/manage")
@require_role(Role.OFFICER)
def manage(pilot_id: int) -> str:
    """Every step of the pilot for the agency's officers."""
    user, pilot = _officer_pilot(pilot_id)
    return _manage_page(user, pilot)


@bp.post("/<int:pilot_id>/edit")
@require_role(Role.OFFICER)
def edit(pilot_id: int) -> Response:
    data = _setup_data()
    return _act(pilot_id, lambda u, p: pilots.edit_setup(u, p, data), _l("Saved."))


@bp.post("/<int:pilot_id>/criteria")
@require_role(Role.OFFICER)
def add_criterion(pilot_id: int) -> Response:
    statement, target = request.form.get("statement", ""), request.form.get("target", "")
    return _act(
        pilot_id,
        lambda u, p: pilots.add_criterion(u, p, statement, target),
        _l("Criterion added."),
    )


@bp.post("/<int:pilot_id>/criteria/<int:criterion_id>/remove")
@require_role(Role.OFFICER)
def remove_criterion(pilot_id: int, criterion_id: int) -> Response:
    return _act(
        pilot_id,
        lambda u, p: pilots.remove_criterion(u, p, criterion_id),
        _l("Criterion removed."),
    )


@bp.post("/<int:pilot_id>/recruit")
@require_role(Role.OFFICER)
def recruit(pilot_id: int) -> Response:
    return _act(
        pilot_id,
        lambda u, p: pilots.start_recruiting(u, p),
        _l("Recruitment is open. The success criteria can no longer change."),
    )


@bp.post("/<int:pilot_id>/quotas")
@require_role(Role.OFFICER)
def quotas(pilot_id: int) -> Response:
    text = request.form.get("quotas", "")
    return _act(pilot_id, lambda u, p: pilots.set_quotas(u, p, text), _l("Quotas saved."))


@bp.post("/<int:pilot_id>/prepare")
@require_role(Role.OFFICER)
def prepare(pilot_id: int) -> Response | tuple[str, int]:
    """Run the engine; infeasible quotas are explained on the page itself."""
    user, pilot = _officer_pilot(pilot_id)
    try:
        result = pilots.prepare_tester_draw(user, pilot)
    except CivicError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("pilots.manage", pilot_id=pilot.id), code=303)
    if isinstance(result, sortition.InfeasibleQuotas):
        db.session.rollback()
        return _manage_page(user, pilot, infeasible=result), 422
    db.session.commit()
    flash(str(_l("The draw is prepared. Check it, then publish its record.")), "success")
    return redirect(url_for("pilots.manage", pilot_id=pilot.id), code=303)


@bp.post("/<int:pilot_id>/publish")
@require_role(Role.OFFICER)
def publish(pilot_id: int) -> Response:
    return _act(
        pilot_id,
        lambda u, p: pilots.publish_tester_draw(u, p),
        _l("The record is public. Enter the public seed once it is known."),
    )


@bp.post("/<int:pilot_id>/seed")
@require_role(Role.OFFICER)
def seed(pilot_id: int) -> Response:
    text = request.form.get("seed", "")
    return _act(
        pilot_id, lambda u, p: pilots.draw_testers(u, p, text), _l("The testers have been drawn.")
    )


@bp.post("/<int:pilot_id>/start")
@require_role(Role.OFFICER)
def start(pilot_id: int) -> Response:
    return _act(pilot_id, lambda u, p: pilots.start_pilot(u, p), _l("The pilot has started."))


@bp.post("/<int:pilot_id>/end")
@require_role(Role.OFFICER)
def end(pilot_id: int) -> Response:
    return _act(
        pilot_id,
        lambda u, p: pilots.end_pilot(u, p),
        _l("The pilot has ended. The testers can now evaluate it."),
    )


@bp.post("/<int:pilot_id>/decide")
@require_role(Role.OFFICER)
def decide(pilot_id: int) -> Response:
    _user_, pilot = _officer_pilot(pilot_id)
    reasons = {
        c.id: (request.form.get(f"met{c.id}") == "yes", request.form.get(f"r{c.id}", ""))
        for c in pilot.criteria
    }
    outcome, summary = request.form.get("outcome", ""), request.form.get("summary", "")
    return _act(
        pilot_id,
        lambda u, p: pilots.decide(u, p, outcome, summary, reasons),
        _l("The decision has been recorded and published."),
    )


@bp.post("/<int:pilot_id>/rollout")
@require_role(Role.OFFICER)
def rollout(pilot_id: int) -> Response:
    try:
        planned: date | None = date.fromisoformat(request.form.get("planned_for", "").strip())
    except ValueError:
        planned = None
    note = request.form.get("note", "")
    return _act(
        pilot_id,
        lambda u, p: pilots.plan_rollout(u, p, planned, note),
        _l("The rollout has been planned."),
    )


@bp.post("/<int:pilot_id>/rollout/done")
@require_role(Role.OFFICER)
def rollout_done(pilot_id: int) -> Response:
    return _act(pilot_id, lambda u, p: pilots.complete_rollout(u, p), _l("Recorded as rolled out."))
