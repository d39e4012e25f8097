"""Parse and check the query of ``GET /api/v1/aggregates``; errors name the parameter."""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from roomlog.reporting.indicators import BY_CODE
from roomlog.reporting.windows import Window, WindowError, parse_bound, windows

FORMATS = ("json", "csv", "xlsx")
COMMON = frozenset({"lang"})
KNOWN: dict[str, frozenset[str]] = {
    "api.indicators": COMMON,
    "api.rooms": COMMON,
    "api.aggregates": COMMON | {"from", "to", "granularity", "indicator", "room", "format", "dialect"},
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
    found = windows(granularity, first, last)
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
