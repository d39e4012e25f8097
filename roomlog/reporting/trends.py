"""The months of the trend charts, read in one go from the stored, protected publication.

Pure apart from reading: every month is a stored calendar table (``read.tables`` reads them
in one query and the app's cell cache keeps them), so a chart adds no query per month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from roomlog.messages import translate
from roomlog.reporting.charts import CHARTS, Point, Series
from roomlog.reporting.periods import Period
from roomlog.reporting.publication import RoomInfo, Unit, tables
from roomlog.reporting.publication.read import published_months
from roomlog.reporting.publication.store import CellCache
from roomlog.reporting.windows import month_window

#: How many calendar years a chart shows at most.
YEARS = 5


def chart_months(session: Session, rooms: Sequence[RoomInfo], unit: Unit, last: dt.date) -> list[dt.date]:
    """The months of a chart ending with ``last`` (or the latest published month before it).

    A chart starts in January :data:`YEARS` − 1 years before the newest published year, so that
    every recent period shows the same months (and reads them once, through the cell cache); a
    period that ends more than two years before that newest year gets the :data:`YEARS` calendar
    years up to it. Never before the first published month nor before the unit's first room opened.
    """
    members = [r for r in rooms if _in_unit(r, unit)]
    if not members:  # a municipality without rooms has no cells
        return []
    published = published_months(session)
    if published is None:
        return []
    first_pub, newest = published
    end = min(last, newest)
    recent = end.year >= newest.year - 2
    start = dt.date((newest if recent else end).year - YEARS + 1, 1, 1)
    mine = [r.first_month for r in members if r.first_month is not None]
    start = max([start, first_pub, *([min(mine)] if mine else [])])
    return [] if start > end else list(Period(start, end).months)


def _in_unit(room: RoomInfo, unit: Unit) -> bool:
    return (
        unit[0] == "national" or (unit[0] == "municipality" and room.municipality_code == unit[1]) or room.unit == unit
    )


def read_series(
    session: Session,
    rooms: Sequence[RoomInfo],
    unit: Unit,
    title: str,
    last: dt.date,
    *,
    threshold: int,
    cache: CellCache | None,
    lang: str,
) -> list[Series]:
    """One series per chart indicator for ``unit`` (named ``title``), month by month up to ``last``."""
    months = chart_months(session, rooms, unit, last)
    if not months:
        return []
    codes = [code for code, _title in CHARTS]
    read = tables(session, [month_window(m) for m in months], rooms, threshold, codes, cache)
    return [
        Series(
            code,
            translate("en" if lang == "en" else "da", title_msgid),
            title,
            tuple(
                Point(m, t.cell(unit, code).value, t.cell(unit, code).suppressed)
                for m, t in zip(months, read, strict=True)
            ),
        )
        for code, title_msgid in CHARTS
    ]
