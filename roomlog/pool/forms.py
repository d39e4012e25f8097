"""The ministry's forms: decide (one amount per operating year), commit, pay, withhold."""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from roomlog.form_messages import TranslatedForm
from roomlog.models import PoolApplication
from roomlog.web.fields import AmountField


class DecisionForm(TranslatedForm):
    establishment = AmountField(_l("Establishment grant (kr.)"), validators=[InputRequired()])
    reason = TextAreaField(
        _l("Reason (required when granted in part or refused)"), validators=[Optional(), Length(max=1000)]
    )


def decision_form(app: PoolApplication) -> DecisionForm:
    """A decision form with one amount field per operating year of the application, prefilled with what was asked."""

    class Form(DecisionForm):
        pass

    for y in app.years:
        setattr(
            Form,
            f"operating_{y.year}",
            AmountField(_l("Operating grant %(year)s (kr.)", year=y.year), validators=[InputRequired()]),
        )
    form = Form()
    if not form.is_submitted():
        form.establishment.data = app.establishment_requested_kr
        for y in app.years:
            getattr(form, f"operating_{y.year}").data = y.operating_requested_kr
    return form


class PaymentForm(TranslatedForm):
    component = SelectField(_l("Grant"), validators=[DataRequired()])
    amount = AmountField(_l("Amount (kr.)"), validators=[InputRequired()])
    #: One-time key: a double click or a resent form commits the payment once.
    request_key = HiddenField(default=lambda: uuid.uuid4().hex, validators=[Optional(), Length(max=64)])


class WithholdForm(TranslatedForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class ConfirmForm(TranslatedForm):
    """Only the CSRF token (pay)."""
