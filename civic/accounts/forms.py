"""Account forms: the shape of input only (services enforce the rules)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from civic.accounts.rules import MAX_PASSWORD_LENGTH

EMAIL_REQUIRED = _l("Enter your e-mail address.")
EMAIL_FORMAT = _l("Enter an e-mail address like name@example.org.")
PASSWORD_REQUIRED = _l("Enter your password.")
LANGUAGE_CHOICES = [("nl", "Nederlands"), ("en", "English")]


def select_choices(pairs: list[tuple[str, Any]]) -> list[Any]:
    """SelectField choices as WTForms 3.3+ wants them (tuples before that)."""
    try:
        from wtforms import SelectChoice  # type: ignore[attr-defined]
    except ImportError:  # WTForms < 3.3
        return list(pairs)
    return [SelectChoice(value, label) for value, label in pairs]


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _email_field(label: object = None) -> EmailField:
    return EmailField(
        label or _l("E-mail address"),
        filters=[_strip],
        validators=[
            DataRequired(EMAIL_REQUIRED),
            Length(max=254, message=_l("Use at most 254 characters.")),
            Email(EMAIL_FORMAT),
        ],
    )


def _new_password_field(label: object) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("Use at most 1024 characters.")),
        ],
    )


class SignupForm(FlaskForm):
    """A new account."""

    email = _email_field()
    password = _new_password_field(_l("Password"))
    display_name = StringField(
        _l("Your name"),
        validators=[Optional(), Length(max=80, message=_l("Use at most 80 characters."))],
    )


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = _email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(PASSWORD_REQUIRED)])
    next = HiddenField()


class EmailForm(FlaskForm):
    """Only an e-mail address (resend confirmation, request a password reset)."""

    email = _email_field()


class ConfirmForm(FlaskForm):
    """The button that uses a confirmation link (a GET alone changes nothing)."""


class ResetPasswordForm(FlaskForm):
    """A new password through a reset link."""

    password = _new_password_field(_l("New password"))


class ProfileForm(FlaskForm):
    """Name, public-name choice and language."""

    display_name = StringField(
        _l("Your name"),
        validators=[Optional(), Length(max=80, message=_l("Use at most 80 characters."))],
    )
    show_publicly = BooleanField(_l("Show my name publicly with my ideas and votes"))
    locale = SelectField(_l("Language"), choices=select_choices(LANGUAGE_CHOICES))


class ChangePasswordForm(FlaskForm):
    """The current password and a new one."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(PASSWORD_REQUIRED)])
    password = _new_password_field(_l("New password"))
