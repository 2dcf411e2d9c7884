"""Thin handlers: sign-up, confirmation, log-in/out, password reset, profile."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from civic.accounts import bp, services
from civic.accounts.forms import (
    ChangePasswordForm,
    ConfirmForm,
    EmailForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    SignupForm,
)
from civic.authz import acting_user as _acting_proxy
from civic.authz import require_login
from civic.errors import CivicError, InvalidInput, Throttled
from civic.extensions import db
from civic.public.views import safe_next

Page = Response | tuple[str, int] | str


def acting_user() -> Any:
    """The logged-in User itself (not Flask-Login's proxy, whose type name would be audited)."""
    user: Any = _acting_proxy()
    return user._get_current_object() if hasattr(user, "_get_current_object") else user


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, **context), status


def _field_error(form: Any, error: CivicError, default_field: str) -> None:
    """Show a service's refusal under the field it concerns."""
    field = getattr(form, str(error.details.get("field", default_field)), None)
    if field is not None:
        field.errors = [*field.errors, str(error.message)]


def _client_ip() -> str:
    # remote_addr is the client's address after ProxyFix (TRUST_PROXY_HOPS) when behind a proxy.
    return request.remote_addr or "unknown"


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> Page:
    """Create an account; the same answer for new and known addresses."""
    form = SignupForm()
    if not form.validate_on_submit():
        return _render("accounts/signup.html", 422 if form.is_submitted() else 200, form=form)
    try:
        services.sign_up(
            form.email.data or "",
            form.password.data or "",
            form.display_name.data,
            str(get_locale() or ""),
        )
    except InvalidInput as error:
        db.session.rollback()
        _field_error(form, error, "password")
        return _render("accounts/signup.html", 422, form=form)
    db.session.commit()
    return _render("accounts/check_mail.html", email=form.email.data)


@bp.get("/confirm/<token>")
def confirm(token: str) -> Page:
    """Show a button that uses the link (mail scanners that prefetch links use nothing)."""
    return _render("accounts/confirm.html", form=ConfirmForm(), token=token)


@bp.post("/confirm/<token>")
def confirm_post(token: str) -> Page:
    """Use a confirmation link once."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _render("accounts/confirm.html", 400, form=form, token=token)
    try:
        services.confirm_email(token)
    except services.InvalidLink as error:
        db.session.rollback()
        return _render("accounts/link_invalid.html", error.status, message=error.message)
    db.session.commit()
    flash(_("Your e-mail address is confirmed. You can log in now."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/confirm", methods=["GET", "POST"])
def resend_confirmation() -> Page:
    """Ask for a new confirmation link; the answer never says whether the address is known."""
    form = EmailForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return _render("accounts/resend.html", status, form=form)
    services.resend_confirmation(form.email.data or "")
    db.session.commit()
    return _render("accounts/check_mail.html", email=form.email.data)


def _remember_language(user: Any) -> None:
    chosen = session.get("lang")
    if user.locale in current_app.config["LANGUAGES"]:
        session["lang"] = user.locale
    elif chosen in current_app.config["LANGUAGES"]:
        user.locale = chosen


@bp.route("/login", methods=["GET", "POST"])
def login() -> Page:
    """Log in; throttled per account and per IP address with one message for all cases."""
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return _render("accounts/login.html", 422 if form.is_submitted() else 200, form=form)
    try:
        user, token = services.log_in(form.email.data or "", form.password.data or "", _client_ip())
    except Throttled as error:
        db.session.rollback()
        html, status = _render("accounts/login.html", 429, form=form, refusal=error.message)
        wait = str(error.details.get("retry_after", 60))
        return Response(html, status, headers={"Retry-After": wait}, mimetype="text/html")
    except (services.LoginRefused, services.EmailNotConfirmed) as error:
        db.session.commit()  # the failure counts
        unconfirmed = isinstance(error, services.EmailNotConfirmed)
        return _render(
            "accounts/login.html",
            error.status,
            form=form,
            refusal=error.message,
            unconfirmed=unconfirmed,
        )
    _remember_language(user)
    db.session.commit()
    session.clear()
    login_user(user)
    if user.locale:
        session["lang"] = user.locale
    session.permanent = True
    return redirect(safe_next(form.next.data, url_for("accounts.profile")))


@bp.post("/logout")
def logout() -> Response:
    """End the session on the server and forget the cookie."""
    user = acting_user()
    if user is not None:
        services.log_out(user, getattr(user, "session_token", None))
        db.session.commit()
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You are logged out."), "success")
    return redirect(url_for("public.home"))


@bp.route("/reset", methods=["GET", "POST"])
def request_reset() -> Page:
    """Ask for a reset link; always the same answer."""
    form = EmailForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return _render("accounts/reset_request.html", status, form=form)
    services.request_password_reset(form.email.data or "")
    db.session.commit()
    return _render("accounts/reset_sent.html", email=form.email.data)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> Page:
    """Choose a new password through a reset link; every session of the account ends."""
    try:
        services.check_reset_link(token)
    except services.InvalidLink as error:
        return _render("accounts/link_invalid.html", error.status, message=error.message)
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return _render("accounts/reset.html", status, form=form, token=token)
    try:
        services.reset_password(token, form.password.data or "")
    except services.InvalidLink as error:
        db.session.rollback()
        return _render("accounts/link_invalid.html", error.status, message=error.message)
    except InvalidInput as error:
        db.session.rollback()
        _field_error(form, error, "password")
        return _render("accounts/reset.html", 422, form=form, token=token)
    db.session.commit()
    logout_user()
    flash(_("Your password is changed. Please log in with your new password."), "success")
    return redirect(url_for("accounts.login"))


def _profile_page(
    profile_form: ProfileForm | None = None,
    password_form: ChangePasswordForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    user = acting_user()
    assert user is not None
    if profile_form is None:
        profile_form = ProfileForm(
            display_name=user.display_name,
            show_publicly=user.public_name is not None,
            locale=user.locale or str(get_locale()),
        )
    return _render(
        "accounts/profile.html",
        status,
        user=user,
        form=profile_form,
        password_form=password_form or ChangePasswordForm(prefix="pw", formdata=None),
    )


@bp.get("/")
@require_login
def profile() -> Page:
    """The account page: name, public name, language, password."""
    return _profile_page()


@bp.post("/")
@require_login
def save_profile() -> Page:
    """Save name, public-name choice and language."""
    user = acting_user()
    assert user is not None
    form = ProfileForm()
    if not form.validate_on_submit():
        return _profile_page(form, status=422)
    try:
        changed = services.update_profile(
            user, form.display_name.data, bool(form.show_publicly.data), form.locale.data
        )
    except InvalidInput as error:
        db.session.rollback()
        _field_error(form, error, "display_name")
        return _profile_page(form, status=422)
    db.session.commit()
    if user.locale:
        session["lang"] = user.locale
    flash(_("Your details are saved.") if changed else _("Nothing was changed."), "success")
    return redirect(url_for("accounts.profile"))


@bp.post("/password")
@require_login
def change_password() -> Page:
    """Change the password (current one required); other sessions end."""
    user = acting_user()
    assert user is not None
    form = ChangePasswordForm(prefix="pw")
    if not form.validate_on_submit():
        return _profile_page(password_form=form, status=422)
    try:
        services.change_password(
            user,
            form.current.data or "",
            form.password.data or "",
            getattr(user, "session_token", None),
            _client_ip(),
        )
    except Throttled as error:
        db.session.rollback()
        form.current.errors = [str(error.message)]
        html, status = _profile_page(password_form=form, status=429)
        wait = str(error.details.get("retry_after", 60))
        return Response(html, status, headers={"Retry-After": wait}, mimetype="text/html")
    except InvalidInput as error:
        db.session.commit()  # a wrong current password counts as a failed attempt
        _field_error(form, error, "password")
        return _profile_page(password_form=form, status=422)
    db.session.commit()
    flash(_("Your password is changed. You are logged out on your other devices."), "success")
    return redirect(url_for("accounts.profile"))
