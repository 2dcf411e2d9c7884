"""The outbox filter (a GET form, so no CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField


class OutboxFilterForm(FlaskForm):
    """Filter the outbox list by status."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=[], default="")
