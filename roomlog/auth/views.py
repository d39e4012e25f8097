"""Log in (throttled), the second-factor step, keep-alive and log out."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from roomlog.auth import totp
from roomlog.auth.access import public
from roomlog.auth.forms import LoginForm, SecondFactorForm
from roomlog.auth.sessions import end_all_sessions, end_session, start_session
from roomlog.extensions import db, limiter
from roomlog.logs import security_event
from roomlog.models import User
from roomlog.models.base import utcnow
from roomlog.services.passwords import hash_password, needs_rehash, verify_password

bp = Blueprint("auth", __name__, url_prefix="/auth")


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else ``None``."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    return target


def _find(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def authenticate(username: str, password: str) -> User | None:
    """Return the active user with these credentials, upgrading an outdated hash."""
    user = _find(username)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return None
    if not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _account_key() -> str:
    """Key the per-account login limit on the username typed (case-insensitive)."""
    return "account:" + (request.form.get("username") or "").strip().lower()[:64]


def _session_user_key() -> str:
    return f"user:{session.get('_user_id', '')}"


def _failed(response: Response) -> bool:
    """Count only refused attempts (the form re-rendered) against the limits."""
    return response.status_code == 200


def _throttled_message() -> str:
    return _(
        "Too many failed log-ins for this account or from this device. Wait a few minutes and try again. "
        "Other users can still log in."
    )


def _limit(value_key: str):  # type: ignore[no-untyped-def]
    return lambda: current_app.config[value_key]


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(
    _limit("LOGIN_RATE_LIMIT"), key_func=_account_key, methods=["POST"], deduct_when=_failed,
    error_message=_throttled_message, scope="login-account",
)  # fmt: skip
@limiter.limit(
    _limit("LOGIN_IP_RATE_LIMIT"), methods=["POST"], deduct_when=_failed,
    error_message=_throttled_message, scope="login-address",
)  # fmt: skip
def login() -> str | Response:
    """Show the login form and log the user in."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.username.data or "", form.password.data or "")
        if user is None:
            known = _find(form.username.data or "")
            security_event("login.failed", logging.WARNING, target_user_id=known.id if known else None)
            flash(_("Wrong username or password."), "error")
            return render_template("auth/login.html", form=form), 200
        start_session(db.session, user)
        login_user(user)
        db.session.commit()
        security_event("login.password", user_id=user.id, role=user.role.value, username=user.username)
        target = safe_next(form.next.data)
        if totp.has_totp(user):
            return redirect(url_for("auth.two_factor", next=target))
        return redirect(target or url_for("home.index"))
    return render_template("auth/login.html", form=form, expired=request.args.get("expired") == "1")


@bp.route("/two-factor", methods=["GET", "POST"])
@limiter.limit(
    _limit("LOGIN_RATE_LIMIT"), key_func=_session_user_key, methods=["POST"], deduct_when=_failed,
    error_message=_throttled_message, scope="second-factor",
)  # fmt: skip
def two_factor() -> str | Response:
    """Ask for the authenticator code (or a recovery code) after the password."""
    form = SecondFactorForm(next=request.args.get("next", ""))
    login = g.login_session
    if login.second_factor_at is not None or not totp.has_totp(current_user):
        return redirect(url_for("home.index"))
    if form.validate_on_submit():
        code = form.code.data or ""
        if totp.check_code(current_user, code) or totp.use_recovery_code(db.session, current_user, code):
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
