"""What the room board shows: places, waiting, after-care, open emergencies, today's counts.

Read side only: it turns query results into plain dataclasses the templates format.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.sql.base import ExecutableOption

from roomlog.models import Consumption, Emergency, Referral, Room, ServiceRecord, Visit
from roomlog.models.base import utcnow
from roomlog.models.codes import PlaceKind, VisitOutcome
from roomlog.models.events import RoomEvent
from roomlog.services.consumptions import active_consumptions, places
from roomlog.services.event_times import current_service_day


@dataclass(frozen=True)
class Place:
    kind: PlaceKind
    number: int
    consumption: Consumption | None
    minutes: int | None
    emergency: Emergency | None
    overdue: bool = False


@dataclass(frozen=True)
class Board:
    room: Room
    service_day: dt.date
    now: dt.datetime
    places: list[Place]
    waiting: list[Visit]
    aftercare: list[Visit]
    emergencies: list[Emergency]
    to_close: list[Visit]
    counts: dict[str, int] = field(default_factory=dict)


def _minutes(since: dt.datetime, now: dt.datetime) -> int:
    return max(0, int((now - since).total_seconds() // 60))


def _consumed(visit: Visit) -> bool:
    return any(not c.voided for c in visit.consumptions)


#: What the board asks of each open visit (had it a consumption, whom is it for), loaded with the visits: the
#: visitor in the same statement, the consumptions of all of them in one more, not one look-up per visit.
_BOARD_VISITS = (selectinload(Visit.consumptions), joinedload(Visit.visitor))
#: … and of each consumption in a place (whose visit, which substances).
_BOARD_CONSUMPTIONS = (joinedload(Consumption.visit).joinedload(Visit.visitor), selectinload(Consumption.substances))


def open_visits(session: Session, room: Room, *options: ExecutableOption) -> list[Visit]:
    """Return the admitted visits of the room that are not closed (loaded with ``options``)."""
    stmt = (
        select(Visit)
        .options(*options)
        .where(
            Visit.room_id == room.id,
            Visit.outcome == VisitOutcome.ADMITTED,
            Visit.left_at.is_(None),
            Visit.voided.is_(False),
        )
        .order_by(Visit.occurred_at)
    )
    return list(session.scalars(stmt))


def open_emergencies(session: Session, room: Room) -> list[Emergency]:
    """Return the emergencies of the room without an outcome."""
    stmt = (
        select(Emergency)
        .where(Emergency.room_id == room.id, Emergency.outcome.is_(None), Emergency.voided.is_(False))
        .order_by(Emergency.occurred_at)
    )
    return list(session.scalars(stmt))


def today_counts(session: Session, room: Room, day: dt.date) -> dict[str, int]:
    """Return today's counts of visits, turn-aways, consumptions, emergencies, referrals, services (one statement)."""

    def today(model: type[RoomEvent], *where: ColumnElement[bool]) -> tuple[ColumnElement[bool], ...]:
        return (model.room_id == room.id, model.service_day == day, model.voided.is_(False), *where)

    def count(model: type[RoomEvent], *where: ColumnElement[bool]) -> ScalarSelect[int]:
        return select(func.count()).select_from(model).where(*today(model, *where)).scalar_subquery()

    counts = {
        "visits": count(Visit, Visit.outcome == VisitOutcome.ADMITTED),
        "turned_away": count(Visit, Visit.outcome == VisitOutcome.TURNED_AWAY),
        "consumptions": count(Consumption),
        "emergencies": count(Emergency),
        "referrals": count(Referral),
        "services": select(func.coalesce(func.sum(ServiceRecord.quantity), 0))
        .where(*today(ServiceRecord))
        .scalar_subquery(),
    }
    row = session.execute(select(*(value.label(name) for name, value in counts.items()))).one()
    return {name: int(value or 0) for name, value in row._mapping.items()}


def build(session: Session, room: Room, now: dt.datetime | None = None, long_minutes: int | None = None) -> Board:
    """Collect everything the board shows for ``room`` at ``now`` (consumptions over ``long_minutes`` marked)."""
    now = now or utcnow()
    day = current_service_day(room, now)
    active = active_consumptions(session, room, *_BOARD_CONSUMPTIONS)
    emergencies = open_emergencies(session, room)
    by_consumption = {e.consumption_id: e for e in emergencies if e.consumption_id}
    by_place = {(c.place_kind, c.place_number): c for c in active if c.place_kind}
    rows = []
    for kind, number in places(room):
        c = by_place.get((kind, number))
        minutes = _minutes(c.occurred_at, now) if c else None
        overdue = minutes is not None and long_minutes is not None and minutes >= long_minutes
        rows.append(Place(kind, number, c, minutes, by_consumption.get(c.id) if c else None, overdue))
    still_open = open_visits(session, room, *_BOARD_VISITS)
    visits = [v for v in still_open if v.service_day >= day]
    busy = {c.visit_id for c in active}
    return Board(
        room=room,
        service_day=day,
        now=now,
        places=rows,
        waiting=[v for v in visits if v.id not in busy and not _consumed(v)],
        aftercare=[v for v in visits if v.id not in busy and _consumed(v)],
        emergencies=emergencies,
        to_close=[v for v in still_open if v.service_day < day],
        counts=today_counts(session, room, day),
    )
