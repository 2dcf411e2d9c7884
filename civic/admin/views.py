"""Thin handlers of the admin area: users and roles, agencies, the audit log."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from civic.accounts import administration
from civic.accounts.models import Role, User
from civic.admin import bp
from civic.admin.forms import (
    NO_AGENCY,
    ROLE_LABELS,
    ActiveForm,
    AgencyForm,
    RoleForm,
    UserSearchForm,
)
from civic.admin.logview import audit_page
from civic.agencies import services as agencies
from civic.agencies.models import Agency
from civic.authz import acting_user as _acting_proxy
from civic.authz import require_agency_member, require_role
from civic.errors import CivicError, NotFound
from civic.extensions import db

PER_PAGE = 25
AGENCY_MESSAGES = {
    "name_missing": _l("Enter the agency's name."),
    "name_taken": _l("Another agency already has this name."),
    "slug_format": _l("Use only lower-case letters, digits and single hyphens between them."),
    "slug_taken": _l("Another agency already uses this short name."),
    "area_format": _l("A service area has at most 80 characters and no commas: %(names)s"),
    "days_range": _l("Enter a number of days from %(low)s to %(high)s."),
}
Page = Response | tuple[str, int] | str


def acting_user() -> Any:
    """The logged-in User itself (not Flask-Login's proxy, whose type name would be audited)."""
    user: Any = _acting_proxy()
    return user._get_current_object() if hasattr(user, "_get_current_object") else user


def _actor() -> User:
    user = acting_user()
    assert user is not None  # the route decorators guarantee a logged-in user
    return user


@bp.get("/")
@require_role(Role.ADMIN)
def index() -> str:
    """The admin start page."""
    has_outbox = "mail.outbox" in current_app.view_functions
    return render_template("admin/index.html", has_outbox=has_outbox)


@bp.get("/users")
@require_role(Role.ADMIN)
def users() -> str:
    """Accounts, searchable by e-mail or name and role, 25 per page."""
    form = UserSearchForm(request.args)
    form.validate()
    role = Role(form.role.data) if form.role.data in {r.value for r in Role} else None
    page = db.paginate(
        administration.search_users(form.q.data, role),
        page=request.args.get("page", 1, type=int),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template("admin/users.html", form=form, page=page, role_labels=ROLE_LABELS)


def _user_page(user: User, form: RoleForm | None = None, status: int = 200) -> tuple[str, int]:
    choices = [(a.id, a.name) for a in agencies.list_agencies()]
    if form is None:
        form = RoleForm(
            formdata=None,
            role=user.role.value,
            agency=str(user.agency_id) if user.agency_id else NO_AGENCY,
        )
    form.set_agencies(choices)
    html = render_template("admin/user.html", user=user, form=form, role_labels=ROLE_LABELS)
    return html, status


@bp.get("/users/<int:user_id>")
@require_role(Role.ADMIN)
def user(user_id: int) -> tuple[str, int]:
    """One account: role, agency, active or not."""
    return _user_page(administration.get_user(user_id))


@bp.post("/users/<int:user_id>/role")
@require_role(Role.ADMIN)
def change_role(user_id: int) -> Page:
    """Set role and agency; officers need exactly one agency."""
    target = administration.get_user(user_id)
    form = RoleForm()
    form.set_agencies([(a.id, a.name) for a in agencies.list_agencies()])
    if not form.validate_on_submit():
        return _user_page(target, form, 422)
    agency_id = int(form.agency.data) if form.agency.data else None
    try:
        changed = administration.change_role(_actor(), target, Role(form.role.data), agency_id)
    except CivicError as error:
        db.session.rollback()
        field = form.agency if error.details.get("field") == "agency" else form.role
        field.errors = [*field.errors, str(error.message)]
        return _user_page(db.session.get(User, user_id) or target, form, error.status)
    db.session.commit()
    flash(_("The role is saved.") if changed else _("Nothing was changed."), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/active")
@require_role(Role.ADMIN)
def set_active(user_id: int) -> Page:
    """Deactivate (ending every session) or reactivate an account."""
    target = administration.get_user(user_id)
    active = request.form.get("active") == "1"
    if not ActiveForm().validate_on_submit():
        return _user_page(target, status=400)
    try:
        administration.set_active(_actor(), target, active)
    except CivicError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("admin.user", user_id=user_id))
    db.session.commit()
    flash(
        _("The account is active again.") if active else _("The account is deactivated."), "success"
    )
    return redirect(url_for("admin.user", user_id=user_id))


@bp.get("/agencies")
@require_role(Role.ADMIN)
def agency_list() -> str:
    """Every agency."""
    return render_template("admin/agencies.html", agencies=agencies.list_agencies())


def _agency_data(form: AgencyForm) -> agencies.AgencyData:
    return agencies.AgencyData(
        name=form.name.data or "",
        slug=form.slug.data or "",
        service_areas=form.area_names(),
        response_days=int(form.response_days.data or 0),
        lead_email=form.lead_email.data,
    )


def _agency_error(form: AgencyForm, error: agencies.AgencyInvalid) -> None:
    message = AGENCY_MESSAGES[error.reason]
    details = {k: v for k, v in error.details.items() if k not in ("field", "reason")}
    field = getattr(form, error.field)
    field.errors = [*field.errors, str(message) % details if details else str(message)]


def _agency_form_page(form: AgencyForm, agency: Any, status: int) -> tuple[str, int]:
    return render_template("admin/agency_form.html", form=form, agency=agency), status


@bp.route("/agencies/new", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def new_agency() -> Page:
    """Add an agency."""
    form = AgencyForm()
    if not form.validate_on_submit():
        return _agency_form_page(form, None, 422 if form.is_submitted() else 200)
    try:
        agency = agencies.create_agency(_actor(), _agency_data(form))
    except agencies.AgencyInvalid as error:
        db.session.rollback()
        _agency_error(form, error)
        return _agency_form_page(form, None, 422)
    db.session.commit()
    flash(_("The agency is added."), "success")
    return redirect(url_for("admin.agency", agency_id=agency.id))


@bp.route("/agencies/<int:agency_id>/edit", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def edit_agency(agency_id: int) -> Page:
    """Change an agency."""
    agency = agencies.get_agency(agency_id)
    form = AgencyForm(obj=agency if request.method == "GET" else None)
    if request.method == "GET":
        form.service_areas.data = "\n".join(agency.service_area_list)
    if not form.validate_on_submit():
        return _agency_form_page(form, agency, 422 if form.is_submitted() else 200)
    try:
        changed = agencies.update_agency(_actor(), agency, _agency_data(form))
    except agencies.AgencyInvalid as error:
        db.session.rollback()
        _agency_error(form, error)
        return _agency_form_page(form, agencies.get_agency(agency_id), 422)
    db.session.commit()
    flash(_("The agency is saved.") if changed else _("Nothing was changed."), "success")
    return redirect(url_for("admin.agency", agency_id=agency_id))


@bp.get("/agencies/<int:agency_id>")
@require_role(Role.OFFICER)
def agency(agency_id: int) -> str:
    """An agency and its staff: administrators and the agency's own officers only."""
    target = db.session.get(Agency, agency_id)
    # Officers of another agency (or of none) get the same 404 as for a missing agency.
    require_agency_member(_actor(), target.id if target else None, f"agency:{agency_id}")
    if target is None:
        raise NotFound()
    return render_template(
        "admin/agency.html", agency=target, staff=agencies.staff_of(target), role_labels=ROLE_LABELS
    )


@bp.get("/audit")
@require_role(Role.ADMIN)
def audit_log() -> str:
    """Audit entries, newest first, filtered by action and object; the chain's status."""
    return render_template("admin/audit.html", **audit_page(request.args, PER_PAGE))
