"""Request guard and response headers: default-deny login, request ids, tenant scope, CSP."""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, jsonify, redirect, request, url_for
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from roomlog.auth import scoping
from roomlog.auth.access import scope_room_ids

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)


def _is_public_endpoint() -> bool:
    if request.endpoint is None:
        return True  # 404/405: let the error handler answer
    if request.endpoint == "static":
        return True
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, "is_public", False))


def guard() -> Response | None:
    """Give every request an id; require a login except on the allow-list; set the scope."""
    g.request_id = secrets.token_hex(8)
    g.scope_room_ids = None
    if _is_public_endpoint():
        if current_user.is_authenticated:
            g.scope_room_ids = scope_room_ids(current_user)
        return None
    if not current_user.is_authenticated:
        if request.path.startswith("/api/"):
            return jsonify(error="authentication required"), 401  # type: ignore[return-value]
        target = request.full_path if request.method == "GET" else request.path
        return redirect(url_for("auth.login", next=target.rstrip("?")))
    g.scope_room_ids = scope_room_ids(current_user)
    return None


def headers(response: Response) -> Response:
    """Set the security headers on every response, error pages and static files included."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    if "request_id" in g:
        response.headers["X-Request-ID"] = g.request_id
    return response


def init_app(app: Flask) -> None:
    """Install the guard, the headers, tenant scoping and (if configured) ProxyFix."""
    hops = int(app.config.get("BEHIND_PROXY") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    scoping.install()
    app.before_request(guard)
    app.after_request(headers)
