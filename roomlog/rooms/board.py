"""What the room board shows: places, waiting, after-care, open emergencies, today's counts.

Read side only: it turns query results into plain dataclasses the templates format.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

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


def open_visits(session: Session, room: Room) -> list[Visit]:
    """Return the admitted visits of the room that are not closed."""
    stmt = (
        select(Visit)
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
    """Return today's counts of visits, turn-aways, consumptions, emergencies, referrals, services."""

    def count(model: type[RoomEvent], *where: ColumnElement[bool]) -> int:
        stmt = (
            select(func.count())
            .select_from(model)
            .where(model.room_id == room.id, model.service_day == day, model.voided.is_(False), *where)
        )
        return int(session.scalar(stmt) or 0)

    return {
        "visits": count(Visit, Visit.outcome == VisitOutcome.ADMITTED),
        "turned_away": count(Visit, Visit.outcome == VisitOutcome.TURNED_AWAY),
        "consumptions": count(Consumption),
        "emergencies": count(Emergency),
        "referrals": count(Referral),
        "services": int(
            session.scalar(
                select(func.coalesce(func.sum(ServiceRecord.quantity), 0)).where(
                    ServiceRecord.room_id == room.id,
                    ServiceRecord.service_day == day,
                    ServiceRecord.voided.is_(False),
                )
            )
            or 0
        ),
    }


def build(session: Session, room: Room, now: dt.datetime | None = None, long_minutes: int | None = None) -> Board:
    """Collect everything the board shows for ``room`` at ``now`` (consumptions over ``long_minutes`` marked)."""
    now = now or utcnow()
    day = current_service_day(room, now)
    active = active_consumptions(session, room)
    emergencies = open_emergencies(session, room)
    by_consumption = {e.consumption_id: e for e in emergencies if e.consumption_id}
    by_place = {(c.place_kind, c.place_number): c for c in active if c.place_kind}
    rows = []
    for kind, number in places(room):
        c = by_place.get((kind, number))
        minutes = _minutes(c.occurred_at, now) if c else None
        overdue = minutes is not None and long_minutes is not None and minutes >= long_minutes
        rows.append(Place(kind, number, c, minutes, by_consumption.get(c.id) if c else None, overdue))
    visits = [v for v in open_visits(session, room) if v.service_day >= day]
    busy = {c.visit_id for c in active}
    return Board(
        room=room,
        service_day=day,
        now=now,
        places=rows,
        waiting=[v for v in visits if v.id not in busy and not _consumed(v)],
        aftercare=[v for v in visits if v.id not in busy and _consumed(v)],
        emergencies=emergencies,
        to_close=[v for v in open_visits(session, room) if v.service_day < day],
        counts=today_counts(session, room, day),
    )
