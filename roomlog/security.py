"""Request guard and response headers: default-deny login, request ids, tenant scope, CSP."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, abort, current_app, flash, g, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import Headers
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Response

from roomlog.auth import scoping, totp
from roomlog.auth.access import scope_room_ids
from roomlog.config import ConfigError
from roomlog.database import end_read_phase
from roomlog.logs import security_event
from roomlog.models import User
from roomlog.request_logs import request_id

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'; worker-src 'self'"
)
# Pages a user who still owes the second factor (or its enrolment) may open.
_SECOND_FACTOR_OPEN = frozenset({"auth.two_factor", "account.two_factor", "auth.logout", "account.language", "static"})


def _is_public_endpoint() -> bool:
    if request.endpoint is None:
        return True  # 404/405: let the error handler answer
    if request.endpoint == "static":
        return True
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, "is_public", False))


def _second_factor_step(user: User) -> str | None:
    """Return the endpoint this user must finish first (code or enrolment), if any."""
    login = g.get("login_session")
    if totp.has_totp(user) and login is not None and login.second_factor_at is None:
        return "auth.two_factor"
    if totp.totp_required(user) and not totp.has_totp(user):
        return "account.two_factor"
    return None


def _login_redirect() -> ResponseReturnValue:
    if request.path.startswith("/api/"):
        return jsonify(error="authentication required", request_id=request_id()), 401
    if g.get("session_expired"):
        flash(_("You were logged out after a while without activity. Log in to continue where you were."), "info")
    target = request.full_path if request.method == "GET" else request.path
    return redirect(url_for("auth.login", next=target.rstrip("?")))


def _has_nul() -> bool:
    """Return whether a query or form field carries a NUL character (PostgreSQL refuses them)."""
    fields = [*request.args.items(multi=True)]
    if request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields += [*request.form.items(multi=True)]
    return any("\x00" in key or "\x00" in value for key, value in fields)


def guard() -> ResponseReturnValue | None:
    """Give every request an id; require a login except on the allow-list; set the scope."""
    request_id()
    g.scope_room_ids = None
    if _has_nul():
        abort(400)
    if _is_public_endpoint():
        if current_user.is_authenticated:
            scoping.set_scope(scope_room_ids(current_user))
        return None
    if not current_user.is_authenticated:
        return _login_redirect()
    user = current_user._get_current_object()  # the loaded user, not the proxy at every attribute
    step = _second_factor_step(user)
    if step and request.endpoint not in _SECOND_FACTOR_OPEN:
        if request.path.startswith("/api/"):
            return jsonify(error="second factor required", request_id=request_id()), 401
        security_event("second_factor.pending", step=step)
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for(step, next=target))
    scoping.set_scope(scope_room_ids(user))
    return None


#: Sent with every response, replacing any value a view set.
_ALWAYS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)


def _put(found: Headers, present: set[str], key: str, value: str) -> None:
    """``found[key] = value``, appending without a scan when ``key`` (lower case in ``present``) is not there yet."""
    if key.lower() in present:
        found[key] = value
    else:
        found.add(key, value)


def headers(response: Response) -> Response:
    """Set the security headers on every response, error pages and static files included.

    The response's header names are read once: a header not there yet is appended (what
    ``Headers.set`` does after scanning the list for it), one already there is replaced.
    """
    found = response.headers
    present = {key.lower() for key, _value in found}
    if "content-security-policy" not in present:  # a view's own policy stays (``setdefault``)
        found.add("Content-Security-Policy", CSP)
    for key, value in _ALWAYS:
        _put(found, present, key, value)
    if request.is_secure:
        _put(found, present, "Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.blueprint == "api" and "cache-control" in present:
        response.vary.add("Cookie")  # the API sets its own (private, revalidated) caching and Vary
    elif request.endpoint != "static":
        _put(found, present, "Cache-Control", "no-store")
        response.vary.add("Cookie")  # keeps a view's own Vary (the API's Accept)
    _put(found, present, "X-Request-ID", request_id())
    return response


class DatabaseInt(IntegerConverter):
    """``<int:…>`` limited to the database's INTEGER range: bigger ids are a plain 404, not a 500."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _refuse_debug_in_production(app: Flask) -> None:
    debug_env = os.environ.get("FLASK_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}
    if app.config.get("ENV_NAME") == "production" and (app.debug or debug_env):
        raise ConfigError("Debug mode is not allowed in production: unset FLASK_DEBUG.")


def init_app(app: Flask) -> None:
    """Install the guard, the headers, tenant scoping and (if configured) ProxyFix."""
    _refuse_debug_in_production(app)
    app.url_map.converters["int"] = DatabaseInt
    hops = int(app.config.get("BEHIND_PROXY") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]  # Flask's documented way to wrap its WSGI app
    scoping.install()
    app.before_request(guard)
    app.before_request(end_read_phase)  # after the login checks: a write request takes its lock only now
    app.after_request(headers)
