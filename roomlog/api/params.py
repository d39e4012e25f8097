"""Parse and check the query of ``GET /api/v1/aggregates``; errors name the parameter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from roomlog.calendar import add_months
from roomlog.reporting.indicators import BY_CODE
from roomlog.reporting.periods import Period
from roomlog.reporting.windows import Window, WindowError, parse_bound, quarter_label, total_label

FORMATS = ("json", "csv", "xlsx")
GRANULARITIES = ("month", "quarter", "year", "total")
COMMON = frozenset({"lang"})
PAGED = frozenset({"limit", "cursor"})
KNOWN: dict[str, frozenset[str]] = {
    "api.indicators": COMMON,
    "api.rooms": COMMON,
    "api.aggregates": COMMON | PAGED | {"from", "to", "granularity", "indicator", "room", "format", "dialect"},
    "api.aggregates_datapackage": COMMON | {"dialect"},
    "api.funding": COMMON | {"year"},
    "api.openapi": COMMON,
}
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class AggregateQuery:
    """A checked aggregate request."""

    first: str
    last: str
    granularity: str
    windows: tuple[Window, ...]
    indicators: tuple[str, ...]
    room_id: int | None
    format: str


def check_known(endpoint: str | None, args: MultiDict[str, str]) -> None:
    """Raise :class:`WindowError` naming the first parameter the endpoint does not know, or a bad ``lang``."""
    known = KNOWN.get(endpoint or "", COMMON)
    for name in args:
        if name not in known:
            raise WindowError(name[:80], f"unknown parameter '{name[:80]}'; this URL takes: {', '.join(sorted(known))}")
    if args.get("lang", "da") not in ("da", "en"):
        raise WindowError("lang", "'lang' must be da or en")


def parse_query(args: MultiDict[str, str], negotiated: str | None = None) -> AggregateQuery:
    """Return the checked request or raise :class:`WindowError` naming the bad parameter (``negotiated``:
    the format the ``Accept`` header chose when ``format`` is absent)."""
    first = parse_bound("from", args.get("from"))
    last = parse_bound("to", args.get("to"))
    granularity = args.get("granularity", "month")
    found = api_windows(granularity, first, last)
    codes = args.getlist("indicator")
    for code in codes:
        if code not in BY_CODE:
            raise WindowError("indicator", f"unknown 'indicator' {code[:80]!r}; see /api/v1/indicators")
    room_text = args.get("room")
    room_id = None
    if room_text is not None:
        if not room_text.isascii() or not room_text.isdigit() or len(room_text) > 12:
            raise WindowError("room", "'room' must be a room id (a whole number); see /api/v1/rooms")
        room_id = min(int(room_text), MAX_ID)  # larger ids do not exist (and do not fit the column)
    fmt = args.get("format", negotiated or "json")
    if fmt not in FORMATS:
        raise WindowError("format", f"'format' must be one of {', '.join(FORMATS)}")
    ordered = tuple(dict.fromkeys(codes)) or tuple(BY_CODE)
    return AggregateQuery(args["from"], args["to"], granularity, tuple(found), ordered, room_id, fmt)


def api_windows(granularity: str, first: dt.date, last: dt.date) -> list[Window]:
    """The periods of ``first``..``last``; a partial quarter or year at either end is a range (``a..b``).

    Every rule is one the OpenAPI document states per parameter: ``to`` before ``from`` selects
    no period (an empty page), and a partial quarter or year is served as a range, not refused.
    """
    if granularity not in GRANULARITIES:
        raise WindowError("granularity", f"'granularity' must be one of {', '.join(GRANULARITIES)}")
    if last < first:
        return []
    if granularity == "total":
        return [_range(first, last)]
    step = {"month": 1, "quarter": 3, "year": 12}[granularity]
    out: list[Window] = []
    start = first
    while start <= last:
        aligned = add_months(start, -((start.month - 1) % step))
        end = add_months(aligned, step - 1)
        if aligned != start or end > last:
            out.append(_range(start, min(end, last)))
        else:
            out.append(Window(_label(granularity, start), Period(start, end)))
        start = add_months(end, 1)
    return out


def _label(granularity: str, start: dt.date) -> str:
    if granularity == "month":
        return f"{start.year:04d}-{start.month:02d}"
    return quarter_label(start) if granularity == "quarter" else str(start.year)


def _range(first: dt.date, last: dt.date) -> Window:
    whole = Period(first, last)
    return Window(total_label(whole), whole)
