"""Consumptions: registered on arrival before each intake (BEK 972/2016 § 6 stk. 2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import ExecutableOption

from roomlog.messages import N_
from roomlog.models import Consumption, ConsumptionSubstance, Room, User, Visit
from roomlog.models.base import utcnow
from roomlog.models.codes import PlaceKind, Route, Substance
from roomlog.services import DomainError, audit
from roomlog.services.event_times import Stamp, check_change, fill

#: No valid place was chosen.
CHOOSE_PLACE = N_("Choose a free place.")
#: "Assisted" was not answered.
ASSISTED_UNANSWERED = N_("Say whether the consumption is assisted (BEK 972 § 6).")
#: A consumption other than an injection was marked assisted.
ASSISTED_ROUTE = N_("Only an injection can be assisted (BEK 972/2016 § 6).")


def places(room: Room) -> list[tuple[PlaceKind, int]]:
    """Return every place of a room: injection places first, then smoking places."""
    return [(PlaceKind.INJECTION, n) for n in range(1, room.places_injection + 1)] + [
        (PlaceKind.SMOKING, n) for n in range(1, room.places_smoking + 1)
    ]


def active_consumptions(session: Session, room: Room, *options: ExecutableOption) -> list[Consumption]:
    """Return the consumptions going on in a room now (loaded with ``options``)."""
    stmt = (
        select(Consumption)
        .options(*options)
        .where(Consumption.room_id == room.id, Consumption.ended_at.is_(None), Consumption.voided.is_(False))
        .order_by(Consumption.occurred_at)
    )
    return list(session.scalars(stmt))


def place_is_taken(session: Session, room: Room, kind: PlaceKind, number: int) -> bool:
    """Return whether an active consumption holds the place."""
    return any(c.place_kind == kind and c.place_number == number for c in active_consumptions(session, room))


def register(
    session: Session,
    visit: Visit,
    user: User,
    stamp: Stamp,
    *,
    route: Route,
    substances: Sequence[Substance],
    assisted: bool,
    place: tuple[PlaceKind, int] | None,
    key: str,
    payload_hash: str,
) -> Consumption:
    """Register a consumption in an open visit, on a free place of the room."""
    room = visit_room(session, visit)
    if not visit.is_open:
        raise DomainError(N_("The visit is closed. Check the visitor in again."))
    if not substances:
        raise DomainError(N_("Choose at least one substance."))
    if assisted and not room.assisted_allowed:
        raise DomainError(N_("Assisted consumption is not allowed in this room."))
    if assisted and route != Route.INJECT:
        raise DomainError(ASSISTED_ROUTE)
    if place is not None:
        if place not in places(room):
            raise DomainError(N_("The room has no such place."))
        if place_is_taken(session, room, *place):
            raise DomainError(N_("The place is taken. Choose another place or end the consumption there first."))
    row = Consumption(
        visit_id=visit.id,
        route=route,
        assisted=assisted,
        assisted_set_at=stamp.occurred_at,
        place_kind=place[0] if place else None,
        place_number=place[1] if place else None,
        substances=[ConsumptionSubstance(substance=s) for s in dict.fromkeys(substances)],
    )
    fill(row, room, user, stamp, key, payload_hash)
    session.add(row)
    session.flush()
    audit.record(
        session,
        "consumption.create",
        user_id=user.id,
        room_id=room.id,
        entity="consumption",
        entity_id=row.id,
        changes={"route": route, "substances": list(substances), "assisted": assisted, "place": place},
    )
    return row


def visit_room(session: Session, visit: Visit) -> Room:
    """Return the room of a visit."""
    return session.get_one(Room, visit.room_id)


def set_assisted(
    session: Session, consumption: Consumption, user: User, assisted: bool, at: dt.datetime | None = None
) -> Consumption:
    """Change the assisted flag before the intake, stamping when it was set (refused in a locked month)."""
    check_change(session, consumption, user)
    if assisted == consumption.assisted:
        return consumption
    room = visit_room(session, consumption.visit)
    if assisted and not room.assisted_allowed:
        raise DomainError(N_("Assisted consumption is not allowed in this room."))
    if not consumption.is_active:
        raise DomainError(N_("The consumption has ended. Use a correction with a reason instead."))
    if assisted and consumption.route != Route.INJECT:
        raise DomainError(ASSISTED_ROUTE)
    when = at or utcnow()
    before = {"assisted": consumption.assisted, "assisted_set_at": consumption.assisted_set_at}
    consumption.assisted = assisted
    consumption.assisted_set_at = when
    session.flush()
    audit.record(
        session,
        "consumption.assisted",
        user_id=user.id,
        room_id=consumption.room_id,
        entity="consumption",
        entity_id=consumption.id,
        changes=audit.diff(before, {"assisted": assisted, "assisted_set_at": when}),
    )
    return consumption


def end(session: Session, consumption: Consumption, user: User, at: dt.datetime | None = None) -> Consumption:
    """End a consumption and free its place; ending twice changes nothing (refused in a locked month)."""
    check_change(session, consumption, user)
    if not consumption.is_active:
        return consumption
    consumption.ended_at = max(at or utcnow(), consumption.occurred_at)
    session.flush()
    audit.record(
        session,
        "consumption.end",
        user_id=user.id,
        room_id=consumption.room_id,
        entity="consumption",
        entity_id=consumption.id,
        changes={"ended_at": [None, consumption.ended_at]},
    )
    return consumption
