"""Notification forms (shape only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from civic.notifications.services import FREQUENCY_LABELS


class PreferenceForm(FlaskForm):
    """How often the digest comes."""

    frequency = RadioField(
        _l("How often do you want an e-mail about proposals you follow?"),
        choices=[SelectChoice(k.value, v) for k, v in FREQUENCY_LABELS.items()],
        validators=[InputRequired(_l("Choose how often."))],
    )


class UnsubscribeForm(FlaskForm):
    """Confirm the unsubscribe (a button: mail scanners follow links, they don't post)."""
