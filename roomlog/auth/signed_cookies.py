"""The signed session cookie and the CSRF token, checked with their keys once per process and string.

Every request carries the same two signed strings as the one before it from the same tablet:
the session cookie (re-signed only when its contents change, at most every
``sessions.TOUCH_SECONDS``) and the form's CSRF token (signed once per session). Checking an
HMAC signature (key derivation, HMAC, base64, JSON) is a fixed function of the string and the
keys, so a string found genuine once is remembered here, with the timestamp it was signed at,
and the next request with the *same* string and the *same* keys skips the cryptography; a
string never seen, or seen under other keys, is checked in full by itsdangerous / Flask-WTF as
before. Nothing is weakened:

- the cache is keyed by the exact string and every key that may verify it (a changed secret
  key or fallback list misses), and holds only strings that passed the full check;
- the session cookie's age (``PERMANENT_SESSION_LIFETIME``) is checked on every request
  from the remembered signing time, exactly as itsdangerous does;
- only sessions of plain values (str, int, float, bool, None) are remembered, so every request
  gets its own session object and nothing a request changes leaks into the next;
- a CSRF token is remembered only when tokens do not expire (``WTF_CSRF_TIME_LIMIT = None``,
  roomlog's setting: the token lives as long as the login session); it is still compared with
  the token in this request's session every time, and everything else Flask-WTF checks (the
  method, exemptions, the referrer on HTTPS) runs unchanged.

The server-side checks (the login session not ended, the user active, the idle clock) do not
depend on this: they run on every request (:mod:`roomlog.auth.sessions`).
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from flask import Flask, Request, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf import CSRFProtect
from flask_wtf.csrf import logger, same_origin, validate_csrf
from itsdangerous import BadSignature
from wtforms import ValidationError

#: Strings remembered per process (one per tablet and login, a few hundred at most); the oldest go first.
CAPACITY = 4096
_PLAIN = (str, int, float, bool, type(None))


class _Verified:
    """Strings whose signature was checked, with what they unsigned to (insertion order = age)."""

    def __init__(self) -> None:
        self._found: dict[tuple[object, ...], tuple[int, Any]] = {}

    def get(self, key: tuple[object, ...]) -> tuple[int, Any] | None:
        return self._found.get(key)

    def put(self, key: tuple[object, ...], signed_at: int, value: Any) -> None:
        while len(self._found) >= CAPACITY:
            try:
                self._found.pop(next(iter(self._found)), None)
            except (StopIteration, RuntimeError):  # emptied or changed by another thread meanwhile
                break
        self._found[key] = (signed_at, value)

    def clear(self) -> None:
        self._found.clear()


_sessions = _Verified()
_csrf_tokens = _Verified()


def _keys(app: Flask) -> tuple[object, ...]:
    return (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))


class VerifiedOnceSessions(SecureCookieSessionInterface):
    """Flask's signed cookie session; a cookie string checked once is not checked again (see above)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not app.secret_key:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (value, *_keys(app))
        known = _sessions.get(key)
        if known is not None:
            signed_at, data = known
            age = int(time.time()) - signed_at
            if 0 <= age <= max_age:  # itsdangerous' own test of the age
                return self.session_class(data)
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        try:
            data, stamp = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if isinstance(data, dict) and all(isinstance(item, _PLAIN) for item in data.values()):
            _sessions.put(key, int(stamp.timestamp()), data)
        return self.session_class(data)


def _validate(data: str | None) -> None:
    """Flask-WTF's ``validate_csrf``, remembering a token string that passed (roomlog's tokens do not expire)."""
    config = current_app.config
    if config.get("WTF_CSRF_TIME_LIMIT", 3600) is not None or not data:
        validate_csrf(data)
        return
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    key = (data, field, config.get("WTF_CSRF_SECRET_KEY"), *_keys(current_app))
    known = _csrf_tokens.get(key)
    if known is not None and field in session and hmac.compare_digest(session[field], known[1]):
        return
    validate_csrf(data)  # raises ValidationError; when it passes, ``data`` unsigns to this session's token
    _csrf_tokens.put(key, 0, session[field])


class VerifiedOnceCSRF(CSRFProtect):
    """Flask-WTF's CSRF protection with the token's signature checked once per token string."""

    def protect(self, apply_exemptions: bool = False) -> None:
        """Flask-WTF's ``CSRFProtect.protect`` (1.2), line for line, with ``_validate`` for ``validate_csrf``."""
        if apply_exemptions and (not request.endpoint or self._is_exempt()):
            return
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        try:
            _validate(self._get_csrf_token())
        except ValidationError as e:
            logger.info(e.args[0])
            self._error_response(e.args[0])
        if request.is_secure and current_app.config["WTF_CSRF_SSL_STRICT"]:
            if not request.referrer:
                self._error_response("The referrer header is missing.")
            if not same_origin(request.referrer, f"https://{request.host}/"):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True  # mark this request as CSRF valid


def forget() -> None:
    """Forget every remembered string (tests that change keys)."""
    _sessions.clear()
    _csrf_tokens.clear()
