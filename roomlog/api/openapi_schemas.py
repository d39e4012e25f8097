"""The schemas of the OpenAPI document's bodies (``components/schemas``)."""

from __future__ import annotations

from roomlog.reporting.windows import GRANULARITIES

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

ROW = {
    "type": "object",
    "required": [
        "municipality_code",
        "room_id",
        "room",
        "period",
        "period_kind",
        "indicator",
        "value",
        "suppressed",
        "status",
    ],
    "properties": {
        "municipality_code": {"type": ["string", "null"], "description": "null on the national total"},
        "room_id": {"type": ["integer", "null"], "description": "null on municipality and national totals"},
        "room": {"type": ["string", "null"]},
        "period": {"type": "string", "examples": ["2022", "2022-Q1", "2022-03", "2012-01..2022-12"]},
        "period_kind": {
            "type": "string",
            "enum": ["month", "quarter", "year", "range"],
            "description": "range: `first..last`, for granularity=total and for a partial quarter or year at "
            "either end of the request",
        },
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
    "required": ["from", "to", "granularity", "total", "limit", "offset", "next_cursor", "next", "suppression", "rows"],
    "properties": {
        "from": {"type": "string"},
        "to": {"type": "string"},
        "granularity": {"type": "string", "enum": list(GRANULARITIES)},
        "total": {"type": "integer", "minimum": 0, "description": "Rows in the whole result (all pages)."},
        "limit": {"type": "integer", "minimum": 1, "description": "The page size used."},
        "offset": {"type": "integer", "minimum": 0, "description": "Rows before this page."},
        "next_cursor": {
            "type": ["string", "null"],
            "description": "Pass as `cursor` for the next page; null on the last.",
        },
        "next": {"type": ["string", "null"], "description": 'The next page\'s URL (also in `Link: rel="next"`).'},
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

INDICATORS = {
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
}

ROOMS = {
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
}
