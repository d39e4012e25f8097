"""Account forms: language, password and enrolling an authenticator app."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from roomlog.form_messages import TranslatedForm


class LanguageForm(TranslatedForm):
    language = SelectField(_l("Language"), choices=[("da", "Dansk"), ("en", "English")])
    next = HiddenField()


class PasswordForm(TranslatedForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(max=256)], render_kw={"autocomplete": "new-password"}
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class EnrolForm(TranslatedForm):
    code = StringField(
        _l("The 6-digit code your app shows now"),
        validators=[DataRequired(), Length(max=16)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
