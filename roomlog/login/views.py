"""Log in and the second-factor step (both throttled), keep-alive, log out (here or everywhere)."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from roomlog.auth import throttle, totp
from roomlog.auth.access import public
from roomlog.auth.sessions import end_session, start_session
from roomlog.database import commit_keeping_loaded
from roomlog.extensions import db
from roomlog.login.forms import LoginForm, SecondFactorForm
from roomlog.logs import security_event
from roomlog.models import User
from roomlog.models.base import utcnow
from roomlog.services.accounts import end_all_sessions
from roomlog.services.passwords import hash_password, needs_rehash, verify_password
from roomlog.web.redirects import safe_next

# Named "auth" as before the move: every endpoint (auth.login …), URL and template folder stays the same.
bp = Blueprint("auth", __name__, url_prefix="/auth")


def _find(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def authenticate(user: User | None, password: str) -> User | None:
    """Return ``user`` (the typed name's, if any) if active and ``password`` is theirs, upgrading an outdated hash.

    Without a user the password is still checked (against no hash), so an unknown name takes as long.
    """
    hashing = current_app.config.get("ARGON2_PARAMS")
    if not verify_password(user.password_hash if user else None, password, hashing) or user is None:
        return None
    if not user.active:
        return None
    if needs_rehash(user.password_hash, hashing):
        user.password_hash = hash_password(password, hashing)
    return user


def _throttling() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _throttled(template: str, form: object, wait_seconds: int) -> tuple[str, int]:
    security_event("throttled", logging.WARNING, wait_seconds=wait_seconds)
    flash(
        _(
            "Too many failed log-ins for this account or from this device. Wait a few minutes and try again. "
            "Other users can still log in."
        ),
        "error",
    )
    return render_template(template, form=form), 429


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | Response | tuple[str, int]:
    """Show the login form and log the user in (throttled: roomlog/auth/throttle.py)."""
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, expired=request.args.get("expired") == "1")
    typed = form.username.data or ""
    known = _find(typed)
    attempt = throttle.begin(db.session, typed, known) if _throttling() else throttle.Attempt(())
    # The attempt counts even if the request dies during the password check; the user stays loaded (not read again).
    commit_keeping_loaded(db.session())
    if attempt.refused:
        return _throttled("auth/login.html", form, attempt.wait_seconds)
    user = authenticate(known, form.password.data or "")
    if user is None:
        if _throttling():
            throttle.failed(db.session)
        db.session.commit()
        security_event("login.failed", logging.WARNING, target_user_id=known.id if known else None)
        flash(_("Wrong username or password."), "error")
        return render_template("auth/login.html", form=form), 200
    throttle.succeeded(db.session, attempt)
    start_session(db.session, user)
    login_user(user)
    commit_keeping_loaded(db.session())  # the redirect below asks the user for its second factor: not read again
    security_event("login.password", user_id=user.id, role=user.role.value, username=user.username)
    target = safe_next(form.next.data)
    response = redirect(
        url_for("auth.two_factor", next=target) if totp.has_totp(user) else target or url_for("home.index")
    )
    throttle.remember_device(response, user)
    return response


@bp.route("/two-factor", methods=["GET", "POST"])
def two_factor() -> str | Response | tuple[str, int]:
    """Ask for the authenticator code (or a recovery code) after the password."""
    form = SecondFactorForm(next=request.args.get("next", ""))
    login = g.login_session
    if login.second_factor_at is not None or not totp.has_totp(current_user):
        return redirect(url_for("home.index"))
    if form.validate_on_submit():
        attempt = throttle.second_factor(db.session, current_user) if _throttling() else throttle.Attempt(())
        db.session.commit()
        if attempt.refused:
            return _throttled("auth/two_factor.html", form, attempt.wait_seconds)
        code = form.code.data or ""
        if totp.check_code(current_user, code) or totp.use_recovery_code(db.session, current_user, code):
            throttle.succeeded(db.session, attempt)
            login.second_factor_at = utcnow()
            db.session.commit()
            security_event("login.second_factor")
            return redirect(safe_next(form.next.data) or url_for("home.index"))
        db.session.rollback()
        security_event("login.second_factor_failed", logging.WARNING)
        form.code.errors = [_("That code is not valid. Codes can be used only once.")]
    return render_template("auth/two_factor.html", form=form), 200


@bp.get("/keepalive")
def keepalive() -> tuple[str, int]:
    """Keep the session alive (the idle countdown's "stay logged in"); writes nothing."""
    return "", 204


@bp.post("/logout")
@public
def logout() -> Response:
    """End this session only (a shared account's other tablets stay logged in)."""
    if current_user.is_authenticated:
        security_event("logout")
    end_session(db.session)
    logout_user()
    db.session.commit()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout-everywhere")
def logout_everywhere() -> Response:
    """End every session of this user, on every device (a lost phone, a left-open office PC)."""
    security_event("logout.everywhere")
    end_all_sessions(db.session, current_user, "logout_everywhere")
    end_session(db.session, "logout_everywhere")
    logout_user()
    db.session.commit()
    flash(_("You are logged out on every device."), "info")
    return redirect(url_for("auth.login"))
