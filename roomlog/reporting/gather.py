"""Read the exact numbers of a period for every room (through the indicator engine) and protect them.

The disclosure pattern must not depend on who asks, so a period's table is computed for
every room in the country, with the request's tenant scope lifted for the duration of the
read (:func:`unscoped`). Only protected cells ever leave this module, and callers cut them
down to the reader's scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g, has_request_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.models import Municipality, Room
from roomlog.reporting import compute
from roomlog.reporting.engine import first_data_month
from roomlog.reporting.periods import Period
from roomlog.reporting.published import PeriodValues, PublishedPeriod, RoomInfo, protect_period
from roomlog.reporting.windows import Window, parts_of, total_label


@contextmanager
def unscoped() -> Iterator[None]:
    """Lift the request's room scope while the full table is read (it is protected before use)."""
    if not has_request_context():
        yield
        return
    saved = g.get("scope_room_ids")
    g.scope_room_ids = None
    try:
        yield
    finally:
        g.scope_room_ids = saved


def all_rooms(session: Session) -> list[RoomInfo]:
    """Every room, ordered by municipality code and name."""
    with unscoped():
        rows = session.execute(
            select(Room, Municipality.name).join(Municipality).order_by(Room.municipality_code, Room.name)
        ).all()
    return [RoomInfo(r.id, r.name, r.municipality_code, name, r.opened_on) for r, name in rows]


def period_values(session: Session, rooms: list[RoomInfo], window: Window) -> PeriodValues:
    """Exact values of one period: per room, per municipality (distinct counts recounted), national."""
    ids = [room.id for room in rooms]
    report = compute(session, ids, window.period)
    per_room = {rid: dict(report.per_room[rid].items()) for rid in ids} if ids else {}
    by_municipality: dict[str, list[int]] = {}
    for room in rooms:
        by_municipality.setdefault(room.municipality_code, []).append(room.id)
    per_municipality = {
        code: per_room[members[0]]
        if len(members) == 1
        else dict(compute(session, members, window.period).combined.items())
        for code, members in by_municipality.items()
    }
    opened = {room.id: room.opened_on.replace(day=1) for room in rooms if room.opened_on}
    provisional = frozenset(
        m.room_id for m in report.months if m.provisional and (m.room_id not in opened or m.month >= opened[m.room_id])
    )
    return PeriodValues(window.label, per_room, per_municipality, dict(report.combined.items()), provisional)


def publish(session: Session, window: Window, cache: dict[str, PublishedPeriod] | None = None) -> PublishedPeriod:
    """The protected table of one period, consistent with the tables of its parts (cached per request).

    A quarter is protected with its months as published, a year with its quarters, a range
    with its calendar blocks, so that no hidden cell follows from subtracting periods.
    """
    if cache is None:
        cache = g.setdefault("published_periods", {}) if has_request_context() else {}
    if window.label not in cache:
        parts = [publish(session, part, cache) for part in parts_of(window)]
        with unscoped():
            rooms = all_rooms(session)
            data = period_values(session, rooms, window)
        threshold = int(current_app.config["SUPPRESSION_THRESHOLD"])
        cache[window.label] = protect_period(data, rooms, threshold, parts)
    return cache[window.label]


def first_month(session: Session, rooms: list[RoomInfo]) -> Period | None:
    """The first month of data in the country: the earliest opening or imported history month."""
    with unscoped():
        earliest = first_data_month(session, [room.id for room in rooms])
    candidates = [d.replace(day=1) for d in [earliest, *(room.opened_on for room in rooms)] if d is not None]
    if not candidates:
        return None
    first = min(candidates)
    return Period(first, first)


def since_opening_window(session: Session, rooms: list[RoomInfo], period: Period) -> Window:
    """Since the first room opened (history included) to the end of ``period``."""
    start = first_month(session, rooms)
    first = min(start.first, period.first) if start else period.first
    whole = Period(first, period.last)
    return Window(total_label(whole), whole)
