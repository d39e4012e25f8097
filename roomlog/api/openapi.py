"""The OpenAPI 3.1 document of ``/api/v1/`` (kept beside the views; tested with schemathesis)."""

from __future__ import annotations

from typing import Any

from roomlog.api.formats import DATAPACKAGE_PATH, DIALECT_PARAMETER, FILE_CONTENT
from roomlog.reporting.indicators import CODES
from roomlog.reporting.windows import GRANULARITIES

MONTH = {"type": "string", "pattern": "^(199[0-9]|20[0-9]{2})-(0[1-9]|1[0-2])$", "examples": ["2022-01"]}
ERROR = {
    "type": "object",
    "required": ["error", "request_id"],
    "additionalProperties": False,
    "description": "Every error of every status has this shape; `error` is in the language chosen by `lang` "
    "or `Accept-Language` (English by default).",
    "properties": {
        "error": {"type": "string", "description": "What is wrong, for a human."},
        "parameter": {"type": "string", "description": "The query parameter at fault (400, and 404 for `room`)."},
        "request_id": {"type": "string", "description": "Quote it when asking about the error; it is in our logs."},
    },
}
LANG = {
    "name": "lang",
    "in": "query",
    "schema": {"type": "string", "enum": ["da", "en"]},
    "description": "Language of `error` texts and labels; without it the best of `Accept-Language`, else English.",
}
SECONDS = {"schema": {"type": "integer", "minimum": 0}}
RATE_HEADERS = {
    "X-RateLimit-Limit": {"description": "Requests allowed per window for this token.", **SECONDS},
    "X-RateLimit-Remaining": {"description": "Requests left in the current window.", **SECONDS},
    "X-RateLimit-Reset": {"description": "When the window resets (Unix time, seconds).", **SECONDS},
}


def _response(description: str, schema: dict[str, Any] | str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"} if isinstance(schema, str) else schema
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "A parameter is wrong or unknown (every parameter not listed is refused); `parameter` names it.",
        401: "No, bad or revoked token (with `WWW-Authenticate: Bearer`).",
        403: "The token may not do this.",
        404: "The room is not in the token's scope (`parameter: room`).",
        429: "Rate limit reached: wait `Retry-After` seconds.",
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


ROW = {
    "type": "object",
    "required": ["municipality_code", "room_id", "room", "period", "indicator", "value", "suppressed", "status"],
    "properties": {
        "municipality_code": {"type": ["string", "null"], "description": "null on the national total"},
        "room_id": {"type": ["integer", "null"], "description": "null on municipality and national totals"},
        "room": {"type": ["string", "null"]},
        "period": {"type": "string", "examples": ["2022", "2022-Q1", "2022-03", "2012-01..2022-12"]},
        "indicator": {"type": "string"},
        "value": {
            "type": ["number", "null"],
            "description": "null when suppressed (shown as `..`), not published yet, unknown or not available",
        },
        "suppressed": {"type": "boolean"},
        "status": {
            "type": "string",
            "enum": ["approved", "unknown", "not_published", "not_available", "not_applicable"],
            "description": "approved: read from the stored publication (or summed from visible published "
            "periods); not_published: a month not yet closed by every room; not_available: a distinct "
            "count over a range that is not a published calendar period; not_applicable: the room was not open, "
            "or a rate without consumptions; unknown: a month in the period has no data (never read as zero)",
        },
        "revised": {"type": "boolean", "description": "a month of the period was published again after a reopen"},
        "coverage": {
            "type": ["object", "null"],
            "required": ["from", "to"],
            "additionalProperties": False,
            "description": "the months a figure (shown or `..`) covers, from complete known months only; "
            "null when there is no figure (see `missing`). Unknown is not zero: a sum over months is given only "
            "when every month in it is known.",
            "properties": {
                "from": {"type": "string", "examples": ["2021-01"]},
                "to": {"type": "string", "examples": ["2026-01"]},
            },
        },
        "missing": {
            "type": ["string", "null"],
            "enum": ["unknown", "not_applicable", "not_published", "not_available", None],
            "description": "why `value` is null when the cell is not suppressed: unknown (no data for a month: "
            "not zero), not_applicable (before the room opened; a rate without consumptions), not_published, "
            "not_available (a distinct count over several periods); null when there is a figure",
        },
    },
}

AGGREGATES = {
    "type": "object",
    "required": ["from", "to", "granularity", "suppression", "rows"],
    "properties": {
        "from": {"type": "string"},
        "to": {"type": "string"},
        "granularity": {"type": "string", "enum": list(GRANULARITIES)},
        "suppression": {
            "type": "object",
            "required": ["threshold", "cells"],
            "properties": {
                "threshold": {"type": "integer"},
                "symbol": {"type": "string"},
                "note": {"type": "string"},
                "cells": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "municipality_code": {"type": ["string", "null"]},
                            "room_id": {"type": ["integer", "null"]},
                            "period": {"type": "string"},
                            "indicator": {"type": "string"},
                        },
                    },
                },
            },
        },
        "rows": {"type": "array", "items": {"$ref": "#/components/schemas/Row"}},
    },
}


FUNDING_ROW = {
    "type": "object",
    "required": [
        "municipality_code", "room_id", "room", "year", "state_operating_kr", "municipal_operating_kr",
        "total_operating_kr", "consumptions", "acute_treatments", "cost_per_consumption_kr",
        "cost_per_acute_treatment_kr", "provisional",
    ],
    "properties": {
        "municipality_code": {"type": "string"},
        "room_id": {"type": "integer"},
        "room": {"type": "string"},
        "year": {"type": "integer"},
        "state_operating_kr": {"type": "integer", "description": "State operating co-financing granted (whole kr.)"},
        "municipal_operating_kr": {"type": "integer", "description": "The municipality's own operating funding"},
        "total_operating_kr": {"type": "integer"},
        "consumptions": {"type": ["integer", "null"], "description": "Published count; null when hidden or unknown"},
        "acute_treatments": {"type": ["integer", "null"], "description": "Published count; null when hidden"},
        "cost_per_consumption_kr": {"type": ["number", "null"], "description": "total ÷ consumptions (kr. with øre)"},
        "cost_per_acute_treatment_kr": {"type": ["number", "null"]},
        "provisional": {"type": "boolean", "description": "Some month of the year is not approved yet"},
    },
}  # fmt: skip
FUNDING = {
    "type": "object",
    "required": ["year", "rows"],
    "properties": {
        "year": {"type": ["integer", "null"]},
        "rows": {"type": "array", "items": {"$ref": "#/components/schemas/FundingRow"}},
    },
}


def _aggregate_parameters() -> list[dict[str, Any]]:
    return [
        {"name": "from", "in": "query", "required": True, "schema": MONTH, "description": "First month, YYYY-MM."},
        {"name": "to", "in": "query", "required": True, "schema": MONTH, "description": "Last month, YYYY-MM."},
        {
            "name": "granularity",
            "in": "query",
            "schema": {"type": "string", "enum": list(GRANULARITIES), "default": "month"},
            "description": "quarter/year need from/to on quarter/year boundaries.",
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
        LANG,
    ]


def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 document."""
    ok_files = FILE_CONTENT
    aggregates_ok = _response("Rows in long format.", "Aggregates")
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
            "Responses carry `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`; "
            "429 adds `Retry-After` (seconds).",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/indicators": {
                "get": {
                    "operationId": "indicators",
                    "summary": "Indicator definitions",
                    "responses": {"200": _response("All indicators.", "Indicators"), **_common()},
                    "parameters": [LANG],
                }
            },
            "/rooms": {
                "get": {
                    "operationId": "rooms",
                    "summary": "Rooms in the token's scope",
                    "responses": {"200": _response("Rooms.", "Rooms"), **_common()},
                    "parameters": [LANG],
                }
            },
            "/aggregates": {
                "get": {
                    "operationId": "aggregates",
                    "summary": "Aggregates per room and totals",
                    "parameters": _aggregate_parameters(),
                    "responses": {"200": aggregates_ok, **_common(404)},
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
                "Indicators": {
                    "type": "object",
                    "required": ["indicators"],
                    "properties": {
                        "indicators": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["code", "label_da", "label_en", "label", "definition", "additive"],
                                "properties": {
                                    "code": {"type": "string"},
                                    "label_da": {"type": "string"},
                                    "label_en": {"type": "string"},
                                    "label": {"type": "string", "description": "The label in the chosen language."},
                                    "definition": {"type": "string"},
                                    "additive": {"type": "boolean"},
                                },
                            },
                        }
                    },
                },
                "Rooms": {
                    "type": "object",
                    "required": ["rooms"],
                    "properties": {
                        "rooms": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": [
                                    "id",
                                    "name",
                                    "municipality_code",
                                    "municipality_name",
                                    "opened",
                                    "permit_status",
                                ],
                                "properties": {
                                    "id": {"type": "integer"},
                                    "name": {"type": "string"},
                                    "municipality_code": {"type": "string"},
                                    "municipality_name": {"type": "string"},
                                    "opened": {"type": ["string", "null"], "format": "date"},
                                    "permit_status": {"type": "string"},
                                },
                            },
                        }
                    },
                },
            },
        },
    }
