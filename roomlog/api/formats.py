"""The API's file bodies: ``format=`` or ``Accept`` chooses CSV/XLSX, written by the shared long-format writer."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from flask import Response
from sqlalchemy.orm import Session
from werkzeug.datastructures import MIMEAccept, MultiDict

from roomlog.messages import C_, pick
from roomlog.reporting.datapackage import descriptor
from roomlog.reporting.exports import DANISH, DIALECTS, XLSX, Dialect, csv_bytes, generated_at, metadata, xlsx_bytes
from roomlog.reporting.publication import Cell, reader_rooms
from roomlog.reporting.tidy import Figure, figures, official_names
from roomlog.reporting.windows import Window, WindowError

MEDIA = {"application/json": "json", "text/csv": "csv", XLSX: "xlsx"}
FILE = "roomlog-aggregates"


def negotiated(args: MultiDict[str, str], accept: MIMEAccept) -> str:
    """``format=`` when given, else the media type the ``Accept`` header prefers (JSON on a tie)."""
    if "format" in args:
        return args["format"]
    best = max(MEDIA, key=lambda media: accept[media])  # the first (JSON) wins a tie, as with */*
    return MEDIA[best] if accept[best] > 0 else "json"


def dialect_of(args: MultiDict[str, str]) -> Dialect:
    """``dialect=danish|international`` (Danish when absent) or :class:`WindowError` naming it."""
    found = DIALECTS.get(args.get("dialect", "danish"))
    if found is None:
        raise WindowError("dialect", "'dialect' must be danish or international")
    return found


def api_figures(session: Session, cells: Sequence[Cell], windows: Sequence[Window]) -> list[Figure]:
    """The API's cells in the long format (every figure plays the role of its period)."""
    names = official_names(tuple(reader_rooms(session)))
    by_period: dict[str, list[Cell]] = {w.label: [] for w in windows}
    for cell in cells:
        by_period[cell.period].append(cell)
    out: list[Figure] = []
    for window in windows:
        out += figures(by_period[window.label], window, "period", names)
    return out


def _name(d: Dialect) -> str:
    return FILE if d is DANISH else f"{FILE}-international"


def file_response(
    session: Session,
    fmt: str,
    d: Dialect,
    cells: Sequence[Cell],
    windows: Sequence[Window],
    *,
    period: str,
    granularity: str,
    threshold: int,
) -> Response:
    """The aggregates as a CSV or XLSX download in dialect ``d``."""
    rows = api_figures(session, cells, windows)
    disposition = {"Content-Disposition": f'attachment; filename="{_name(d)}.{fmt}"'}
    if fmt == "csv":
        return Response(csv_bytes(rows, d), mimetype="text/csv", headers=disposition)
    notes = [(pick(d.english, C_("download metadata", "granularity")), granularity)]
    meta = metadata(d, period=period, threshold=threshold, version="senest offentliggjorte" if not d.english
                    else "latest published", generated=generated_at(), notes=notes)  # fmt: skip
    return Response(xlsx_bytes(rows, meta, d), mimetype=XLSX, headers=disposition)


def datapackage_response(d: Dialect) -> Response:
    """The data package descriptor of the API's CSV and XLSX in dialect ``d``."""
    body = descriptor("roomlog aggregates (API)", f"{_name(d)}.csv", f"{_name(d)}.xlsx", d, generated_at())
    return Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype="application/json")


#: OpenAPI: the ``dialect`` parameter of the file formats.
DIALECT_PARAMETER = {
    "name": "dialect",
    "in": "query",
    "schema": {"type": "string", "enum": list(DIALECTS), "default": "danish"},
    "description": "CSV/XLSX only. danish: `;`, decimal comma, UTF-8 BOM, Danish headers and labels; "
    "international: `,`, decimal point, no BOM, English headers and labels. Ignored for JSON.",
}
#: OpenAPI: the file bodies of ``/aggregates``, chosen by ``format`` or by ``Accept``.
FILE_CONTENT = {
    "text/csv": {
        "schema": {"type": "string"},
        "description": "One row per figure (long format); see /aggregates.datapackage.json for the Table Schema.",
    },
    XLSX: {"schema": {"type": "string", "contentEncoding": "binary"}},
}
#: OpenAPI: the path of the data package descriptor.
DATAPACKAGE_PATH: dict[str, Any] = {
    "get": {
        "operationId": "aggregatesDatapackage",
        "summary": "Frictionless data package descriptor (Table Schema) of the aggregates as CSV/XLSX",
        "parameters": [DIALECT_PARAMETER],
        "responses": {"200": {"description": "A tabular data package descriptor.",
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    }
}  # fmt: skip
