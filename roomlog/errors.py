"""Generic error pages (HTML or JSON) with a request id: no stack traces, SQL or paths."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import Flask, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from roomlog import database_faults
from roomlog.api.errors import api_error
from roomlog.extensions import db, login_manager
from roomlog.i18n import message
from roomlog.logs import security_event
from roomlog.request_logs import request_id
from roomlog.services import DomainError

log = logging.getLogger("roomlog.errors")


#: Each status's page text, translated when a page needs it (one string, not all ten twice).
_MESSAGES: dict[int, LazyString] = {
    400: _l("The request could not be understood. Check what you entered and try again."),
    401: _l("Please log in."),
    403: _l("You do not have access to this page."),
    404: _l("The page was not found."),
    405: _l("That action is not possible here."),
    409: _l("The change conflicts with the current state of the record."),
    413: _l("What you sent is too large."),
    429: _l("Too many attempts. Wait a moment and try again."),
    500: _l("Something went wrong on our side. The error has been logged."),
    503: _l("roomlog cannot reach its database right now. Nothing was saved — try again in a moment."),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error(
    status: int, message: str | None = None, headers: Iterable[tuple[str, str]] = ()
) -> ResponseReturnValue:
    """Render an error as JSON for the API, as a page otherwise."""
    if request.path.startswith("/api/"):
        return api_error(status, message, headers=headers)
    text = message or str(_MESSAGES.get(status, _MESSAGES[500]))
    rid = request_id()
    if _wants_json():
        return jsonify(error=text, request_id=rid), status
    return render_template("errors/error.html", status=status, message=text, request_id=rid), status


def _forget_user() -> None:
    """Treat the rest of this request as anonymous: the user may not load (or reload) from the database."""
    g._login_user = login_manager.anonymous_user()


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        if isinstance(exc, CSRFError):
            security_event("csrf.refused", logging.WARNING, endpoint=request.endpoint)
            return render_error(400, _("The form had expired or was sent twice. Reload the page and try again."))
        code = exc.code or 500
        description = getattr(exc, "roomlog_message", None)
        if isinstance(exc, RateLimitExceeded):
            security_event("throttled", logging.WARNING, limit=str(exc.limit.limit), endpoint=request.endpoint)
            description = exc.description if exc.limit.error_message else None
        elif code == 403:
            security_event("access.denied", logging.WARNING, endpoint=request.endpoint)
        return render_error(code, description, exc.get_headers())

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> ResponseReturnValue:
        db.session.rollback()
        return render_error(exc.status_code, message(exc))

    @app.errorhandler(DataError)
    def bad_value(exc: DataError) -> ResponseReturnValue:
        # A value the database refuses (too long, out of range, NUL) is bad input, not a crash.
        db.session.rollback()
        log.warning("value refused by the database request_id=%s", request_id())
        return render_error(400)

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError) -> ResponseReturnValue:
        db.session.rollback()
        if database_faults.is_month_locked(exc):
            return render_error(409, database_faults.month_locked_message())
        if database_faults.is_disk_full(exc):
            _forget_user()
            log.error("database disk full request_id=%s", request_id())
            return render_error(ServiceUnavailable.code, database_faults.disk_full_message())
        if isinstance(exc, OperationalError) or exc.connection_invalidated:
            _forget_user()
            log.error("database unavailable request_id=%s", request_id())
            return render_error(ServiceUnavailable.code)
        log.exception("database error request_id=%s", request_id())
        return render_error(InternalServerError.code)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        db.session.rollback()
        log.exception("unhandled error request_id=%s", request_id())
        return render_error(InternalServerError.code)
