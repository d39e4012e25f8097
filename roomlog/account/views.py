"""The user's own account: language and password."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from roomlog.account.forms import EnrolForm, LanguageForm, PasswordForm
from roomlog.auth import totp
from roomlog.auth.access import public
from roomlog.auth.sessions import start_session
from roomlog.extensions import db
from roomlog.i18n import message
from roomlog.logs import security_event
from roomlog.models.base import utcnow
from roomlog.models.codes import Language
from roomlog.services import DomainError
from roomlog.services.accounts import set_language, set_password
from roomlog.services.passwords import verify_password
from roomlog.web.redirects import safe_next

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/", methods=["GET", "POST"])
def settings() -> str | Response:
    """Show the account page and change the password."""
    form = PasswordForm()
    if form.validate_on_submit():
        hashing = current_app.config.get("ARGON2_PARAMS")
        if not verify_password(current_user.password_hash, form.current.data or "", hashing):
            form.current.errors = [_("That is not your current password.")]
        else:
            try:
                set_password(db.session, current_user, form.new.data or "", actor=current_user, hashing=hashing)
            except DomainError as exc:
                db.session.rollback()
                form.new.errors = [message(exc)]
            else:
                user = current_user._get_current_object()  # the object, not the proxy (else it recurses)
                start_session(db.session, user, second_factor_done=True)
                login_user(user)
                db.session.commit()
                security_event("password.changed")
                flash(_("Your password is changed. Other devices have been logged out."), "info")
                return redirect(url_for("account.settings"))
    return render_template(
        "account/settings.html", form=form, language_form=LanguageForm(), has_totp=totp.has_totp(current_user)
    )


@bp.route("/two-factor", methods=["GET", "POST"])
def two_factor() -> str | Response:
    """Enrol an authenticator app (QR code), then show the recovery codes once."""
    if totp.has_totp(current_user):
        return redirect(url_for("account.settings"))
    # The pending secret is derived on the server from this login session, never in the cookie.
    secret = totp.pending_secret(g.login_session)
    form = EnrolForm()
    if form.validate_on_submit():
        codes = totp.confirm(db.session, current_user, secret, form.code.data or "")
        if codes is not None:
            g.login_session.second_factor_at = utcnow()
            db.session.commit()
            security_event("second_factor.enrolled")
            return render_template("account/recovery_codes.html", codes=codes, next=safe_next(request.args.get("next")))
        form.code.errors = [_("That code does not match. Check the time on your phone and try the newest code.")]
    qr = totp.qr_data_uri(current_user, secret)
    required = totp.totp_required(current_user)
    return render_template("account/two_factor.html", form=form, qr=qr, secret=secret, required=required)


@bp.post("/language")
@public
def language() -> Response:
    """Switch the interface language (remembered for the user, or for this browser)."""
    form = LanguageForm()
    target = safe_next(form.next.data or (request.referrer and _path(request.referrer))) or url_for("home.index")
    if not form.validate_on_submit():
        return redirect(target)
    choice = Language(form.language.data)
    session["language"] = choice.value
    if current_user.is_authenticated:
        set_language(db.session, current_user, choice)
        db.session.commit()
    return redirect(target)


def _path(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
