"""The OpenAPI 3.1 document of ``/api/v1/`` (kept beside the views; tested with schemathesis)."""

from __future__ import annotations

from typing import Any

from roomlog.api.formats import DATAPACKAGE_PATH, DIALECT_PARAMETER, FILE_CONTENT
from roomlog.api.openapi_schemas import AGGREGATES, ERROR, FUNDING, FUNDING_ROW, INDICATORS, ROOMS, ROW
from roomlog.api.paging import DEFAULT_LIMIT, LIMIT_CEILING, MAX_LIMIT
from roomlog.api.ratelimit import PAGE_FACTOR
from roomlog.reporting.indicators import CODES
from roomlog.reporting.windows import GRANULARITIES

MONTH = {"type": "string", "pattern": "^(199[0-9]|20[0-9]{2})-(0[1-9]|1[0-2])$", "examples": ["2022-01"]}
LANG = {
    "name": "lang",
    "in": "query",
    "schema": {"type": "string", "enum": ["da", "en"]},
    "description": "Language of `error` texts and labels; without it the best of `Accept-Language`, else English.",
}
SECONDS = {"schema": {"type": "integer", "minimum": 0}}
TEXT = {"schema": {"type": "string"}}
RATE_HEADERS = {
    "X-RateLimit-Limit": {"description": "Requests allowed per window for this token (all endpoints).", **SECONDS},
    "X-RateLimit-Remaining": {"description": "Requests left in the current window.", **SECONDS},
    "X-RateLimit-Reset": {"description": "When the window resets (Unix time, seconds).", **SECONDS},
}
VALIDATORS = {
    "ETag": {"description": "Strong validator from the stored publication's version, the scope and the query; "
             "the gzip form ends in `-gzip`.", **TEXT},
    "Last-Modified": {"description": "When the newest publication was stored.", **TEXT},
    "Cache-Control": {"description": "`private, no-cache`: keep it only in the client's cache and revalidate.", **TEXT},
}  # fmt: skip
PAGE_HEADERS = {
    "X-Total-Count": {"description": "Rows in the whole result (all pages).", **SECONDS},
    "Link": {"description": 'The next page: `<…&cursor=…>; rel="next"` (absent on the last page).', **TEXT},
}
CONDITIONAL = [
    {
        "name": "If-None-Match",
        "in": "header",
        "schema": {"type": "string"},
        "description": "An `ETag` from an earlier answer: `304 Not Modified` (no body) while it still holds.",
    },
    {
        "name": "If-Modified-Since",
        "in": "header",
        "schema": {"type": "string"},
        "description": "An HTTP date (`Last-Modified`); used only without `If-None-Match`.",
    },
]


def _not_modified() -> dict[str, Any]:
    return {"description": "Not modified: the `ETag` still holds; no body.", "headers": VALIDATORS}


def _validated(response: dict[str, Any], paged: bool = False) -> dict[str, Any]:
    """A 200 answer with the validators (and the page headers)."""
    response["headers"] = {**VALIDATORS, **RATE_HEADERS, **(PAGE_HEADERS if paged else {})}
    return response


def _response(description: str, schema: dict[str, Any] | str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"} if isinstance(schema, str) else schema
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "A parameter is wrong or unknown (every parameter not listed is refused); `parameter` names it.",
        401: "No, bad or revoked token (with `WWW-Authenticate: Bearer`).",
        403: "The token may not do this.",
        404: "The room is not in the token's scope (`parameter: room`), or no page answers to the `cursor` "
        "(`parameter: cursor`).",
        410: "The `cursor` was made before the publication changed: start again from the first page.",
        429: "Rate limit reached (the token's budget, or its budget of pages followed by cursor): wait "
        "`Retry-After` seconds.",
        500: "Something failed on our side; quote `request_id`.",
        503: "The database cannot be reached right now; try again shortly.",
    }
    out = {str(code): _response(text[code], "Error") for code in codes}
    if "429" in out:
        out["429"]["headers"] = {"Retry-After": {"description": "Seconds to wait.", **SECONDS}, **RATE_HEADERS}
    return out


def _common(*codes: int) -> dict[str, Any]:
    """The errors every token-protected operation can answer."""
    return _errors(*sorted({400, 401, 403, 429, 500, 503, *codes}))


def _aggregate_parameters() -> list[dict[str, Any]]:
    return [
        {"name": "from", "in": "query", "required": True, "schema": MONTH, "description": "First month, YYYY-MM."},
        {
            "name": "to",
            "in": "query",
            "required": True,
            "schema": MONTH,
            "description": "Last month, YYYY-MM. A `to` before `from` selects no period (an empty result).",
        },
        {
            "name": "granularity",
            "in": "query",
            "schema": {"type": "string", "enum": list(GRANULARITIES), "default": "month"},
            "description": "One row per unit, indicator and period. With quarter or year, a partial quarter or "
            "year at either end (`from=2022-03`, `to=2022-01`, …) is served as a range `first..last` "
            "(`period_kind: range`); total is one range over the whole request.",
        },
        {
            "name": "indicator",
            "in": "query",
            "style": "form",
            "explode": True,
            "schema": {"type": "array", "items": {"type": "string", "enum": list(CODES)}},
            "description": "Repeat for several; all when left out.",
        },
        {
            "name": "room",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 999999999999},
            "description": "Only this room's rows (no totals).",
        },
        {
            "name": "format",
            "in": "query",
            "schema": {"type": "string", "enum": ["json", "csv", "xlsx"], "default": "json"},
            "description": "Without it, `Accept: text/csv` or the XLSX media type chooses the file format.",
        },
        DIALECT_PARAMETER,
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": LIMIT_CEILING},
            "description": f"Rows per page. JSON: {DEFAULT_LIMIT['json']} by default, at most {MAX_LIMIT['json']} "
            f"(a larger limit is served as {MAX_LIMIT['json']}: see `limit` in the body); CSV and XLSX: "
            f"{DEFAULT_LIMIT['csv']} by default and at most (a whole table up to that size).",
        },
        {
            "name": "cursor",
            "in": "query",
            "schema": {"type": "string"},
            "description": 'Opaque and signed: `next_cursor` (or the `Link: rel="next"` URL) of the page before, '
            "with the same other parameters. Another query's or a changed cursor is a 404 "
            "(`parameter: cursor`: no such page); "
            "a cursor from before a republication is a 410: start again from the first page. "
            "The first time a token follows a cursor it costs nothing from its rate-limit budget.",
        },
        LANG,
        *CONDITIONAL,
    ]


def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 document."""
    ok_files = FILE_CONTENT
    aggregates_ok = _validated(_response("One page of rows in long format.", "Aggregates"), paged=True)
    aggregates_ok["content"].update(ok_files)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "roomlog aggregate API",
            "version": "1.0.0",
            "description": "Disclosure-controlled aggregates of Danish drug consumption rooms, read from the stored "
            "publication of closed months (every room approved, accepted or locked). Counts 1..k−1 and the cells "
            "that would give them away are null (`suppressed: true`); a range is summed from visible published "
            "periods only. Never event- or person-level data.\n\n"
            "Errors: every status (400, 401, 403, 404, 405, 429, 500, 503) answers the JSON `Error` object "
            "`{error, parameter?, request_id}`; `lang=da|en` or `Accept-Language` chooses its language. "
            "A parameter an operation does not list is refused with 400 naming it. 405 carries `Allow`. "
            "Responses carry `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`: one budget "
            "per token shared by every endpoint (per client address without a valid token); "
            "429 adds `Retry-After` (seconds). Following a `next` cursor costs nothing from that budget the first "
            "time the token follows it in the budget's period (again: 1, like any request); every page asked for "
            f"with a cursor also counts on a budget of pages {PAGE_FACTOR} times as large.\n\n"
            f"Pages: `/aggregates` answers one page (`limit`, default {DEFAULT_LIMIT['json']} JSON rows, the "
            "largest) with `total`, `next_cursor` "
            'and `next`, and the headers `X-Total-Count` and `Link: <…>; rel="next"`; follow `next` until it is '
            "null. The cursor is signed and bound to the query, the token's scope and the publication's version: "
            "after a republication it answers 410 (start again).\n\n"
            "Caching: `ETag` (strong) and `Last-Modified` come from the stored publication's version; send "
            "`If-None-Match` or `If-Modified-Since` to get `304 Not Modified` without the body. "
            "`Cache-Control: private, no-cache`. JSON and CSV are gzip-compressed for `Accept-Encoding: gzip`.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/indicators": {
                "get": {
                    "operationId": "indicators",
                    "summary": "Indicator definitions",
                    "responses": {
                        "200": _validated(_response("All indicators.", "Indicators")),
                        "304": _not_modified(),
                        **_common(),
                    },
                    "parameters": [LANG, *CONDITIONAL],
                }
            },
            "/rooms": {
                "get": {
                    "operationId": "rooms",
                    "summary": "Rooms in the token's scope",
                    "responses": {"200": _validated(_response("Rooms.", "Rooms")), "304": _not_modified(), **_common()},
                    "parameters": [LANG, *CONDITIONAL],
                }
            },
            "/aggregates": {
                "get": {
                    "operationId": "aggregates",
                    "summary": "Aggregates per room and totals",
                    "parameters": _aggregate_parameters(),
                    "responses": {"200": aggregates_ok, "304": _not_modified(), **_common(404, 410)},
                }
            },
            "/aggregates.datapackage.json": {
                "get": {**DATAPACKAGE_PATH["get"], "responses": {**DATAPACKAGE_PATH["get"]["responses"], **_common()}}
            },
            "/funding": {
                "get": {
                    "operationId": "funding",
                    "summary": "Pool funding beside published activity, per room and year",
                    "parameters": [
                        {
                            "name": "year",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 2020, "maximum": 2099},
                            "description": "One year; all years with granted funding when left out.",
                        },
                        LANG,
                    ],
                    "responses": {"200": _response("Rows per room and year.", "Funding"), **_common()},
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "parameters": [LANG],
                    "responses": {"200": _response("OpenAPI 3.1.", {"type": "object"}), **_errors(400, 500, 503)},
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": ERROR,
                "Row": ROW,
                "Aggregates": AGGREGATES,
                "Funding": FUNDING,
                "FundingRow": FUNDING_ROW,
                "Indicators": INDICATORS,
                "Rooms": ROOMS,
            },
        },
    }
