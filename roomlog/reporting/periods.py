"""Report periods: a month, a quarter, a year, year to date, since opening, or any month range.

A period is a run of whole calendar months of service days (Europe/Copenhagen), given by
the first day of its first and of its last month. Pure functions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from roomlog.calendar import add_months, format_month, iter_months, month_end, month_start, parse_month


@dataclass(frozen=True, order=True)
class Period:
    """Whole months from ``first`` to ``last`` (both the first day of a month), inclusive."""

    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.first.day != 1 or self.last.day != 1:
            raise ValueError("a period is given by the first days of its months")
        if self.last < self.first:
            raise ValueError("a period cannot end before it starts")

    @property
    def first_day(self) -> dt.date:
        """Return the first service day of the period."""
        return self.first

    @property
    def last_day(self) -> dt.date:
        """Return the last service day of the period."""
        return month_end(self.last)

    @property
    def months(self) -> tuple[dt.date, ...]:
        """Return the first day of every month in the period."""
        return tuple(iter_months(self.first, self.last))

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.first_day <= day <= self.last_day

    def label(self) -> str:
        """Return ``YYYY-MM`` or ``YYYY-MM–YYYY-MM``."""
        if self.first == self.last:
            return format_month(self.first)
        return f"{format_month(self.first)}–{format_month(self.last)}"


def month(value: dt.date | str) -> Period:
    """Return the period of one month (a date in it, or ``YYYY-MM``)."""
    first = parse_month(value) if isinstance(value, str) else month_start(value)
    return Period(first, first)


def quarter(year: int, number: int) -> Period:
    """Return quarter ``number`` (1–4) of ``year``."""
    if not 1 <= number <= 4:
        raise ValueError("a quarter is numbered 1 to 4")
    first = dt.date(year, 3 * number - 2, 1)
    return Period(first, add_months(first, 2))


def year(value: int) -> Period:
    """Return the calendar year ``value``."""
    return Period(dt.date(value, 1, 1), dt.date(value, 12, 1))


def span(first: dt.date | str, last: dt.date | str) -> Period:
    """Return the months from ``first`` to ``last`` (dates or ``YYYY-MM``)."""
    start = parse_month(first) if isinstance(first, str) else month_start(first)
    end = parse_month(last) if isinstance(last, str) else month_start(last)
    return Period(start, end)


def previous_month(period: Period) -> Period:
    """Return the month before a one-month period."""
    return month(add_months(period.first, -1))


def same_period_last_year(period: Period) -> Period:
    """Return the same months one year earlier."""
    return Period(add_months(period.first, -12), add_months(period.last, -12))


def year_to_date(period: Period) -> Period:
    """Return January to the last month of ``period`` in that year."""
    return Period(dt.date(period.last.year, 1, 1), period.last)


def since_opening(opened_on: dt.date | None, period: Period, earliest: dt.date | None = None) -> Period:
    """Return the months from the room's opening (or ``earliest`` data, if sooner) to ``period``'s end."""
    candidates = [d for d in (opened_on, earliest) if d is not None]
    first = month_start(min(candidates)) if candidates else period.first
    return Period(min(first, period.first), period.last)
