"""Forms of the approval flow."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, PasswordField, TextAreaField
from wtforms.validators import DataRequired, Length

from roomlog.form_messages import TranslatedForm


class ApproveForm(TranslatedForm):
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    backdated_reviewed = BooleanField(_l("I have reviewed the back-dated entries"))


class ReopenForm(TranslatedForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    next = HiddenField()


class LockExceptionForm(TranslatedForm):
    until = DateField(_l("Keep open until"), validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class AcceptForm(TranslatedForm):
    next = HiddenField()
