"""Capture forms. Each carries an idempotency key made when the form is rendered."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from roomlog.i18n import current_language
from roomlog.models.codes import (
    IncidentType,
    Nationality,
    ReferralMode,
    Route,
    Sex,
    Substance,
    TurnAwayReason,
)
from roomlog.services.idempotency import new_key

NO_CODE = {"autocomplete": "off", "autocorrect": "off", "autocapitalize": "characters", "spellcheck": "false"}


class MultiCheckboxField(SelectMultipleField):
    """Several choices as big checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CaptureForm(FlaskForm):
    """Fields every capture form has: the key, an optional earlier time and a reason."""

    idempotency_key = HiddenField(default=new_key)
    occurred_at = StringField(
        _l("When (leave empty for now)"), validators=[Optional()], render_kw={"type": "datetime-local"}
    )
    reason = StringField(_l("Reason (only for an approved month)"), validators=[Optional(), Length(max=500)])


def letters(length: int) -> list[object]:
    """Validators for the letters of a name (letters, 2 for a missing letter, 9 for no name)."""
    return [
        DataRequired(),
        Length(min=1, max=length),
        Regexp(r"^[^\W_\d]*[29]*$|^[29]+$", message=_l("Only letters, 2 for a missing letter, 9 for no name.")),
    ]


class CheckInForm(CaptureForm):
    last_letters = StringField(_l("Last name: letters 2, 3 and 5"), validators=letters(3), render_kw=NO_CODE)
    first_letters = StringField(_l("First name: letters 2 and 3"), validators=letters(2), render_kw=NO_CODE)
    birth_day = IntegerField(
        _l("Day"), validators=[InputRequired(), NumberRange(1, 31)], render_kw={"inputmode": "numeric", **NO_CODE}
    )
    birth_month = IntegerField(
        _l("Month"), validators=[InputRequired(), NumberRange(1, 12)], render_kw={"inputmode": "numeric", **NO_CODE}
    )
    birth_year = IntegerField(
        _l("Year"),
        validators=[InputRequired(), NumberRange(1900, 2100)],
        render_kw={"inputmode": "numeric", **NO_CODE},
    )
    sex = RadioField(_l("Sex"), choices=Sex.choices(), validators=[InputRequired()])
    nationality = RadioField(_l("Nationality group (new visitors)"), choices=Nationality.choices(), default="u")

    def birth_date(self) -> dt.date | None:
        """Return the birth date, or None (with an error on the day field) when it does not exist."""
        try:
            return dt.date(self.birth_year.data, self.birth_month.data, self.birth_day.data)
        except (TypeError, ValueError):
            return None

    def validate_birth_day(self, field: IntegerField) -> None:
        if self.birth_year.data and self.birth_month.data and field.data and self.birth_date() is None:
            raise ValidationError(_l("That date does not exist."))


class TurnAwayForm(CaptureForm):
    turn_away_reason = RadioField(_l("Reason"), choices=TurnAwayReason.choices(), validators=[InputRequired()])


class ConsumptionForm(CaptureForm):
    route = RadioField(_l("Route"), choices=Route.choices(), validators=[InputRequired()])
    substances = MultiCheckboxField(_l("Substances"), choices=Substance.choices(), validators=[DataRequired()])
    place = RadioField(_l("Place"), choices=[], validators=[Optional()], validate_choice=False)
    assisted = RadioField(
        _l("Assisted consumption"),
        choices=[("no", _l("No")), ("yes", _l("Yes"))],
        validators=[InputRequired(message=_l("Say whether the consumption is assisted (BEK 972 § 6)."))],
    )


class IncidentForm(CaptureForm):
    type = RadioField(_l("Incident"), choices=IncidentType.choices(), validators=[InputRequired()])
    narrative = TextAreaField(_l("What happened"), validators=[Optional(), Length(max=2000)])


def localise(form: FlaskForm) -> None:
    """Give every code-list field its labels in the current language."""
    lang = current_language()
    lists = {
        "sex": Sex,
        "nationality": Nationality,
        "turn_away_reason": TurnAwayReason,
        "route": Route,
        "substances": Substance,
        "type": IncidentType,
        "mode": ReferralMode,
    }
    for name, codes in lists.items():
        field = getattr(form, name, None)
        if field is not None:
            field.choices = codes.choices(lang)
