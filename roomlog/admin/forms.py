"""Admin forms: rooms and users."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from roomlog.form_messages import TranslatedForm
from roomlog.models.codes import INITIAL_PERMITS, OperatorType, PermitStatus, Role, RoomModel


class RoomForm(TranslatedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    municipality_code = SelectField(_l("Municipality"), validators=[DataRequired()])
    operator_name = StringField(_l("Operator"), validators=[Optional(), Length(max=160)])
    operator_type = SelectField(_l("Operator type"), choices=OperatorType.choices())
    model = SelectField(_l("Model"), choices=RoomModel.choices())
    #: Only when a room is created; later steps go through the permit page (with their history).
    permit_status = SelectField(_l("Permit status"), choices=[(p.value, p.label_da) for p in INITIAL_PERMITS])
    permit_date = DateField(_l("Permit date"), validators=[InputRequired()])
    opened_on = DateField(_l("Opened"), validators=[Optional()])
    places_injection = IntegerField(_l("Injection places"), default=0, validators=[InputRequired(), NumberRange(0, 99)])
    places_smoking = IntegerField(_l("Smoking places"), default=0, validators=[InputRequired(), NumberRange(0, 99)])
    assisted_allowed = BooleanField(_l("Assisted consumption allowed"))
    opening_hours = StringField(_l("Opening hours"), validators=[Optional(), Length(max=120)])
    service_day_cutoff = TimeField(_l("Service day starts at"), validators=[InputRequired()])
    active = BooleanField(_l("Active"), default=True)


class UserForm(TranslatedForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    role = SelectField(_l("Role"), choices=Role.choices())
    rooms = SelectMultipleField(_l("Rooms (staff and leads)"), coerce=int, validate_choice=True)
    municipality_code = SelectField(_l("Municipality (municipality users)"), validators=[Optional()])
    can_backdate = BooleanField(_l("May enter back-dated records"))
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(
        _l("Password"), validators=[Optional(), Length(max=256)], render_kw={"autocomplete": "new-password"}
    )


class PasswordResetForm(TranslatedForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(max=256)], render_kw={"autocomplete": "new-password"}
    )


class PermitForm(TranslatedForm):
    status = SelectField(_l("New permit status"), choices=PermitStatus.choices())
    on_date = DateField(_l("Date"), validators=[InputRequired()])
    note = StringField(_l("Note (e.g. the ministry's reference)"), validators=[Optional(), Length(max=500)])
