"""The periods of an aggregate request: months, quarters, years or one total. Pure functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from roomlog.calendar import add_months, format_month, months_between, parse_month, quarter_start
from roomlog.reporting.periods import Period

GRANULARITIES = ("month", "quarter", "year", "total")
#: More periods than this in one request is refused (ask for a coarser granularity).
MAX_PERIODS = 120
#: The first and last years a request may name (Denmark's first room opened in 2012).
EARLIEST = dt.date(1990, 1, 1)
LATEST_YEAR = 2099


class WindowError(ValueError):
    """A request parameter is wrong; ``parameter`` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True)
class Window:
    """A labelled period: ``2022``, ``2022-Q1``, ``2022-03`` or ``2012-01..2022-12``."""

    label: str
    period: Period


def month_label(month: dt.date) -> str:
    """``2022-03``."""
    return format_month(month)


def quarter_label(month: dt.date) -> str:
    """``2022-Q1`` for any month of the quarter."""
    return f"{month.year}-Q{(month.month - 1) // 3 + 1}"


def total_label(period: Period) -> str:
    """``2012-01..2022-12``."""
    return f"{format_month(period.first)}..{format_month(period.last)}"


def parse_bound(parameter: str, text: str | None) -> dt.date:
    """Parse ``from``/``to`` (``YYYY-MM``) or raise :class:`WindowError` naming the parameter."""
    if not text:
        raise WindowError(parameter, f"'{parameter}' is required, as YYYY-MM")
    try:
        month = parse_month(text)
    except ValueError:
        raise WindowError(parameter, f"'{parameter}' must be a month as YYYY-MM, got {text[:20]!r}") from None
    if not EARLIEST.year <= month.year <= LATEST_YEAR:
        raise WindowError(parameter, f"'{parameter}' must be a month from {EARLIEST.year} to {LATEST_YEAR}")
    return month


def windows(granularity: str, first: dt.date, last: dt.date) -> list[Window]:
    """Split ``first``..``last`` (first days of months) into labelled periods, checking alignment."""
    if granularity not in GRANULARITIES:
        raise WindowError("granularity", f"'granularity' must be one of {', '.join(GRANULARITIES)}")
    if last < first:
        raise WindowError("to", "'to' must not be before 'from'")
    if granularity == "total":
        whole = Period(first, last)
        return [Window(total_label(whole), whole)]
    step = {"month": 1, "quarter": 3, "year": 12}[granularity]
    if granularity == "quarter" and ((first.month - 1) % 3 or last.month % 3):
        bad = "from" if (first.month - 1) % 3 else "to"
        raise WindowError(bad, f"with granularity=quarter, '{bad}' must be the {bad_word(bad)} month of a quarter")
    if granularity == "year" and (first.month != 1 or last.month != 12):
        bad = "from" if first.month != 1 else "to"
        raise WindowError(bad, f"with granularity=year, '{bad}' must be {'January' if bad == 'from' else 'December'}")
    count = months_between(first, last) // step
    if count > MAX_PERIODS:
        raise WindowError("granularity", f"at most {MAX_PERIODS} periods per request; use a coarser granularity")
    out = []
    label_of: dict[str, Callable[[dt.date], str]] = {
        "month": month_label,
        "quarter": quarter_label,
        "year": lambda m: str(m.year),
    }
    for n in range(count):
        start = add_months(first, n * step)
        period = Period(start, add_months(start, step - 1))
        label = label_of[granularity](start)
        out.append(Window(label, period))
    return out


def bad_word(parameter: str) -> str:
    """``first`` for from, ``last`` for to."""
    return "first" if parameter == "from" else "last"


def kind_of(window: Window) -> str:
    """``month``, ``quarter``, ``year`` or ``total``, from the label."""
    if ".." in window.label:
        return "total"
    if "-Q" in window.label:
        return "quarter"
    return "month" if "-" in window.label else "year"


def month_window(month: dt.date) -> Window:
    """The window of one month."""
    return Window(month_label(month), Period(month, month))


def quarter_window(month: dt.date) -> Window:
    """The calendar quarter that starts with ``month``."""
    return Window(quarter_label(month), Period(month, add_months(month, 2)))


def year_window(year: int) -> Window:
    """A calendar year."""
    return Window(str(year), Period(dt.date(year, 1, 1), dt.date(year, 12, 1)))


def parent_of(window: Window) -> Window | None:
    """The calendar period a month or quarter is published under (its quarter, its year)."""
    kind = kind_of(window)
    first = window.period.first
    if kind == "month":
        return quarter_window(quarter_start(first))
    if kind == "quarter":
        return year_window(first.year)
    return None


def parse_label(text: str) -> Window:
    """Parse ``2022``, ``2022-Q1`` or ``2022-03`` into its window, raising :class:`WindowError`."""
    text = (text or "").strip()
    try:
        if len(text) == 4 and text.isdigit():
            window = year_window(int(text))
        elif len(text) == 7 and text[:4].isdigit() and text[4:6] == "-Q" and text[6] in "1234":
            window = quarter_window(dt.date(int(text[:4]), 3 * int(text[6]) - 2, 1))
        else:
            window = month_window(parse_month(text))
    except ValueError:
        raise WindowError(
            "period", "the period must be a year (2022), a quarter (2022-Q1) or a month (2022-03)"
        ) from None
    if not EARLIEST.year <= window.period.first.year <= LATEST_YEAR:
        raise WindowError("period", f"the period must lie between {EARLIEST.year} and {LATEST_YEAR}")
    return window


def through_last_quarter(window: Window) -> Window | None:
    """A range cut back to the end of its last whole quarter (``2026-01..2026-10`` → ``2026-01..2026-09``).

    The year to date ends with the latest published month, and a month is often a small count for a room: the
    range through it is then ``..`` whatever the protection does (consecutive figures differ by that month). The
    range through the last whole quarter is a sum of published quarters, so it can be shown where the year to date
    cannot. ``None`` for a calendar period, a range that ends with a quarter, or one that holds no whole quarter.
    """
    if kind_of(window) != "total" or window.period.last.month % 3 == 0:
        return None
    first, end = window.period.first, add_months(quarter_start(window.period.last), -1)
    whole_from = first if (first.month - 1) % 3 == 0 else add_months(quarter_start(first), 3)
    if add_months(whole_from, 2) > end:
        return None
    period = Period(first, end)
    return Window(total_label(period), period)


def last_year(window: Window) -> Window:
    """The same period one year earlier."""
    kind = kind_of(window)
    first = add_months(window.period.first, -12)
    if kind == "year":
        return year_window(first.year)
    if kind == "quarter":
        return quarter_window(first)
    if kind == "month":
        return month_window(first)
    whole = Period(first, add_months(window.period.last, -12))
    return Window(total_label(whole), whole)
