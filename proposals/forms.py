"""Forms of the ideas area (shape of input only; the services check the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from proposals.rules import RejectReason

REASON_LABELS = {
    RejectReason.DUPLICATE: _l("It duplicates another idea"),
    RejectReason.OUTSIDE_REMIT: _l("It is outside the remit of the municipality"),
    RejectReason.UNLAWFUL: _l("It is against the law"),
    RejectReason.ALREADY_PLANNED: _l("It is already planned"),
    RejectReason.OTHER: _l("Another reason (explained below)"),
}


class IdeaForm(FlaskForm):
    """Submit or edit an idea."""

    title = StringField(
        _l("Title"),
        validators=[InputRequired(_l("Enter a title.")), Length(max=120)],
    )
    problem = TextAreaField(
        _l("What is the problem?"),
        validators=[InputRequired(_l("Describe the problem.")), Length(max=5000)],
    )
    proposed_change = TextAreaField(
        _l("What should change?"),
        validators=[InputRequired(_l("Describe the change you propose.")), Length(max=5000)],
    )
    service_area = SelectField(
        _l("Service area"),
        validators=[InputRequired(_l("Choose a service area from the list."))],
    )
    agency_id = SelectField(_l("Suggested agency"), validators=[Optional()])
    # Set once the author has seen the similar ideas (the step before submitting).
    checked = HiddenField()


class ReportForm(FlaskForm):
    """Report abusive content."""

    reason = TextAreaField(_l("What is wrong with it?"), validators=[Optional(), Length(max=2000)])


class RejectForm(FlaskForm):
    """Reject an idea with a coded public reason."""

    reason = RadioField(
        _l("Reason"),
        choices=[SelectChoice(k.value, v) for k, v in REASON_LABELS.items()],
        validators=[InputRequired(_l("Choose a reason."))],
    )
    text = TextAreaField(_l("Explanation (public)"), validators=[Optional(), Length(max=2000)])


class MergeForm(FlaskForm):
    """Merge an idea into another one."""

    target = StringField(
        _l("Number of the idea to merge into"),
        validators=[InputRequired(_l("Enter the number of an idea.")), Length(max=12)],
    )
