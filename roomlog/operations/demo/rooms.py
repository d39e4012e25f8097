"""The demo's rooms and users, made once; and the approval of their finished months."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.calendar import add_months, month_start
from roomlog.models import Municipality, Room, User
from roomlog.models.codes import PermitStatus, Role
from roomlog.operations.demo.facts import ASSISTED_ROOMS, ROOMS, USERS
from roomlog.operations.demo.pool import PLANNED_ROOM
from roomlog.operations.synthetic import approve_as_lead
from roomlog.services.accounts import create_user
from roomlog.services.approval import accept_month
from roomlog.services.passwords import Params
from roomlog.services.rooms import create_room


def foreign_data(session: Session) -> bool:
    """Whether the database holds rooms or users that are not the demo's."""
    demo_rooms = {r.name for r in ROOMS} | {PLANNED_ROOM}
    demo_users = {u[0] for u in USERS}
    rooms = set(session.scalars(select(Room.name)))
    users = set(session.scalars(select(User.username)))
    return bool(rooms - demo_rooms or users - demo_users)


def ensure_rooms(session: Session) -> dict[str, Room]:
    """Create the demo rooms that are missing; return every demo room by name."""
    rooms = {}
    for spec in ROOMS:
        room = session.scalar(select(Room).where(Room.name == spec.name))
        if room is None:
            room = create_room(
                session,
                name=spec.name,
                municipality_code=spec.municipality,
                operator_name=spec.operator,
                operator_type=spec.operator_type,
                model=spec.model,
                permit_status=PermitStatus.GRANTED,
                permit_date=spec.opened - dt.timedelta(days=90),
                opened_on=spec.opened,
                places_injection=spec.injection,
                places_smoking=spec.smoking,
                assisted_allowed=spec.name in ASSISTED_ROOMS,
                opening_hours=f"{spec.hours[0]:02d}:00–{spec.hours[1] % 24:02d}:00",
                service_day_cutoff=dt.time(5, 0),
            )
        rooms[spec.name] = room
    return rooms


def ensure_users(session: Session, rooms: dict[str, Room], hashing: Params = None) -> list[tuple[str, str, str]]:
    """Create the demo users that are missing; return every demo login (username, password, description)."""
    logins = []
    for username, password, role, room_names, kommune, what in USERS:
        if session.scalar(select(User).where(User.username == username)) is None:
            create_user(
                session,
                username=username,
                password=password,
                role=role,
                rooms=[rooms[n] for n in room_names],
                municipality=session.get(Municipality, kommune) if kommune else None,
                hashing=hashing,
            )
        logins.append((username, password, what))
    return logins


def approve_past_months(session: Session, rooms: list[Room], start: dt.date, today: dt.date) -> None:
    """Approve each demo room's finished months (as its lead) and accept all but the last (as its kommune)."""
    current = month_start(today)
    for room in rooms:
        lead = session.scalar(select(User).where(User.role == Role.LEAD, User.rooms.contains(room)).order_by(User.id))
        kommune = session.scalar(
            select(User).where(User.role == Role.MUNICIPALITY, User.municipality_code == room.municipality_code)
        )
        month = month_start(start)
        while lead is not None and month < current:
            approve_as_lead(session, room, month, lead, today)  # the demo command publishes once at the end
            if kommune is not None and month < add_months(current, -1):
                accept_month(session, room, month, kommune, publish=False)
            month = add_months(month, 1)
