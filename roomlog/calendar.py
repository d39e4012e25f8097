"""Calendar arithmetic: service days and months in Europe/Copenhagen local time. Pure functions.

The one neutral module below services and reporting (no Flask, no SQLAlchemy, no roomlog
imports): everything that turns instants into service days and walks months lives here.

A room open 06:00–05:00 counts night activity on the day it started: an event before the
room's cut-off belongs to the previous service day. Months and years are made of service
days, so daylight-saving nights need no special case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def today_local() -> dt.date:
    """Return today's date in Europe/Copenhagen."""
    return dt.datetime.now(COPENHAGEN).date()


def service_day_of(moment: dt.datetime, cutoff: dt.time, tz: dt.tzinfo = COPENHAGEN) -> dt.date:
    """Return the service day an aware ``moment`` belongs to under ``cutoff``."""
    if moment.tzinfo is None:
        raise ValueError("service_day_of needs an aware datetime")
    local = moment.astimezone(tz)
    if local.time() < cutoff:
        return local.date() - dt.timedelta(days=1)
    return local.date()


def service_day_start(day: dt.date, cutoff: dt.time, tz: dt.tzinfo = COPENHAGEN) -> dt.datetime:
    """Return the aware UTC instant a service day begins."""
    return dt.datetime.combine(day, cutoff, tzinfo=tz).astimezone(dt.UTC)


def month_start(day: dt.date) -> dt.date:
    """Return the first day of the month of ``day``."""
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    """Return the first day of the month after ``month``."""
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    """Return the first day of the month ``count`` months after (or before) ``month``."""
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    """Return the last day of the month of ``month``."""
    return next_month(month) - dt.timedelta(days=1)


def months_between(first: dt.date, last: dt.date) -> int:
    """Return how many months run from the month of ``first`` to the month of ``last``, both included."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def quarter_start(day: dt.date) -> dt.date:
    """Return the first day of the calendar quarter of ``day``."""
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def iter_months(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """Yield the first day of every month from ``first`` to ``last`` inclusive."""
    month = month_start(first)
    while month <= last:
        yield month
        month = add_months(month, 1)


#: Months outside these years are not months of a room's life; refusing them keeps month
#: arithmetic (the month after 9999-12) from overflowing.
FIRST_YEAR, LAST_YEAR = 1900, 2100


def parse_month(text: str) -> dt.date:
    """Parse ``YYYY-MM`` into the first day of that month, raising ``ValueError`` if malformed or absurd."""
    if len(text) != 7 or text[4] != "-" or not (text[:4] + text[5:]).isdigit():
        raise ValueError(f"not a month in the form YYYY-MM: {text!r}")
    year, month = int(text[:4]), int(text[5:])
    if not 1 <= month <= 12 or not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"not a month in the form YYYY-MM: {text!r}")
    return dt.date(year, month, 1)


def format_month(month: dt.date) -> str:
    """Return ``YYYY-MM`` for a month."""
    return f"{month.year:04d}-{month.month:02d}"


def month_of_key(key: str) -> dt.date:
    """Return the first day of the month a trusted ``YYYY-MM…`` key starts with (a label or a database key)."""
    return dt.date(int(key[:4]), int(key[5:7]), 1)
