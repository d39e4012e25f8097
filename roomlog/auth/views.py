"""Log in and log out."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from roomlog.auth.access import public
from roomlog.auth.forms import LoginForm
from roomlog.auth.sessions import end_session, start_session
from roomlog.extensions import db
from roomlog.models import User
from roomlog.services.passwords import hash_password, needs_rehash, verify_password

bp = Blueprint("auth", __name__, url_prefix="/auth")
log = logging.getLogger("roomlog.auth")


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else ``None``."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


def authenticate(username: str, password: str) -> User | None:
    """Return the active user with these credentials, upgrading an outdated hash."""
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return None
    if not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | Response:
    """Show the login form and log the user in."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.username.data or "", form.password.data or "")
        if user is None:
            log.info("login failed")
            flash(_("Wrong username or password."), "error")
            return render_template("auth/login.html", form=form), 200
        start_session(db.session, user)
        login_user(user)
        db.session.commit()
        log.info("login user_id=%s role=%s", user.id, user.role.value)
        return redirect(safe_next(form.next.data) or url_for("home.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@public
def logout() -> Response:
    """End the session server-side and return to the login page."""
    if current_user.is_authenticated:
        log.info("logout user_id=%s", current_user.id)
    end_session(db.session)
    logout_user()
    db.session.commit()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))
