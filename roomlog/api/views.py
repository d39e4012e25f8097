"""``/api/v1/``: indicators, rooms in scope, disclosure-controlled aggregates, the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request, session
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from roomlog.api.caching import compress, etag_for, not_modified, publication_state, validated
from roomlog.api.errors import api_error, api_language, bad_parameter
from roomlog.api.formats import datapackage_response, dialect_of, file_response, negotiated
from roomlog.api.jsonbody import json_response
from roomlog.api.openapi import openapi_document
from roomlog.api.paging import CursorGone, Page, next_cursor, next_url, parse_page, query_key
from roomlog.api.params import AggregateQuery, check_known, parse_query
from roomlog.api.ratelimit import budget, cost, not_a_following_page, page_budget
from roomlog.auth.access import public
from roomlog.auth.tokens import CHALLENGE, rate_limit_key, require_token
from roomlog.extensions import csrf, db, limiter, publication_cells
from roomlog.messages import N_, Message
from roomlog.models import Room
from roomlog.reporting.exports import XLSX, suppression_note
from roomlog.reporting.indicators import INDICATORS
from roomlog.reporting.publication import Cell, reader_rooms, tables, visible_cells
from roomlog.reporting.publication.coverage import span
from roomlog.reporting.publication.units import RoomInfo, kind_of_label
from roomlog.reporting.windows import WindowError

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, never cookies: there is no session to forge requests with
# One budget per token (per address without a valid token) shared by every endpoint of the API; a page that
# follows a cursor costs nothing from it the first time, and counts on a larger budget of pages (api/ratelimit.py).
# Declared first, the token's budget is the one the X-RateLimit headers show while neither is reached.
limiter.shared_limit(budget, scope="api", key_func=rate_limit_key, cost=cost)(bp)
limiter.shared_limit(page_budget, scope="api-pages", key_func=rate_limit_key, exempt_when=not_a_following_page)(bp)


@bp.before_request
def authenticate() -> tuple[Response, int] | None:
    """Every endpoint but the OpenAPI document needs a valid bearer token."""
    if request.endpoint != "api.openapi":
        refused = require_token()
        if refused is not None:
            return api_error(401, refused, headers=[CHALLENGE])
    try:
        check_known(request.endpoint, request.args)
    except WindowError as exc:
        return bad_parameter(exc.parameter, str(exc))
    return None


@bp.after_request
def no_cookies(response: Response) -> Response:
    """Never answer with a session cookie, even if the caller sent one; gzip JSON and CSV when accepted."""
    session.modified = False
    if request.endpoint == "api.aggregates":
        response.vary.add("Accept")  # the Accept header chooses JSON, CSV or XLSX
    return compress(response)


GONE = Message(
    N_("the publication changed since this cursor was made; start again from the first page (without 'cursor')")
)


def _scope() -> str:
    return "national" if g.api_national else f"municipality:{g.api_municipality}"


NO_ROOM = Message(N_("no such room in your scope"))
NO_PAGE = Message(N_("no page answers this cursor; start without 'cursor' or repeat the request it came from"))


@bp.get("/indicators")
@public
def indicators() -> Response:
    """List every indicator with its labels (``label`` in the request's language), definition and whether it adds up."""
    lang = api_language()
    return _conditional_json(
        lang,
        lambda: {
            "indicators": [
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
        },
    )


@bp.get("/rooms")
@public
def rooms() -> Response:
    """List the rooms this token may see."""
    stmt = select(Room).options(joinedload(Room.municipality)).order_by(Room.municipality_code, Room.name)
    if not g.api_national:
        stmt = stmt.where(Room.municipality_code == g.api_municipality)
    return _conditional_json(
        _scope(),
        lambda: {
            "rooms": [
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
        },
    )


def _conditional_json(variant: str, body: Callable[[], dict[str, Any]]) -> Response:
    """Answer 304 when the caller holds this publication state's answer; else ``body()`` as JSON with its ETag."""
    state = publication_state(db.session)
    etag = etag_for(state, variant)
    unchanged = not_modified(etag, state, "application/json")
    if unchanged is not None:
        return unchanged
    return validated(jsonify(**body()), etag, state)


def _per_window(query: AggregateQuery, rooms_info: list[RoomInfo]) -> int:
    """Rows per period: every period has one row per visible unit and indicator."""

    class _Count:
        def cell(self, unit: object, code: str) -> None:
            return None

    return len(visible_cells(
        _Count(),  # type: ignore[arg-type]  # a stand-in Table: visible_cells only calls .cell(); only the count is used
        rooms_info, query.indicators, municipality=g.api_municipality, national=g.api_national, room_id=query.room_id,
    ))  # fmt: skip


def _cells(query: AggregateQuery, threshold: int, page: Page, per: int, rooms_info: list[RoomInfo]) -> list[Cell]:
    """The rows of one page, reading only the periods it touches."""
    if per == 0:
        return []
    first, last = page.offset // per, -(-(page.offset + page.limit) // per)
    out: list[Cell] = []
    chosen = query.windows[first:last]
    for stored in tables(db.session, chosen, rooms_info, threshold, query.indicators, publication_cells()):
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
    skip = page.offset - first * per
    return out[skip : skip + page.limit]


MIMETYPES = {"json": "application/json", "csv": "text/csv"}


@bp.get("/aggregates")
@public
def aggregates() -> Response | tuple[Response, int]:
    """Aggregates per room, municipality (and nation) for each period, in long format, one page at a time."""
    try:
        query = parse_query(request.args, negotiated(request.args, request.accept_mimetypes))
        chosen = dialect_of(request.args)
    except WindowError as exc:
        return bad_parameter(exc.parameter, str(exc))
    if query.room_id is not None and (g.scope_room_ids is not None and query.room_id not in g.scope_room_ids):
        return api_error(404, NO_ROOM, "room")
    if query.room_id is not None and db.session.get(Room, query.room_id) is None:
        return api_error(404, NO_ROOM, "room")
    state = publication_state(db.session)
    secret = str(current_app.config["SECRET_KEY"])
    try:
        page = parse_page(request.args, query.format, query_key(request.args, _scope()), state.version, secret)
    except WindowError as exc:
        if exc.parameter == "cursor":  # no page answers to a cursor the API did not give out for this query
            return api_error(404, str(exc) if api_language() == "en" else NO_PAGE, "cursor")
        return bad_parameter(exc.parameter, str(exc))
    except CursorGone:
        return api_error(410, GONE, "cursor")
    threshold = int(current_app.config["SUPPRESSION_THRESHOLD"])
    etag = etag_for(state, _scope(), api_language(), threshold)
    unchanged = not_modified(etag, state, MIMETYPES.get(query.format, XLSX))
    if unchanged is not None:
        return unchanged
    rooms_info = reader_rooms(db.session)
    per = _per_window(query, rooms_info)
    total = per * len(query.windows)
    cells = _cells(query, threshold, page, per, rooms_info)
    cursor = next_cursor(page, total, secret)
    link = next_url(request.script_root + request.path, request.args, cursor)
    headers = {"X-Total-Count": str(total)}
    if link is not None:
        headers["Link"] = f'<{link}>; rel="next"'
    if query.format in ("csv", "xlsx"):
        response = file_response(db.session, query.format, chosen, cells, query.windows,
                                 period=f"{query.first}..{query.last}", granularity=query.granularity,
                                 threshold=threshold)  # fmt: skip
        response.headers.extend(headers)
    else:
        response = json_response(
            {
                "from": query.first,
                "to": query.last,
                "granularity": query.granularity,
                "total": total,
                "limit": page.limit,
                "offset": page.offset,
                "next_cursor": cursor,
                "next": link,
                "suppression": {
                    "threshold": threshold,
                    "symbol": "..",
                    "note": suppression_note(threshold),
                    "cells": [_hidden(c) for c in cells if c.suppressed],
                },
                "rows": _rows(cells),
            }
        )
        response.headers.extend(headers)
    return validated(response, etag, state)


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


def _rows(cells: Sequence[Cell]) -> list[dict[str, object]]:
    """The JSON rows of a page; ``coverage`` is the months a shown (or hidden) figure covers, ``None``
    when there is no figure (see ``missing``)."""
    out: list[dict[str, object]] = []
    for cell in cells:
        kind, first, last = _period_fields(cell.period)
        missing = cell.missing
        out.append(
            {
                "municipality_code": cell.municipality_code,
                "room_id": cell.room_id,
                "room": cell.room,
                "period": cell.period,
                "period_kind": kind,
                "indicator": cell.indicator,
                "value": _value(cell),
                "suppressed": cell.suppressed,
                "status": cell.status,
                "revised": cell.revised,
                "coverage": None if missing is not None else {"from": first, "to": last},
                "missing": missing,
            }
        )
    return out


@lru_cache(maxsize=4096)
def _period_fields(label: str) -> tuple[str, str, str]:
    """A period's ``period_kind`` and the first and last month it covers (the same for every row of it)."""
    first, last = span(label)
    return period_kind(label), first, last


def period_kind(label: str) -> str:
    """``month``, ``quarter``, ``year`` or ``range`` (``2022-03..2022-12``: a partial or a whole span)."""
    return "range" if ".." in label else kind_of_label(label)


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
