"""The one entry point that reads the database: run the queries, then assemble (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from sqlalchemy.orm import Session

from roomlog.reporting import queries
from roomlog.reporting.combine import Report, assemble
from roomlog.reporting.periods import Period
from roomlog.reporting.summary import EventRows


def event_rows(session: Session, room_ids: Collection[int], period: Period) -> EventRows:
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
        first_visits=tuple(queries.first_visits(*args)),
    )


def compute_many(
    session: Session, room_ids: Collection[int], wanted: Sequence[Period], *, live: bool = False
) -> list[Report]:
    """Compute several periods (e.g. a month, its year to date and last year) with one set of queries.

    The queries cover the smallest span holding every period; each report is assembled from
    those rows (distinct counts are still recounted per period).
    """
    rooms = tuple(sorted(set(room_ids)))
    if not rooms or not wanted:
        return [assemble(period, (), EventRows()) for period in wanted]
    span = Period(min(p.first for p in wanted), max(p.last for p in wanted))
    rows = event_rows(session, rooms, span)
    if live:
        return [assemble(period, rooms, rows) for period in wanted]
    snapshots = queries.snapshots(session, rooms, span.first, span.last)
    history = queries.history(session, rooms, span.first, span.last)
    statuses = queries.statuses(session, rooms, span.first, span.last)
    yearly = queries.yearly_history(session, rooms, span.first, span.last)
    return [assemble(period, rooms, rows, snapshots, history, statuses, yearly) for period in wanted]


def compute(session: Session, room_ids: Collection[int], period: Period, *, live: bool = False) -> Report:
    """Compute every indicator for ``room_ids`` over ``period``, per room and combined.

    Approved and accepted months are read from their snapshot, months without events from
    imported history, the rest from events. ``live=True`` ignores snapshots and history
    (what approval stores as the snapshot).
    """
    return compute_many(session, room_ids, [period], live=live)[0]


def first_data_month(session: Session, room_ids: Collection[int]) -> dt.date | None:
    """Return the first month with imported history for the rooms (for since-opening windows)."""
    return queries.earliest_history(session, tuple(room_ids))
