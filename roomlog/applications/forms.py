"""Forms of a municipality's application: start, establishment, one operating year, submit."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from roomlog.form_messages import TranslatedForm
from roomlog.funding.rules import FIRST_YEAR, LAST_YEAR
from roomlog.web.fields import AmountField


def _stripped(value: object) -> object:
    """A choice sent as blanks is no choice: ``Optional`` would let ``"   "`` past the list of choices unchecked."""
    return value.strip() if isinstance(value, str) else value


class NewApplicationForm(TranslatedForm):
    room_id = SelectField(_l("Room"), validators=[Optional()], filters=[_stripped])
    new_room_name = StringField(_l("Name of the new room"), validators=[Optional(), Length(max=120)])
    new_room_permit = SelectField(_l("Its permit"), default="planned", validators=[Optional()], filters=[_stripped])
    new_room_permit_date = DateField(_l("Permit date (planned since, or applied on)"), validators=[Optional()])
    establishment_budget = AmountField(_l("Establishment budget (kr.)"), default=0)  # type: ignore[arg-type]  # kroner, an int
    establishment_requested = AmountField(_l("Establishment: state co-financing asked for (kr.)"), default=0)  # type: ignore[arg-type]  # kroner


class EstablishmentForm(TranslatedForm):
    establishment_budget = AmountField(_l("Establishment budget (kr.)"), validators=[InputRequired()])
    establishment_requested = AmountField(
        _l("Establishment: state co-financing asked for (kr.)"), validators=[InputRequired()]
    )


class YearForm(TranslatedForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(FIRST_YEAR, LAST_YEAR)])
    operating_budget = AmountField(_l("Operating budget (kr.)"), validators=[InputRequired()])
    operating_requested = AmountField(_l("State operating co-financing asked for (kr.)"), validators=[InputRequired()])
    municipal_funding = AmountField(_l("The municipality's own operating funding (kr.)"), validators=[InputRequired()])


class OwnFundingForm(TranslatedForm):
    municipal_funding = AmountField(_l("The municipality's own operating funding (kr.)"), validators=[InputRequired()])


class ConfirmForm(TranslatedForm):
    """Only the CSRF token (submit, remove a year)."""
