"""What the aggregate pages (municipality, national), their downloads and the annual reports share: periods,
stored tables, trend charts, files."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Response, current_app, flash, request
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from roomlog.calendar import add_months, today_local
from roomlog.extensions import publication_cells
from roomlog.messages import C_, in_danish, pick
from roomlog.reporting.charts import Trends, trends
from roomlog.reporting.datapackage import descriptor
from roomlog.reporting.exports import DANISH, XLSX, Dialect, csv_bytes, dialect, generated_at, metadata, xlsx_bytes
from roomlog.reporting.indicators import CODES
from roomlog.reporting.periods import Period
from roomlog.reporting.publication import (
    Cell,
    RoomInfo,
    Table,
    reader_rooms,
    since_opening,
    store,
    table,
    visible_cells,
)
from roomlog.reporting.publication.read import latest_published_month
from roomlog.reporting.publication.units import Unit
from roomlog.reporting.tidy import Figure, figures, official_names
from roomlog.reporting.trends import read_series
from roomlog.reporting.windows import (
    Window,
    WindowError,
    last_year,
    month_window,
    parse_label,
    through_last_quarter,
    total_label,
    year_window,
)


@dataclass(frozen=True)
class Tables:
    """The chosen period, the same period last year and since opening, all read from the store."""

    window: Window
    rooms: tuple[RoomInfo, ...]
    now: Table
    before: Table
    since: Table
    #: A year to date that ends inside a quarter, through its last whole quarter, and since opening to then
    #: (:func:`~roomlog.reporting.windows.through_last_quarter`): shown beside the year to date, which a small month
    #: hides for a room. ``None`` for any other period.
    to_quarter: Table | None = None
    to_quarter_since: Table | None = None


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
    cut = through_last_quarter(window)
    to_quarter = to_quarter_since = None
    if cut is not None:
        to_quarter = table(session, cut, rooms, threshold, cache=cache)
        to_quarter_since = table(session, since_opening(session, cut), rooms, threshold, cache=cache, partial=True)
    return Tables(
        window,
        rooms,
        table(session, window, rooms, threshold, cache=cache),
        table(session, last_year(window), rooms, threshold, cache=cache),
        table(session, since_opening(session, window), rooms, threshold, cache=cache, partial=True),
        to_quarter,
        to_quarter_since,
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


def figures_of(t: Tables, municipality: str | None, national: bool) -> list[Figure]:
    """The page's figures in the long format: the period, the same period last year, since opening, and (a year to
    date inside a quarter) the period and since opening through the last whole quarter."""
    names = official_names(t.rooms)
    out: list[Figure] = []
    roles = [(t.now, "period"), (t.before, "last_year"), (t.since, "since_opening")]
    if t.to_quarter is not None and t.to_quarter_since is not None:
        roles += [(t.to_quarter, "to_last_quarter"), (t.to_quarter_since, "since_opening_to_last_quarter")]
    for one, role in roles:
        cells = visible_cells(one, t.rooms, CODES, municipality=municipality, national=national)
        out += figures(cells, one.window, role, names)
    return out


def stored_versions(session: Session, labels: Sequence[str]) -> str:
    """The stored versions periods are read from («2026-11 v2; 2025-11 v1»); a range by its blocks."""
    found = store.latest(session, list(dict.fromkeys(labels)), codes=())
    parts = [f"{label} v{found[label].version}" for label in dict.fromkeys(labels) if label in found]
    return "; ".join(parts) or in_danish(C_("download metadata", "not published"))


def version(session: Session, t: Tables) -> str:
    """The stored versions of the page's period and the same period last year."""
    return stored_versions(session, [*t.now.blocks, *t.before.blocks])


def _dialect() -> Dialect | Response:
    """``dialect=danish|international`` (Danish when absent), or a 400 answer in Danish."""
    try:
        return dialect(request.args.get("dialect"))
    except ValueError as exc:
        return Response(str(exc), status=400, mimetype="text/plain")


def _base(window: Window, name: str, d: Dialect) -> str:
    """The download's file name without extension («kommune-101-2026-11-international»)."""
    return f"{name}-{window.label.replace('..', '_')}{'' if d is DANISH else '-international'}"


def datapackage(window: Window, name: str) -> Response:
    """The Frictionless data package descriptor of the page's CSV and XLSX (``dialect`` as the download's)."""
    d = _dialect()
    if isinstance(d, Response):
        return d
    base = _base(window, name, d)
    body = descriptor(f"roomlog {name} {window.label}", f"{base}.csv", f"{base}.xlsx", d, generated_at())
    return Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype="application/json")


def download(session: Session, t: Tables, fmt: str, municipality: str | None, national: bool, name: str) -> Response:
    """The page's numbers as CSV or XLSX in the long format (``dialect=danish|international``)."""
    d = _dialect()
    if isinstance(d, Response):
        return d
    rows = figures_of(t, municipality, national)
    headers = {"Content-Disposition": f'attachment; filename="{_base(t.window, name, d)}.{fmt}"'}
    if fmt == "csv":
        return Response(csv_bytes(rows, d), mimetype="text/csv", headers=headers)
    threshold = int(current_app.config["SUPPRESSION_THRESHOLD"])
    yes, no = (pick(d.english, C_("download metadata", "yes")), pick(d.english, C_("download metadata", "no")))
    notes = [
        (pick(d.english, C_("download metadata", "same_period_last_year")), t.before.label),
        (pick(d.english, C_("download metadata", "since_opening")), t.since.label),
        *(
            [
                (pick(d.english, C_("download metadata", "to_last_quarter")), t.to_quarter.label),
                (pick(d.english, C_("download metadata", "since_opening_to_last_quarter")), t.to_quarter_since.label),
            ]
            if t.to_quarter is not None and t.to_quarter_since is not None
            else []
        ),
        (pick(d.english, C_("download metadata", "revised")), yes if t.now.revised else no),
    ]
    meta = metadata(
        d, period=t.window.label, threshold=threshold, version=version(session, t), generated=generated_at(),
        notes=notes,
    )  # fmt: skip
    return Response(xlsx_bytes(rows, meta, d), mimetype=XLSX, headers=headers)
