"""Admin area: API tokens (create — the value is shown once —, list, revoke)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from roomlog.admin.views import bp
from roomlog.extensions import db
from roomlog.form_messages import TranslatedForm
from roomlog.i18n import current_language, message
from roomlog.models import ApiToken, User
from roomlog.services import DomainError
from roomlog.services.tokens import TOKEN_ROLES, create_token, revoke_token, tokens_listing


class TokenForm(TranslatedForm):
    user_id = SelectField(_l("Owner"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])


class RevokeForm(TranslatedForm):
    """Only the CSRF token."""


def _token_form() -> TokenForm:
    form = TokenForm()
    owners = db.session.scalars(
        select(User).where(User.role.in_(TOKEN_ROLES), User.active.is_(True)).order_by(User.username)
    )
    form.user_id.choices = [(u.id, f"{u.username} ({u.role.label(current_language())})") for u in owners]
    return form


@bp.route("/tokens", methods=["GET", "POST"])
def tokens() -> str | Response:
    """List API tokens and create one; a new token's value is shown on this page only once."""
    form = _token_form()
    new_value = None
    if form.validate_on_submit():
        owner = db.session.get(User, form.user_id.data) or abort(404)
        try:
            new = create_token(db.session, owner, form.name.data or "", actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            form.user_id.errors = [message(exc)]
        else:
            db.session.commit()
            new_value = new.value
            form = _token_form()
    return render_template(
        "admin/tokens.html", form=form, tokens=tokens_listing(db.session), new_value=new_value, revoke=RevokeForm()
    )


@bp.post("/tokens/<int:token_id>/revoke")
def token_revoke(token_id: int) -> Response:
    """Revoke an API token."""
    token = db.session.get(ApiToken, token_id) or abort(404)
    if RevokeForm().validate_on_submit():
        revoke_token(db.session, token, actor=current_user)
        db.session.commit()
        flash(_("Token %(prefix)s… revoked.", prefix=token.prefix), "info")
    return redirect(url_for("admin.tokens"))
