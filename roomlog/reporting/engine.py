"""The one entry point that reads the database: run the queries, then assemble (pure).

Closed room-months (an approved or accepted snapshot with its stored visitor sets) are read
from what was stored; only the other months read events, so the cost of a report depends on
its open months, not on how many years of history lie behind it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence

from pyroaring import FrozenBitMap
from sqlalchemy.orm import Session

from roomlog.calendar import add_months, month_end, month_start
from roomlog.reporting import queries
from roomlog.reporting.combine import APPROVED_STATES, Grouped, Report, assemble, assemble_grouped
from roomlog.reporting.periods import Period
from roomlog.reporting.summary import EventRows, RoomMonth, Values
from roomlog.reporting.visitor_sets import EMPTY, MonthSets, build, deserialize

#: Before any room could have opened: the start of "everything before" in first-visit look-ups.
BEGINNING = dt.date(1900, 1, 1)


def event_rows(
    session: Session, room_ids: Collection[int], period: Period, *, with_first_visits: bool = True
) -> EventRows:
    """Run every event query for the rooms and the period's service days."""
    args = (session, tuple(room_ids), period.first_day, period.last_day)
    return EventRows(
        visits=tuple(queries.visits(*args)),
        days=tuple(queries.opening_days(*args)),
        consumptions=tuple(queries.consumptions(*args)),
        substances=tuple(queries.substances(*args)),
        emergencies=tuple(queries.emergencies(*args)),
        actions=tuple(queries.actions(*args)),
        referrals=tuple(queries.referrals(*args)),
        services=tuple(queries.services(*args)),
        visitors=tuple(queries.visitors(*args)),
        first_visits=tuple(queries.first_visits(*args)) if with_first_visits else (),
    )


def _runs(months: Iterable[dt.date]) -> list[Period]:
    """Group months into runs of consecutive months."""
    runs: list[Period] = []
    for month in sorted(set(months)):
        if runs and add_months(runs[-1].last, 1) == month:
            runs[-1] = Period(runs[-1].first, month)
        else:
            runs.append(Period(month, month))
    return runs


def _rows_of(session: Session, rooms: tuple[int, ...], runs: Sequence[Period]) -> EventRows:
    """Event rows of several runs of months, concatenated (first visits are looked up apart)."""
    parts = [event_rows(session, rooms, run, with_first_visits=False) for run in runs]
    names = ("visits", "days", "consumptions", "substances", "emergencies", "actions", "referrals", "services")
    return EventRows(
        **{name: tuple(row for part in parts for row in getattr(part, name)) for name in names},
        visitors=tuple(row for part in parts for row in part.visitors),
    )


class _Sets:
    """Stored visitor sets of the rooms, and who was first seen when (for months built from events)."""

    def __init__(self, stored: Iterable[queries.VisitorSetRow]) -> None:
        self.full: dict[RoomMonth, MonthSets] = {}
        self.first_seen: dict[RoomMonth, FrozenBitMap] = {}
        for row in stored:
            key = (row.room_id, row.month)
            if row.visitors is not None and row.groups is not None:
                self.full[key] = deserialize(row.visitors, row.first_seen, row.groups)
                self.first_seen[key] = self.full[key].first_seen
            else:
                self.first_seen[key] = FrozenBitMap.deserialize(row.first_seen)

    def unstored(self, rooms: Collection[int], last: dt.date) -> list[tuple[dt.date, dt.date]]:
        """Day ranges up to ``last`` (a month) where some room has no stored set."""
        months = {m for (r, m) in self.first_seen if r in rooms}
        covered = [m for m in sorted(months) if all((r, m) in self.first_seen for r in rooms) and m <= last]
        ranges, start = [], BEGINNING
        for month in covered:
            if month > start:
                ranges.append((start, month - dt.timedelta(days=1)))
            start = add_months(month, 1)
        if start <= last:
            ranges.append((start, month_end(last)))
        return ranges

    def first_days(
        self, visitors: Iterable[queries.VisitorRow], looked_up: Iterable[queries.FirstVisitRow]
    ) -> dict[tuple[int, int], dt.date]:
        """First admitted visit day per (room, visitor): stored first-seen months and event look-ups."""
        days = {(row.room_id, row.visitor_id): row.first_day for row in looked_up}
        ids: dict[int, set[int]] = {}
        for v in visitors:
            ids.setdefault(v.room_id, set()).add(v.visitor_id)
        wanted = {room_id: FrozenBitMap(found) for room_id, found in ids.items()}
        for (room_id, month), seen in self.first_seen.items():
            if room_id in wanted:
                for visitor_id in seen & wanted[room_id]:
                    days[(room_id, visitor_id)] = min(month, days.get((room_id, visitor_id), month))
        return days

    def earlier(
        self, rooms: Collection[int], period: Period, looked_up: Iterable[queries.FirstVisitRow]
    ) -> FrozenBitMap:
        """Ids seen in any of ``rooms`` before ``period``."""
        stored = [b for (r, m), b in self.first_seen.items() if r in rooms and m < period.first]
        events = [f.visitor_id for f in looked_up if f.room_id in rooms and f.first_day < period.first_day]
        return FrozenBitMap.union(FrozenBitMap(events), *stored)


def compute_many(
    session: Session, room_ids: Collection[int], wanted: Sequence[Period], *, live: bool = False
) -> list[Report]:
    """Compute several periods (e.g. a month, its year to date and since opening) with one set of queries.

    Closed room-months come from their snapshot and stored visitor sets; events are read only
    for the other months of the smallest span holding every period, in runs of months.
    """
    rooms = tuple(sorted(set(room_ids)))
    if not rooms or not wanted:
        return [assemble(period, (), EventRows()) for period in wanted]
    span = Period(min(p.first for p in wanted), max(p.last for p in wanted))
    if live:
        rows = event_rows(session, rooms, span)
        return [assemble(period, rooms, rows) for period in wanted]
    snapshots = queries.snapshots(session, rooms, span.first, span.last)
    history = queries.history(session, rooms, span.first, span.last)
    statuses = queries.statuses(session, rooms, span.first, span.last)
    yearly = queries.yearly_history(session, rooms, span.first, span.last)
    sets = _Sets(queries.visitor_sets(session, rooms, span.first, span.last))
    with_snapshot = {(v.room_id, v.month) for v in snapshots}
    closed = {
        (s.room_id, s.month)
        for s in statuses
        if s.state in APPROVED_STATES and (s.room_id, s.month) in with_snapshot and (s.room_id, s.month) in sets.full
    }
    rows = _rows_of(session, rooms, _runs(m for r in rooms for m in span.months if (r, m) not in closed))
    looked_up: list[queries.FirstVisitRow] = []
    if rows.visitors or len(rooms) > 1:
        looked_up = queries.first_days(session, rooms, sets.unstored(rooms, span.last))
    built = build(rows.visitors, sets.first_days(rows.visitors, looked_up))
    month_sets = {**built, **{key: sets.full[key] for key in closed}}
    grouped = Grouped.of(rows, snapshots, history, yearly)  # once for every period
    return [
        assemble_grouped(
            period,
            rooms,
            rows,
            grouped,
            statuses,
            sets=month_sets,
            earlier=sets.earlier(rooms, period, looked_up) if len(rooms) > 1 else EMPTY,
        )
        for period in wanted
    ]


def compute(session: Session, room_ids: Collection[int], period: Period, *, live: bool = False) -> Report:
    """Compute every indicator for ``room_ids`` over ``period``, per room and combined.

    Approved and accepted months are read from their snapshot, months without events from
    imported history, the rest from events. ``live=True`` ignores snapshots and history
    (what approval stores as the snapshot).
    """
    return compute_many(session, room_ids, [period], live=live)[0]


def month_snapshot(session: Session, room_id: int, month: dt.date) -> tuple[Values, MonthSets]:
    """Compute one room-month from its events: every indicator and its visitor sets (what approval stores)."""
    period = Period(month, month)
    rows = event_rows(session, (room_id,), period)
    values = assemble(period, (room_id,), rows).per_room[room_id]
    first_days = {(f.room_id, f.visitor_id): f.first_day for f in rows.first_visits}
    return values, build(rows.visitors, first_days).get((room_id, month), MonthSets())


def first_known_month(session: Session, room_id: int, first_visit_day: dt.date | None) -> dt.date | None:
    """Return the first month roomlog has figures for in a room: imported history or a recorded visit.

    ``None``: neither. ``first_visit_day`` is the room's ``queries.first_visit_day``, read once by
    the caller for its other uses (the monthly page's comparisons).
    """
    found = [d for d in (queries.first_history_month(session, (room_id,)), first_visit_day) if d is not None]
    return month_start(min(found)) if found else None
