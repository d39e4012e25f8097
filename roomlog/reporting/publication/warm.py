"""Read what the first municipality or national page needs before a worker serves it. No Flask.

A fresh worker's first page otherwise pays for reading and building the stored cells of
the latest month, the same month last year, since opening, the year and the trend charts.
Stored versions never change, so reading them ahead (at worker start) is always safe.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from roomlog.reporting.charts import CHARTS
from roomlog.reporting.periods import Period
from roomlog.reporting.publication.read import latest_published_month, reader_rooms, since_opening, table, tables
from roomlog.reporting.publication.store import CellCache
from roomlog.reporting.publication.units import NATIONAL, Unit, municipalities
from roomlog.reporting.trends import chart_months
from roomlog.reporting.windows import Window, last_year, month_window, total_label, year_window


def default_windows(latest: dt.date) -> list[Window]:
    """The periods the pages open on: the latest published month, and its year (to date)."""
    if latest.month == 12:
        year = year_window(latest.year)
    else:
        to_date = Period(latest.replace(month=1), latest)
        year = Window(total_label(to_date), to_date)
    return [month_window(latest), year]


def warm(session: Session, cache: CellCache, threshold: int) -> int:
    """Fill ``cache`` with what the default municipality and national pages read; return the periods read."""
    latest = latest_published_month(session)
    if latest is None:
        return 0
    rooms = reader_rooms(session)
    count = 0
    for window in default_windows(latest):
        for one in (window, last_year(window)):
            table(session, one, rooms, threshold, cache=cache)
            count += 1
        table(session, since_opening(session, window), rooms, threshold, cache=cache, partial=True)
        count += 1
    codes = [code for code, _title in CHARTS]
    units: list[Unit] = [NATIONAL, *(("municipality", code) for code in municipalities(rooms))]
    months: set[dt.date] = set()
    for unit in units:
        months.update(chart_months(session, rooms, unit, latest))
    tables(session, [month_window(m) for m in sorted(months)], rooms, threshold, codes, cache)
    return count + len(months)
