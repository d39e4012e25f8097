"""Capture forms. Each carries an idempotency key made when the form is rendered."""

from __future__ import annotations

import datetime as dt
import re

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

from roomlog.form_messages import TranslatedForm
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
from roomlog.services import bounds
from roomlog.services.idempotency import new_key

NO_CODE = {"autocomplete": "off", "autocorrect": "off", "autocapitalize": "characters", "spellcheck": "false"}


class MultiCheckboxField(SelectMultipleField):
    """Several choices as big checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CaptureForm(TranslatedForm):
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


def _birth_part(label: str, low: int, high: int) -> IntegerField:
    """One part of the birth date, kept for clients that post day, month and year apart."""
    return IntegerField(
        label, validators=[Optional(), NumberRange(low, high)], render_kw={"inputmode": "numeric", **NO_CODE}
    )


class CheckInForm(CaptureForm):
    last_letters = StringField(_l("Last name: letters 2, 3 and 5"), validators=letters(3), render_kw=NO_CODE)
    first_letters = StringField(_l("First name: letters 2 and 3"), validators=letters(2), render_kw=NO_CODE)
    birth = StringField(
        _l("Birth date (DDMMYYYY)"),
        validators=[Length(max=10)],  # no Optional(): the check below must run when it is empty
        render_kw={"inputmode": "numeric", "maxlength": 10, "placeholder": _l("DDMMYYYY"), **NO_CODE},
    )
    birth_day = _birth_part(_l("Day"), 1, 31)
    birth_month = _birth_part(_l("Month"), 1, 12)
    birth_year = _birth_part(_l("Year"), bounds.BIRTH_YEAR_MIN, 2100)
    sex = RadioField(_l("Sex"), choices=Sex.choices(), validators=[InputRequired()])
    nationality = RadioField(_l("Nationality group (new visitors)"), choices=Nationality.choices(), default="u")
    confirm_under_18 = HiddenField()

    def birth_date(self) -> dt.date | None:
        """Return the birth date from the one field or the three parts, or None when it does not exist."""
        text = re.sub(r"[\s.\-/]", "", self.birth.data or "")
        try:
            if text:
                if len(text) != 8 or not text.isascii() or not text.isdigit():
                    return None
                return dt.date(int(text[4:]), int(text[2:4]), int(text[:2]))
            year, month, day = self.birth_year.data, self.birth_month.data, self.birth_day.data
            if year is None or month is None or day is None:
                return None
            return dt.date(year, month, day)
        except (TypeError, ValueError, OverflowError):
            return None

    def validate_birth(self, field: StringField) -> None:
        parts = (self.birth_day.data, self.birth_month.data, self.birth_year.data)
        if not field.data and all(p is not None and 0 < p < 10_000 for p in parts):
            field.data = "{:02d}{:02d}{:04d}".format(*parts)  # shown again in the one field
        if not field.data and None in (self.birth_day.data, self.birth_month.data, self.birth_year.data):
            raise ValidationError(_l("Enter the birth date as DDMMYYYY, e.g. 17031981."))
        born = self.birth_date()
        if born is None:
            raise ValidationError(_l("That date does not exist."))
        if born.year < bounds.BIRTH_YEAR_MIN or born > dt.date.today():
            raise ValidationError(_l("The birth date must lie between 1900 and today."))


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

    def validate_assisted(self, field: RadioField) -> None:
        if field.data == "yes" and self.route.data and self.route.data != Route.INJECT.value:
            raise ValidationError(_l("Only an injection can be assisted (BEK 972/2016 § 6)."))


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
