"""Forms of the admin area (shape of input only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from civic.accounts.forms import select_choices
from civic.accounts.models import Role
from civic.agencies.rules import DEFAULT_RESPONSE_DAYS, MAX_RESPONSE_DAYS, MIN_RESPONSE_DAYS

ROLE_LABELS = {
    Role.RESIDENT: _l("resident"),
    Role.MODERATOR: _l("moderator"),
    Role.CLERK: _l("clerk"),
    Role.OFFICER: _l("agency officer"),
    Role.ADMIN: _l("administrator"),
}
NO_AGENCY = ""


class UserSearchForm(FlaskForm):
    """Search the account list (GET, no CSRF needed)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search by e-mail or name"), validators=[Optional(), Length(max=254)])
    role = SelectField(
        _l("Role"),
        choices=select_choices(
            [("", _l("all roles"))] + [(r.value, label) for r, label in ROLE_LABELS.items()]
        ),
        validators=[Optional()],
    )


class RoleForm(FlaskForm):
    """A user's role and, for officers, their agency."""

    role = SelectField(
        _l("Role"), choices=select_choices([(r.value, label) for r, label in ROLE_LABELS.items()])
    )
    agency = SelectField(_l("Agency"), choices=[], validate_choice=True)

    def set_agencies(self, agencies: list[tuple[int, str]]) -> None:
        """Offer every agency plus "none"."""
        self.agency.choices = select_choices(
            [(NO_AGENCY, _l("no agency"))] + [(str(i), name) for i, name in agencies]
        )


class AgencyForm(FlaskForm):
    """An agency's name, slug, service areas, response deadline and lead address."""

    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Enter the agency's name.")),
            Length(max=160, message=_l("Use at most 160 characters.")),
        ],
    )
    slug = StringField(
        _l("Short name for web addresses"),
        validators=[
            DataRequired(_l("Enter a short name.")),
            Length(max=80, message=_l("Use at most 80 characters.")),
        ],
    )
    service_areas = TextAreaField(_l("Service areas"), validators=[Optional()])
    response_days = IntegerField(
        _l("Response deadline in days"),
        default=DEFAULT_RESPONSE_DAYS,
        validators=[
            InputRequired(_l("Enter a whole number of days.")),
            NumberRange(
                MIN_RESPONSE_DAYS,
                MAX_RESPONSE_DAYS,
                _l("Enter a number of days from %(min)s to %(max)s."),
            ),
        ],
    )
    lead_email = EmailField(
        _l("E-mail address of the agency lead"),
        validators=[
            Optional(),
            Length(max=254, message=_l("Use at most 254 characters.")),
            Email(_l("Enter an e-mail address like name@example.org.")),
        ],
    )

    def area_names(self) -> list[str]:
        """The service areas entered, one per line."""
        return (self.service_areas.data or "").splitlines()


class ActiveForm(FlaskForm):
    """Deactivate ("0") or reactivate ("1") an account."""

    active = HiddenField()


class AuditFilterForm(FlaskForm):
    """Filters of the audit viewer (GET, no CSRF needed)."""

    class Meta:
        csrf = False

    action = SelectField(_l("Action"), choices=[], validate_choice=False)
    object_type = StringField(_l("Object type"), validators=[Optional(), Length(max=60)])
    object_id = StringField(_l("Object id"), validators=[Optional(), Length(max=80)])
