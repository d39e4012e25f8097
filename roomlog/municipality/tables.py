"""What the municipality and national pages and their downloads share: periods, stored tables, files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Response, current_app, flash, request
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from roomlog.extensions import publication_cells
from roomlog.reporting.charts import Trends, trends
from roomlog.reporting.exports import csv_text, definitions_version, generated_at, xlsx_bytes
from roomlog.reporting.indicators import CODES
from roomlog.reporting.periods import Period
from roomlog.reporting.publication import Cell, RoomInfo, Table, reader_rooms, since_opening, table, visible_cells
from roomlog.reporting.publication.read import latest_published_month
from roomlog.reporting.publication.units import Unit
from roomlog.reporting.trends import read_series
from roomlog.reporting.windows import (
    Window,
    WindowError,
    last_year,
    month_window,
    parse_label,
    total_label,
    year_window,
)
from roomlog.services.periods import today_local
from roomlog.services.service_days import add_months


@dataclass(frozen=True)
class Tables:
    """The chosen period, the same period last year and since opening, all read from the store."""

    window: Window
    rooms: tuple[RoomInfo, ...]
    now: Table
    before: Table
    since: Table


def chosen_window(session: Session, default: str) -> Window:
    """The ``period`` query parameter, or the default: the latest published month (``month``), or
    (``year``) the year of that month — the whole year once December is published, else the year
    to date, so that the page opens on figures and not on a year that cannot be published yet."""
    today = today_local().replace(day=1)
    latest = latest_published_month(session) or add_months(today, -1)
    if default == "month":
        fallback = month_window(latest)
    elif latest.month == 12:
        fallback = year_window(latest.year)
    else:
        to_date = Period(latest.replace(month=1), latest)
        fallback = Window(total_label(to_date), to_date)
    text = request.args.get("period")
    if not text:
        return fallback
    try:
        return parse_label(text)
    except WindowError:
        flash(_("The period must be a year (2022), a quarter (2022-Q1) or a month (2022-03) from 1990 on."), "error")
        return fallback


def tables(session: Session, window: Window) -> Tables:
    """Read the three tables a page needs from the publication store."""
    threshold = int(current_app.config["SUPPRESSION_THRESHOLD"])
    rooms = tuple(reader_rooms(session))
    cache = publication_cells()
    return Tables(
        window,
        rooms,
        table(session, window, rooms, threshold, cache=cache),
        table(session, last_year(window), rooms, threshold, cache=cache),
        table(session, since_opening(session, window), rooms, threshold, cache=cache),
    )


def trend_charts(
    session: Session, rooms: Sequence[RoomInfo], unit: Unit, title: str, last: dt.date, lang: str
) -> Trends:
    """The trend charts of ``unit`` up to ``last`` from the store, through the app's cell cache."""
    threshold = int(current_app.config["SUPPRESSION_THRESHOLD"])
    series = read_series(session, rooms, unit, title, last, threshold=threshold, cache=publication_cells(), lang=lang)
    return trends(series, lang)


def visible(t: Tables, municipality: str | None, national: bool) -> list[Cell]:
    """Every cell of the three tables the reader may see, in the API's order."""
    cells: list[Cell] = []
    for one in (t.now, t.before, t.since):
        cells += visible_cells(one, t.rooms, CODES, municipality=municipality, national=national)
    return cells


def download(t: Tables, fmt: str, municipality: str | None, national: bool, name: str) -> Response:
    """The page's numbers as CSV (Danish: ``;`` and decimal comma) or XLSX."""
    cells = visible(t, municipality, national)
    threshold = int(current_app.config["SUPPRESSION_THRESHOLD"])
    headers = {"Content-Disposition": f'attachment; filename="{name}-{t.window.label}.{fmt}"'}
    if fmt == "csv":
        return Response("\ufeff" + csv_text(cells, danish=True), mimetype="text/csv", headers=headers)
    meta = {
        "Periode": t.window.label,
        "Samme periode sidste år": t.before.label,
        "Siden åbning": t.since.label,
        "Kommune": municipality or "alle",
        "Definitioner": definitions_version(),
        "Dannet": generated_at(),
        "Revideret": "ja" if t.now.revised else "nej",
    }
    body = xlsx_bytes(cells, threshold, meta)
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", headers=headers)
