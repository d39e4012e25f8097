"""The Undo offer's own short-lived cookie, so a one-tap entry does not re-sign the session cookie.

The offer (kind, record id, text, time) travels in a cookie of its own, signed with an HMAC
of the app's secret key over the offer *and the login session's token*: a cookie copied
from another login session, another user or an older login is ignored. The next page shows
the offer once and deletes the cookie; the Undo itself is a CSRF-protected POST that checks
the record against the room as before, so the cookie only decides whether a button shows.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from flask import after_this_request, current_app, request, session
from werkzeug.wrappers import Response


def cookie_name() -> str:
    """Return the cookie's name (``__Host-`` prefixed when cookies are Secure, like the session's)."""
    return "__Host-roomlog_undo" if current_app.config.get("SESSION_COOKIE_SECURE") else "roomlog_undo"


def _signature(body: str) -> str:
    key = str(current_app.secret_key).encode("utf-8")
    message = f"roomlog-undo|{session.get('sid', '')}|{body}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def put(offer: dict[str, Any], max_age: int) -> None:
    """Send ``offer`` with this response, bound to the current login session."""
    body = base64.urlsafe_b64encode(json.dumps(offer, separators=(",", ":")).encode("utf-8")).decode("ascii")
    value = f"{body}.{_signature(body)}"
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))

    @after_this_request
    def _set(response: Response) -> Response:
        response.set_cookie(
            cookie_name(), value, max_age=max_age, path="/", secure=secure, httponly=True, samesite="Lax"
        )
        return response


def take() -> dict[str, Any] | None:
    """Return the offer sent with the last response (then delete it), or ``None`` if absent or not ours."""
    value = request.cookies.get(cookie_name())
    if not value:
        return None
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))

    @after_this_request
    def _delete(response: Response) -> Response:
        response.delete_cookie(cookie_name(), path="/", secure=secure, httponly=True, samesite="Lax")
        return response

    body, _dot, signature = value.partition(".")
    if not session.get("sid") or not hmac.compare_digest(signature, _signature(body)):
        return None
    try:
        offer = json.loads(base64.urlsafe_b64decode(body.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    return offer if isinstance(offer, dict) else None
