"""The user's own account: language and password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from roomlog.account.forms import LanguageForm, PasswordForm
from roomlog.auth.access import public
from roomlog.auth.sessions import start_session
from roomlog.auth.views import safe_next
from roomlog.extensions import db
from roomlog.models.codes import Language
from roomlog.services import DomainError
from roomlog.services.accounts import set_language, set_password
from roomlog.services.passwords import verify_password

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/", methods=["GET", "POST"])
def settings() -> str | Response:
    """Show the account page and change the password."""
    form = PasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data or ""):
            form.current.errors = [_("That is not your current password.")]
        else:
            try:
                set_password(db.session, current_user, form.new.data or "", actor=current_user)
            except DomainError as exc:
                db.session.rollback()
                form.new.errors = [str(exc)]
            else:
                start_session(db.session, current_user)
                login_user(current_user)
                db.session.commit()
                flash(_("Your password is changed. Other devices have been logged out."), "info")
                return redirect(url_for("account.settings"))
    return render_template("account/settings.html", form=form, language_form=LanguageForm())


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
