"""Which room-months are closed, and their exact values (from snapshots and history only)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roomlog.calendar import next_month
from roomlog.models import EVENT_MODELS, MonthlyAggregate, MonthlyHistory, Municipality, PeriodStatus, Room, RoomEvent
from roomlog.reporting import queries
from roomlog.reporting.indicators import BY_CODE, DISTINCT_CODES, Kind
from roomlog.reporting.periods import Period
from roomlog.reporting.publication.status import room_month_state
from roomlog.reporting.publication.units import RoomInfo
from roomlog.reporting.summary import distinct_values

log = logging.getLogger(__name__)
RoomMonth = tuple[int, dt.date]
#: A stored value beyond this is not believed (nor is a negative one): the cell is unknown.
ABSURD = 10**9
CLOSED = frozenset({"approved", "accepted", "locked", "history"})


def _date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def room_infos(session: Session) -> list[RoomInfo]:
    """Every room by municipality code and name, with the first month it is open.

    That is its opening month, or an earlier month with history; a room without an opening
    date is open from its first history or event month.
    """
    rows = session.execute(
        select(Room, Municipality.name).join(Municipality).order_by(Room.municipality_code, Room.name, Room.id)
    ).all()
    out = []
    for room, name in rows:
        found = [room.opened_on.replace(day=1)] if room.opened_on else []
        # A room with an opening date is open from then (or from earlier history); events are only
        # searched for a room without one.
        models: tuple[type[MonthlyHistory | RoomEvent], ...] = (MonthlyHistory,)
        if not found:
            models += EVENT_MODELS
        for model in models:
            column = model.month if issubclass(model, MonthlyHistory) else model.service_day
            stmt = select(column).where(model.room_id == room.id)
            if found:
                stmt = stmt.where(column < found[0])
            first = session.scalar(stmt.order_by(column).limit(1))
            if first is not None:
                found.append(_date(first).replace(day=1))
        out.append(RoomInfo(room.id, room.name, room.municipality_code, name, min(found) if found else None))
    return out


def room_month_states(
    session: Session, rooms: Collection[RoomInfo], first: dt.date, last: dt.date, today: dt.date, lock_after_days: int
) -> dict[RoomMonth, str]:
    """``approved``, ``accepted``, ``history``, ``locked``, ``open`` or ``not_applicable`` per room-month."""
    ids = tuple(r.id for r in rooms)
    status = {
        (s.room_id, s.month): s for s in session.scalars(select(PeriodStatus).where(PeriodStatus.room_id.in_(ids)))
    }
    found = session.execute(select(MonthlyHistory.room_id, MonthlyHistory.month).distinct())
    history = {(r, _date(m)) for r, m in found}
    out: dict[RoomMonth, str] = {}
    for room in rooms:
        month = first
        while month <= last:
            out[(room.id, month)] = _state(room, month, status.get((room.id, month)), history, today, lock_after_days)
            month = next_month(month)
    return out


def _state(
    room: RoomInfo, month: dt.date, row: PeriodStatus | None, history: set[RoomMonth], today: dt.date, days: int
) -> str:
    if room.first_month is None or month < room.first_month:
        return "not_applicable"
    return room_month_state(row, (room.id, month) in history, month, today, days)


def _number(code: str, value: Decimal | int | None, where: tuple[int, dt.date]) -> int | None:
    """A stored value as a count, or ``None`` (logged) when it cannot be true."""
    if value is None:
        return None
    if value < 0 or value > ABSURD or value != int(value):
        log.warning(
            "publication: implausible stored value ignored",
            extra={"room_id": where[0], "month": where[1].isoformat(), "indicator": code},
        )
        return None
    return int(value)


def month_values(
    session: Session,
    rooms: Collection[RoomInfo],
    months: Collection[dt.date],
    states: Mapping[RoomMonth, str] | None = None,
) -> dict[RoomMonth, dict[str, int | None]]:
    """Exact counts of the closed room-months: the snapshot, else the history, else unknown.

    Unknown is not zero: a room-month with neither a snapshot (approval, or a locked month
    with events) nor history is unknown (``None``) for every code, unless ``states`` says
    a lead approved or the municipality accepted it. A code missing from a history month is
    unknown too; so is a stored value that is negative or absurd.
    """
    if not months:
        return {}
    ids = tuple(r.id for r in rooms)
    first, last = min(months), max(months)
    wanted = set(months)
    stored: dict[str, dict[RoomMonth, dict[str, Decimal]]] = {"snapshot": {}, "history": {}}
    for name, rows in (
        ("snapshot", queries.snapshots(session, ids, first, last)),
        ("history", queries.history(session, ids, first, last)),
    ):
        for row in rows:
            if row.month in wanted and row.indicator in BY_CODE:
                stored[name].setdefault((row.room_id, row.month), {})[row.indicator] = row.value
    out: dict[RoomMonth, dict[str, int | None]] = {}
    counts = [c for c in BY_CODE if BY_CODE[c].kind != Kind.RATE]
    for room in rooms:
        for month in wanted:
            key = (room.id, month)
            if key in stored["snapshot"]:
                source, default = stored["snapshot"][key], 0
            elif key in stored["history"]:
                source, default = stored["history"][key], None
            else:
                confirmed = states is not None and states.get(key) in ("approved", "accepted")
                source, default = {}, (0 if confirmed else None)
            values: dict[str, int | None] = {}
            for code in counts:
                raw = source.get(code)
                if raw is None:
                    values[code] = None if (default is None or (code in DISTINCT_CODES and source)) else default
                else:
                    values[code] = _number(code, raw, key)
            out[key] = values
    return out


@dataclass
class VisitorRows:
    """The visitor rows of a span of months for a set of rooms, read once and reused for every sub-period."""

    span: Period
    room_ids: frozenset[int]
    visitors: list[queries.VisitorRow]
    first_visits: list[queries.FirstVisitRow]


def read_visitor_rows(session: Session, room_ids: Collection[int], span: Period) -> VisitorRows:
    """Read the visitor rows of ``span`` once (the input :func:`distinct_values_for` recounts from)."""
    args = (session, tuple(room_ids), span.first_day, span.last_day)
    return VisitorRows(span, frozenset(room_ids), queries.visitors(*args), queries.first_visits(*args))


def distinct_values_for(
    session: Session, room_ids: Collection[int], period: Period, rows: VisitorRows | None = None
) -> dict[str, int]:
    """Distinct-visitor counts over several rooms or months, recounted from the visits.

    The one place to swap for stored per room-month visitor sets. ``rows`` read once for a
    span holding ``period`` and ``room_ids`` avoid a query per call.
    """
    covered = rows is not None and rows.span.first <= period.first and period.last <= rows.span.last
    if rows is None or not covered or not set(room_ids) <= rows.room_ids:
        rows = read_visitor_rows(session, room_ids, period)
    return distinct_values(rows.visitors, rows.first_visits, room_ids, period)


def source_marks(session: Session) -> dict[dt.date, str]:
    """Per month: what its published values were read from (changes when a snapshot or history changes)."""
    marks: dict[dt.date, list[str]] = {}
    for model, stamp, tag in (
        (MonthlyAggregate, MonthlyAggregate.created_at, "a"),
        (MonthlyHistory, MonthlyHistory.imported_at, "h"),
    ):
        stmt = select(model.month, func.max(model.id), func.count(), func.max(stamp)).group_by(model.month)
        for month, top, count, at in session.execute(stmt):
            digest = hashlib.sha256(f"{top}:{count}:{at}".encode()).hexdigest()[:16]
            marks.setdefault(_date(month), []).append(f"{tag}{digest}")
    return {month: "|".join(sorted(parts)) for month, parts in marks.items()}
