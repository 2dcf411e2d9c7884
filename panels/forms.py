"""Forms of the panels area (shape of input only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional


class RegisterUploadForm(FlaskForm):
    """Upload of a register extract (CSV); the import service checks its content."""

    file = FileField(_l("Register file (CSV)"), validators=[FileRequired(_l("Choose a file."))])


# --- Panels, waves, codes and replies ---------------------------------------------------------

TOPIC_CHOICES = [
    ("service", _l("A public service")),
    ("life_event", _l("A life event")),
    ("customer_journey", _l("A customer journey")),
]
STATUS_CHOICES = [
    ("draft", _l("Draft")),
    ("recruiting", _l("Recruiting")),
    ("active", _l("Active")),
    ("closed", _l("Closed")),
]
ANSWER_CHOICES = [
    ("yes", _l("Yes, I would like to take part")),
    ("no", _l("No, I do not want to take part")),
    ("deferred", _l("Not now: invite me again later (once, within 12 months)")),
    ("excused", _l("I cannot take part, for a reason")),
]
REASON_CHOICES = [
    ("health", _l("Health")),
    ("care", _l("Care duties")),
    ("work_study", _l("Work or study")),
    ("other", _l("Another reason")),
]
CHANNEL_CHOICES = [("phone", _l("By phone")), ("paper", _l("On paper"))]
_NUMBER = _l("Enter a whole number.")


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def _count(label: Any, low: int = 0, high: int = 10_000) -> IntegerField:
    return IntegerField(
        label,
        validators=[InputRequired(_NUMBER), NumberRange(low, high)],
    )


class PanelForm(FlaskForm):
    """Create or edit a panel."""

    topic_kind = RadioField(_l("The panel works on"), choices=choices(TOPIC_CHOICES))
    title = StringField(
        _l("Title"), validators=[InputRequired(_l("Enter a title.")), Length(max=200)]
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    agency_id = SelectField(_l("Responsible agency"), coerce=int, validate_choice=True)
    size = _count(_l("Seats"), 1, 1000)
    term_months = _count(_l("Term in months"), 1, 120)
    rotation_months = _count(_l("Rotation every ... months (0: no rotation)"), 0, 120)
    rotation_percent = _count(_l("Share of seats replaced per rotation (percent)"), 0, 100)
    rest_months = _count(_l("Rest period in months"), 0, 240)
    status = SelectField(_l("Status"), choices=choices(STATUS_CHOICES))


class QuotaForm(FlaskForm):
    """One quota: seat counts, or a population share with a tolerance."""

    feature = StringField(
        _l("Feature"), validators=[InputRequired(_l("Enter a feature.")), Length(max=40)]
    )
    value = StringField(
        _l("Value"), validators=[InputRequired(_l("Enter a value.")), Length(max=80)]
    )
    kind = RadioField(
        _l("Kind of quota"),
        choices=choices([("count", _l("Seat counts")), ("share", _l("Population share"))]),
        default="count",
    )
    min_count = IntegerField(_l("Minimum seats"), validators=[Optional(), NumberRange(0)])
    max_count = IntegerField(_l("Maximum seats"), validators=[Optional(), NumberRange(0)])
    share_percent = DecimalField(
        _l("Share (percent)"), validators=[Optional(), NumberRange(0, 100)]
    )
    tolerance_percent = DecimalField(
        _l("Tolerance (percentage points)"), validators=[Optional(), NumberRange(0, 100)]
    )


class WaveForm(FlaskForm):
    """Draw an invitation wave."""

    seed = StringField(
        _l("Public seed"),
        validators=[InputRequired(_l("Enter the public seed of the draw.")), Length(max=200)],
    )
    size = _count(_l("Number of people to invite"), 1, 1_000_000)
    reply_by = DateField(_l("Reply deadline"), validators=[InputRequired(_l("Enter a date."))])
    oversample = BooleanField(_l("Invite more people in areas that replied less before"))


class CodeForm(FlaskForm):
    """A letter code."""

    code = StringField(
        _l("Your code"),
        validators=[InputRequired(_l("Enter the code from your letter.")), Length(max=40)],
    )


class ReplyForm(FlaskForm):
    """A reply; which fields matter depends on the answer (the service checks)."""

    answer = RadioField(
        _l("Your answer"),
        choices=choices(ANSWER_CHOICES),
        validators=[InputRequired(_l("Choose an answer."))],
    )
    availability = TextAreaField(
        _l("When are you available? (days, evenings, weekends)"),
        validators=[Optional(), Length(max=1000)],
    )
    access_needs = TextAreaField(
        _l("What do you need to take part? (access, language, childcare, transport)"),
        validators=[Optional(), Length(max=1000)],
    )
    defer_to = SelectField(_l("Invite me again from"), validators=[Optional()], choices=[])
    reason = RadioField(_l("Reason"), choices=choices(REASON_CHOICES), validators=[Optional()])
    reason_text = TextAreaField(_l("Explain the reason"), validators=[Optional(), Length(max=1000)])

    def question_fields(self) -> list[Any]:
        """The stratification question fields, in order."""
        return [field for name, field in self._fields.items() if name.startswith("q_")]


class ClerkReplyForm(ReplyForm):
    """A reply a clerk records on the person's behalf."""

    channel = RadioField(
        _l("The reply came"),
        choices=choices(CHANNEL_CHOICES),
        validators=[InputRequired(_l("Choose how the reply came."))],
    )


def reply_form(questions: Iterable[Any], defer_months: Iterable[Any], clerk: bool) -> ReplyForm:
    """A reply form with one radio group per stratification question."""
    extra = {
        f"q_{q.key}": RadioField(q.label, choices=choices(q.options), validators=[Optional()])
        for q in questions
    }
    base = ClerkReplyForm if clerk else ReplyForm
    form_class = type("ConfiguredReplyForm", (base,), extra)
    form = form_class()
    form.defer_to.choices = choices(
        [("", _l("Choose a month"))]
        + [(d.isoformat(), format_date(d, "MMMM yyyy")) for d in defer_months]
    )
    return form  # type: ignore[no-any-return]


class ClerkLookupForm(FlaskForm):
    """Find an invitation by its letter code or by the person's register id."""

    code = StringField(_l("Letter code"), validators=[Optional(), Length(max=40)])
    register_id = StringField(_l("Register id"), validators=[Optional(), Length(max=100)])


class IssueCodeForm(FlaskForm):
    """Issue a verification code for a person in the register."""

    register_id = StringField(
        _l("Register id"), validators=[InputRequired(_l("Enter a register id.")), Length(max=100)]
    )


# --- The draw, membership and the panel's work --------------------------------------------

END_CHOICES = [
    ("withdrawn", _l("Withdrew")),
    ("no_show", _l("Did not show up")),
]
SCORE_CHOICES = [
    ("1", _l("1: very poor")),
    ("2", _l("2: poor")),
    ("3", _l("3: fair")),
    ("4", _l("4: good")),
    ("5", _l("5: very good")),
]
VOTE_CHOICES = [("yes", _l("For")), ("no", _l("Against")), ("abstain", _l("Abstain"))]


class SeedForm(FlaskForm):
    """The public seed of a panel draw."""

    seed = StringField(
        _l("Public seed"),
        validators=[InputRequired(_l("Enter the public seed.")), Length(max=200)],
    )


class EndSeatForm(FlaskForm):
    """End a seat early."""

    reason = RadioField(
        _l("Why the seat ends"),
        choices=choices(END_CHOICES),
        validators=[InputRequired(_l("Choose a reason."))],
    )


class MeetingForm(FlaskForm):
    """Plan a meeting."""

    starts_at = DateTimeLocalField(
        _l("Date and time"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Enter the date and time."))],
    )
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    online_url = StringField(_l("Online link"), validators=[Optional(), Length(max=500)])
    agenda = TextAreaField(
        _l("Agenda"), validators=[InputRequired(_l("Write the agenda.")), Length(max=5000)]
    )


class ExpenseForm(FlaskForm):
    """An expense entry."""

    membership_id = SelectField(_l("Member"), coerce=int, validate_choice=True)
    meeting_id = SelectField(_l("Meeting"), coerce=int, validate_choice=True)
    amount = StringField(
        _l("Amount in euros"), validators=[InputRequired(_l("Enter an amount.")), Length(max=12)]
    )
    note = StringField(
        _l("What for"), validators=[InputRequired(_l("Say what it was for.")), Length(max=200)]
    )


class StepForm(FlaskForm):
    """A step of the journey."""

    title = StringField(
        _l("Step"), validators=[InputRequired(_l("Name the step.")), Length(max=200)]
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


class RatingForm(FlaskForm):
    """A member's rating of one step."""

    score = RadioField(
        _l("Your rating"),
        choices=choices(SCORE_CHOICES),
        validators=[InputRequired(_l("Choose a rating from 1 to 5."))],
    )
    pain_points = TextAreaField(
        _l("Pain points (what went wrong or was hard)"),
        validators=[Optional(), Length(max=5000)],
    )


class RecommendationForm(FlaskForm):
    """Draft a recommendation."""

    title = StringField(
        _l("Title"),
        validators=[InputRequired(_l("Give the recommendation a title.")), Length(max=200)],
    )
    body = TextAreaField(
        _l("Recommendation"),
        validators=[InputRequired(_l("Write the recommendation.")), Length(max=5000)],
    )
    step_id = SelectField(_l("Step of the journey"), coerce=int, validate_choice=True)


class CommentForm(FlaskForm):
    """A comment on a recommendation."""

    body = TextAreaField(
        _l("Your comment"), validators=[InputRequired(_l("Write your comment.")), Length(max=5000)]
    )


class VoteForm(FlaskForm):
    """A member's vote on a recommendation."""

    choice = RadioField(
        _l("Your vote"),
        choices=choices(VOTE_CHOICES),
        validators=[InputRequired(_l("Choose for, against or abstain."))],
    )
