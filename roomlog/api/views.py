"""``/api/v1/``: indicators, rooms in scope, disclosure-controlled aggregates, the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request, session
from sqlalchemy import select

from roomlog.api.auth import rate_limit_key, require_token
from roomlog.api.errors import api_error, api_language, bad_parameter
from roomlog.api.formats import datapackage_response, dialect_of, file_response, negotiated
from roomlog.api.openapi import openapi_document
from roomlog.api.params import AggregateQuery, check_known, parse_query
from roomlog.auth.access import public
from roomlog.extensions import csrf, db, limiter, publication_cells
from roomlog.models import Room
from roomlog.reporting.exports import suppression_note
from roomlog.reporting.indicators import INDICATORS
from roomlog.reporting.publication import Cell, reader_rooms, tables, visible_cells
from roomlog.reporting.publication.coverage import span
from roomlog.reporting.windows import WindowError

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, never cookies: there is no session to forge requests with
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key)(bp)


@bp.before_request
def authenticate() -> tuple[Response, int] | None:
    """Every endpoint but the OpenAPI document needs a valid bearer token."""
    if request.endpoint != "api.openapi":
        refused = require_token()
        if refused is not None:
            return refused
    try:
        check_known(request.endpoint, request.args)
    except WindowError as exc:
        return bad_parameter(exc.parameter, str(exc))
    return None


@bp.after_request
def no_cookies(response: Response) -> Response:
    """Never answer with a session cookie, even if the caller sent one."""
    session.modified = False
    if request.endpoint == "api.aggregates":
        response.vary.add("Accept")  # the Accept header chooses JSON, CSV or XLSX
    return response


NO_ROOM = ("no such room in your scope", "intet sådant rum i dit område")


@bp.get("/indicators")
@public
def indicators() -> Response:
    """List every indicator with its labels (``label`` in the request's language), definition and whether it adds up."""
    lang = api_language()
    return jsonify(
        indicators=[
            {
                "code": i.code,
                "label_da": i.label_da,
                "label_en": i.label_en,
                "label": i.label_da if lang == "da" else i.label_en,
                "definition": i.definition_da,
                "additive": i.additive,
            }
            for i in INDICATORS
        ]
    )


@bp.get("/rooms")
@public
def rooms() -> Response:
    """List the rooms this token may see."""
    stmt = select(Room).order_by(Room.municipality_code, Room.name)
    if not g.api_national:
        stmt = stmt.where(Room.municipality_code == g.api_municipality)
    return jsonify(
        rooms=[
            {
                "id": r.id,
                "name": r.name,
                "municipality_code": r.municipality_code,
                "municipality_name": r.municipality.name,
                "opened": r.opened_on.isoformat() if r.opened_on else None,
                "permit_status": r.permit_status.value,
            }
            for r in db.session.scalars(stmt)
        ]
    )


def _cells(query: AggregateQuery, threshold: int) -> list[Cell]:
    rooms_info = reader_rooms(db.session)
    out: list[Cell] = []
    for stored in tables(db.session, query.windows, rooms_info, threshold, query.indicators, publication_cells()):
        out.extend(
            visible_cells(
                stored,
                rooms_info,
                query.indicators,
                municipality=g.api_municipality,
                national=g.api_national,
                room_id=query.room_id,
            )
        )
    return out


@bp.get("/aggregates")
@public
def aggregates() -> Response | tuple[Response, int]:
    """Aggregates per room, municipality (and nation) for each period, in long format."""
    try:
        query = parse_query(request.args, negotiated(request.args, request.accept_mimetypes))
        chosen = dialect_of(request.args)
    except WindowError as exc:
        return bad_parameter(exc.parameter, str(exc))
    if query.room_id is not None and (g.scope_room_ids is not None and query.room_id not in g.scope_room_ids):
        return api_error(404, NO_ROOM, "room")
    if query.room_id is not None and db.session.get(Room, query.room_id) is None:
        return api_error(404, NO_ROOM, "room")
    threshold = int(current_app.config["SUPPRESSION_THRESHOLD"])
    cells = _cells(query, threshold)
    if query.format in ("csv", "xlsx"):
        period = f"{query.first}..{query.last}"
        return file_response(db.session, query.format, chosen, cells, query.windows, period=period,
                             granularity=query.granularity, threshold=threshold)  # fmt: skip
    return jsonify(
        {
            "from": query.first,
            "to": query.last,
            "granularity": query.granularity,
            "suppression": {
                "threshold": threshold,
                "symbol": "..",
                "note": suppression_note(threshold),
                "cells": [_hidden(c) for c in cells if c.suppressed],
            },
            "rows": [_row(c) for c in cells],
        }
    )


@bp.get("/aggregates.datapackage.json")
@public
def aggregates_datapackage() -> Response | tuple[Response, int]:
    """The Frictionless data package descriptor of the aggregates as CSV/XLSX (``dialect``)."""
    try:
        return datapackage_response(dialect_of(request.args))
    except WindowError as exc:
        return bad_parameter(exc.parameter, str(exc))


def _value(cell: Cell) -> int | float | None:
    if cell.value is None:
        return None
    return int(cell.value) if isinstance(cell.value, int) else float(cell.value)


def _row(cell: Cell) -> dict[str, object]:
    return {
        "municipality_code": cell.municipality_code,
        "room_id": cell.room_id,
        "room": cell.room,
        "period": cell.period,
        "indicator": cell.indicator,
        "value": _value(cell),
        "suppressed": cell.suppressed,
        "status": cell.status,
        "revised": cell.revised,
        "coverage": _coverage(cell),
        "missing": cell.missing,
    }


def _coverage(cell: Cell) -> dict[str, str] | None:
    """The months a shown (or hidden) figure covers; ``None`` when there is no figure (see ``missing``)."""
    if cell.missing is not None:
        return None
    first, last = span(cell.period)
    return {"from": first, "to": last}


def _hidden(cell: Cell) -> dict[str, object]:
    return {
        "municipality_code": cell.municipality_code,
        "room_id": cell.room_id,
        "period": cell.period,
        "indicator": cell.indicator,
    }


@bp.get("/openapi.json")
@public
def openapi() -> Response:
    """The OpenAPI 3.1 document of this API."""
    return jsonify(openapi_document())
