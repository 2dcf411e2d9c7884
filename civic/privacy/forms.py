"""Privacy forms: the shape of input only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length

from civic.accounts.rules import MAX_PASSWORD_LENGTH


class ExportForm(FlaskForm):
    """The download button (a POST with a CSRF token, so no link can trigger it)."""


class EraseForm(FlaskForm):
    """Erasure needs the password and an explicit confirmation."""

    password = PasswordField(
        _l("Your password"),
        validators=[
            DataRequired(_l("Enter your password.")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("Use at most 1024 characters.")),
        ],
    )
    confirm = BooleanField(
        _l("I understand that my account is erased for good and cannot be restored"),
        validators=[
            DataRequired(_l("Tick the box to confirm that you want to erase your account."))
        ],
    )
