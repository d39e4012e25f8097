"""One JSON error shape for every status of ``/api/v1``: ``error``, ``parameter`` (where there is one), ``request_id``.

The language of ``error`` is ``lang=da|en`` if given, else the best of ``Accept-Language``, else English.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import jsonify, request
from werkzeug.wrappers import Response

from roomlog.logs import request_id

LANGUAGES = ("en", "da")
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")

MESSAGES: dict[int, tuple[str, str]] = {
    400: ("The request is wrong.", "Forespørgslen er forkert."),
    401: ("A valid bearer token is needed.", "Der skal bruges et gyldigt bearer-token."),
    403: ("This token may not do that.", "Dette token må ikke gøre det."),
    404: ("Not found: see /api/v1/openapi.json for the URLs.", "Findes ikke: se /api/v1/openapi.json for adresserne."),
    405: ("Method not allowed here; the Allow header lists those that are.",
          "Metoden er ikke tilladt her; headeren Allow viser dem, der er."),
    409: ("The request conflicts with the current state.", "Forespørgslen strider mod den nuværende tilstand."),
    410: ("The publication changed since this cursor was made; start again from the first page.",
          "Publikationen er ændret, siden denne cursor blev lavet; start forfra fra første side."),
    413: ("The request is too large.", "Forespørgslen er for stor."),
    429: ("Rate limit reached; wait the seconds in Retry-After.",
          "Grænsen for antal forespørgsler er nået; vent det antal sekunder, Retry-After angiver."),
    500: ("Something went wrong on our side; quote the request_id.",
          "Noget gik galt hos os; oplys request_id."),
    503: ("The service cannot reach its database right now; try again shortly.",
          "Tjenesten kan ikke nå sin database lige nu; prøv igen om lidt."),
}  # fmt: skip


def api_language() -> str:
    """``da`` or ``en``: the ``lang`` parameter if valid, else ``Accept-Language``, else English."""
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        return str(lang)
    return request.accept_languages.best_match(LANGUAGES) or "en"


def message(status: int, text: tuple[str, str] | str | None = None) -> str:
    """The text for ``status`` in the request's language; ``text`` is ``(english, danish)`` or fixed."""
    if isinstance(text, str):
        return text
    en, da = text or MESSAGES.get(status, MESSAGES[500])
    return da if api_language() == "da" else en


def api_error(
    status: int,
    text: tuple[str, str] | str | None = None,
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


def bad_parameter(parameter: str, english: str, danish: str | None = None) -> tuple[Response, int]:
    """400 naming the parameter; without a Danish text the Danish answer names it and quotes the English."""
    da = danish or f"Parameteren '{parameter}' er forkert: {english}"
    return api_error(400, (english, da), parameter)
