"""One JSON error shape for every status of ``/api/v1``: ``error``, ``parameter`` (where there is one), ``request_id``.

The language of ``error`` is ``lang=da|en`` if given, else the best of ``Accept-Language``, else English.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import jsonify, request
from werkzeug.wrappers import Response

from roomlog.messages import N_, Message, translate
from roomlog.request_logs import request_id

LANGUAGES = ("en", "da")
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")

MESSAGES: dict[int, str] = {
    400: N_("The request is wrong."),
    401: N_("A valid bearer token is needed."),
    403: N_("This token may not do that."),
    404: N_("Not found: see /api/v1/openapi.json for the URLs."),
    405: N_("Method not allowed here; the Allow header lists those that are."),
    409: N_("The request conflicts with the current state."),
    410: N_("The publication changed since this cursor was made; start again from the first page."),
    413: N_("The request is too large."),
    429: N_("Rate limit reached; wait the seconds in Retry-After."),
    500: N_("Something went wrong on our side; quote the request_id."),
    503: N_("The service cannot reach its database right now; try again shortly."),
}


def api_language() -> str:
    """``da`` or ``en``: the ``lang`` parameter if valid, else ``Accept-Language``, else English."""
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        return str(lang)
    return request.accept_languages.best_match(LANGUAGES) or "en"


def message(status: int, text: Message | str | None = None) -> str:
    """The text for ``status`` in the request's language: a domain ``Message`` translated, or a fixed text."""
    if isinstance(text, str):
        return text
    found = text or Message(MESSAGES.get(status, MESSAGES[500]))
    translated = translate(api_language(), found.msgid)
    return translated % dict(found.params) if found.params else translated


def api_error(
    status: int,
    text: Message | str | None = None,
    parameter: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
) -> tuple[Response, int]:
    """The JSON error response: ``{"error", "parameter"?, "request_id"}`` with the kept headers."""
    body: dict[str, str] = {"error": message(status, text)}
    if parameter is not None:
        body["parameter"] = parameter
    body["request_id"] = request_id()
    response = jsonify(body)
    for name, value in headers:
        if name in KEPT_HEADERS:
            response.headers[name] = value
    if status == 405 and "Allow" not in response.headers and request.url_rule is not None:
        response.headers["Allow"] = ", ".join(sorted(request.url_rule.methods or ()))
    response.headers["Content-Language"] = api_language()
    response.headers["Cache-Control"] = "no-store"
    return response, status


def bad_parameter(parameter: str, reason: Message | str) -> tuple[Response, int]:
    """400 naming the parameter; a reason that is only English is quoted in the Danish answer."""
    if isinstance(reason, Message) or api_language() == "en":
        return api_error(400, reason, parameter)
    return api_error(400, Message(QUOTED_REASON, {"parameter": parameter, "reason": reason}), parameter)


QUOTED_REASON = N_("The parameter '%(parameter)s' is wrong: %(reason)s")
