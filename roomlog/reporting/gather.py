"""Read the exact numbers of every room once per request and publish protected period tables.

The disclosure pattern must not depend on who asks, so a period's table is computed for
every room in the country, with the request's tenant scope lifted for the duration of the
read (:func:`unscoped`). Only protected cells leave this module; callers cut them down to
the reader's scope. The engine's grouped rows are fetched once for the whole data window
(:class:`Bank`) and every period is assembled from them with the engine's pure functions.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, g, has_request_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roomlog.models import (
    EVENT_MODELS,
    AuditEntry,
    MonthlyAggregate,
    MonthlyHistory,
    Municipality,
    PeriodStatus,
    Room,
)
from roomlog.reporting import queries
from roomlog.reporting.combine import assemble
from roomlog.reporting.engine import event_rows
from roomlog.reporting.periods import Period
from roomlog.reporting.published import PeriodValues, PublishedPeriod, RoomInfo, protect_period, protect_tables
from roomlog.reporting.summary import EventRows
from roomlog.reporting.windows import Window, kind_of, parent_of, parts_of, total_label
from roomlog.services.service_days import COPENHAGEN


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


@dataclass(frozen=True)
class Bank:
    """Every room and the engine's grouped rows for all months with data."""

    rooms: tuple[RoomInfo, ...]
    rows: EventRows
    snapshots: tuple[queries.ValueRow, ...]
    history: tuple[queries.ValueRow, ...]
    statuses: tuple[queries.StatusRow, ...]
    #: First and last month that can hold data; outside it every count is zero.
    data: Period
    #: The months the rows were read for.
    span: Period

    def values(self, window: Window) -> PeriodValues:
        """Exact values of one period: per room, per municipality (distinct counts recounted), national."""
        ids = [room.id for room in self.rooms]
        sources = (self.snapshots, self.history, self.statuses)
        report = assemble(window.period, ids, self.rows, *sources)
        per_room = {rid: dict(report.per_room[rid].items()) for rid in ids}
        members: dict[str, list[int]] = {}
        for room in self.rooms:
            members.setdefault(room.municipality_code, []).append(room.id)
        per_municipality = {
            code: per_room[ids_[0]]
            if len(ids_) == 1
            else dict(assemble(window.period, ids_, self.rows, *sources).combined.items())
            for code, ids_ in members.items()
        }
        opened = {room.id: room.opened_on.replace(day=1) for room in self.rooms if room.opened_on}
        provisional = frozenset(
            m.room_id
            for m in report.months
            if m.provisional and m.month >= opened.get(m.room_id, self.data.first) and m.month <= self.today
        )
        return PeriodValues(window.label, per_room, per_municipality, dict(report.combined.items()), provisional)

    @property
    def today(self) -> dt.date:
        return dt.datetime.now(COPENHAGEN).date().replace(day=1)


def all_rooms(session: Session) -> list[RoomInfo]:
    """Every room, ordered by municipality code and name."""
    with unscoped():
        rows = session.execute(
            select(Room, Municipality.name).join(Municipality).order_by(Room.municipality_code, Room.name)
        ).all()
    return [RoomInfo(r.id, r.name, r.municipality_code, name, r.opened_on) for r, name in rows]


def bank(session: Session, span: Period) -> Bank:
    """Read every room's rows for ``span`` (or more) once per request (kept on ``g``)."""
    held: Bank | None = g.get("aggregate_bank") if has_request_context() else None
    if held is not None and held.span.first <= span.first and span.last <= held.span.last:
        return held
    if held is not None:
        span = Period(min(span.first, held.span.first), max(span.last, held.span.last))
    with unscoped():
        rooms = tuple(all_rooms(session))
        ids = [room.id for room in rooms]
        history = tuple(queries.history(session, ids, span.first, span.last))
        rows = event_rows(session, ids, span) if ids else EventRows()
        snapshots = tuple(queries.snapshots(session, ids, span.first, span.last))
        statuses = tuple(queries.statuses(session, ids, span.first, span.last))
    today = dt.datetime.now(COPENHAGEN).date().replace(day=1)
    months = [r.month for r in history] + [m for _, m in rows.room_months()]
    months += [room.opened_on.replace(day=1) for room in rooms if room.opened_on]
    first = min(months, default=today)
    last = max([today, *months])
    result = Bank(rooms, rows, snapshots, history, statuses, Period(min(first, today), last), span)
    if has_request_context():
        g.aggregate_bank = result
    return result


_CACHE: dict[tuple[object, ...], PublishedPeriod] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_LIMIT = 5000


def fingerprint(session: Session) -> tuple[object, ...]:
    """What changes whenever a published number can: new rows, any audited change, approvals, the month."""
    with unscoped():
        parts: list[object] = [session.scalar(select(func.max(AuditEntry.id)))]
        for model in (*EVENT_MODELS, MonthlyHistory, MonthlyAggregate, Room):
            parts.append(session.scalar(select(func.max(model.id))))
        parts.append(session.scalar(select(func.max(PeriodStatus.updated_at))))
    parts.append(dt.datetime.now(COPENHAGEN).date().replace(day=1))
    parts.append(int(current_app.config["SUPPRESSION_THRESHOLD"]))
    # One app, one database: a test suite's many apps never share tables.
    parts.append(current_app.extensions.setdefault("roomlog_aggregate_cache_id", uuid.uuid4().hex))
    return tuple(parts)


def publish(session: Session, window: Window, cache: dict[str, PublishedPeriod] | None = None) -> PublishedPeriod:
    """The protected table of one period, consistent with every other period (cached).

    Calendar periods are protected top-down, as a ministry reads them: a year on its own,
    its four quarters together under the published year, a quarter's three months together
    under the published quarter — so a small month hides a second month, not the year. A
    range is the sum of its published calendar blocks (blocks outside the months with data
    are zero and left out). Tables are kept between requests until the data change.
    """
    if cache is None:
        cache = g.setdefault("published_periods", {}) if has_request_context() else {}
    if window.label in cache:
        return cache[window.label]
    if "aggregate_fingerprint" not in g:
        g.aggregate_fingerprint = fingerprint(session)
    with _CACHE_LOCK:
        found = _CACHE.get((g.aggregate_fingerprint, window.label))
    if found is None:
        for table in _protect(session, window, cache):
            with _CACHE_LOCK:
                if len(_CACHE) >= _CACHE_LIMIT:
                    _CACHE.clear()
                _CACHE[(g.aggregate_fingerprint, table.label)] = table
            cache[table.label] = table
        found = cache[window.label]
    cache[window.label] = found
    return found


def _protect(session: Session, window: Window, cache: dict[str, PublishedPeriod]) -> list[PublishedPeriod]:
    """Protect ``window`` with the tables it is published together with."""
    threshold = int(current_app.config["SUPPRESSION_THRESHOLD"])
    parent = parent_of(window)
    if parent is not None:
        whole = publish(session, parent, cache)
        siblings = parts_of(parent)
        data = bank(session, parent.period)
        new = [data.values(w) for w in siblings]
        return protect_tables(new, list(data.rooms), threshold, [whole], [(whole.label, [w.label for w in siblings])])
    data = bank(session, window.period)
    if kind_of(window) == "year":
        return [protect_period(data.values(window), list(data.rooms), threshold)]
    parts = [p for p in parts_of(window) if p.period.last >= data.data.first and p.period.first <= data.data.last]
    tables = [publish(session, part, cache) for part in parts]
    return [protect_period(data.values(window), list(data.rooms), threshold, tables)]


def first_data_month(session: Session) -> dt.date:
    """The first month that can hold data: the earliest opening, imported history or event."""
    with unscoped():
        candidates = [
            session.scalar(select(func.min(Room.opened_on))),
            session.scalar(select(func.min(MonthlyHistory.month))),
            *(session.scalar(select(func.min(model.service_day))) for model in EVENT_MODELS),
        ]
    months = [_as_date(c).replace(day=1) for c in candidates if c is not None]
    return min(months, default=dt.datetime.now(COPENHAGEN).date().replace(day=1))


def _as_date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def since_opening_window(session: Session, period: Period) -> Window:
    """From the first month with data in the country (openings, history) to the end of ``period``."""
    first = min(first_data_month(session), period.first)
    whole = Period(first, period.last)
    return Window(total_label(whole), whole)


def month_states(session: Session, window: Window, room_ids: list[int]) -> list[tuple[int, dt.date, str, bool]]:
    """``(room_id, month, state, provisional)`` of each room-month of the window (history = approved)."""
    data = bank(session, window.period)
    report = assemble(window.period, room_ids, data.rows, data.snapshots, data.history, data.statuses)
    return [(m.room_id, m.month, m.state, m.provisional) for m in report.months]
