"""Exact values of the cells of calendar periods for every room, municipality and the nation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence

from roomlog.reporting.indicators import BY_CODE, Kind
from roomlog.reporting.periods import Period
from roomlog.reporting.publication.units import DISTINCT, NATIONAL, Key, RoomInfo, Unit, municipalities, window_of

RoomMonth = tuple[int, dt.date]
Distinct = Callable[[Collection[int], Period], Mapping[str, int]]
COUNTS = tuple(c for c in BY_CODE if BY_CODE[c].kind != Kind.RATE)
#: The distinct counts in the indicators' order (``DISTINCT`` is a set: its order changes from process to process).
DISTINCT_COUNTS = tuple(c for c in COUNTS if c in DISTINCT)


def applicable(rooms: Sequence[RoomInfo], label: str) -> list[RoomInfo]:
    """The rooms open in at least one month of the period."""
    period = window_of(label).period
    return [r for r in rooms if r.open_in(period.first, period.last)]


def units_of(rooms: Sequence[RoomInfo], label: str) -> list[tuple[Unit, list[RoomInfo]]]:
    """Every unit with a cell in the period, with its rooms (rooms, municipalities, the nation)."""
    open_rooms = applicable(rooms, label)
    if not open_rooms:
        return []
    out: list[tuple[Unit, list[RoomInfo]]] = [(r.unit, [r]) for r in open_rooms]
    out += [(("municipality", code), members) for code, members in municipalities(open_rooms).items()]
    out.append((NATIONAL, open_rooms))
    return out


def period_values(
    label: str,
    rooms: Sequence[RoomInfo],
    by_month: Mapping[RoomMonth, Mapping[str, int | None]],
    history_months: set[RoomMonth],
    distinct: Distinct,
) -> dict[Key, int | None]:
    """Exact counts of every cell of one period (``None``: unknown).

    Additive indicators are summed over the open room-months; distinct counts of one
    room-month come from its snapshot, otherwise they are recounted over the whole period
    and rooms (unknown when a history or unknown month is among them).
    """
    period = window_of(label).period
    out: dict[Key, int | None] = {}
    for unit, members in units_of(rooms, label):
        room_months = [
            (r.id, m) for r in members for m in period.months if r.first_month is not None and m >= r.first_month
        ]
        parts = [by_month[rm] for rm in room_months]
        for code in COUNTS:
            if code in DISTINCT:
                continue
            values = [p.get(code) for p in parts]
            known = [v for v in values if v is not None]
            out[(label, unit, code)] = sum(known) if len(known) == len(values) else None
        if len(room_months) == 1:
            found: Mapping[str, int | None] = {c: parts[0].get(c) for c in DISTINCT_COUNTS}
        elif any(
            rm in history_months or p.get("visits.total") is None for rm, p in zip(room_months, parts, strict=True)
        ):
            found = dict.fromkeys(DISTINCT_COUNTS)
        else:
            found = distinct([r.id for r in members], period)
        for code in DISTINCT_COUNTS:
            out[(label, unit, code)] = found.get(code)
    return out
