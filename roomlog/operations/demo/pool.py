"""Demo data for the pool: Vejle with a granted, partly paid operating grant, and a planned room in Aalborg
whose application is submitted and awaits the ministry. Idempotent: each piece is made only once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.models import Municipality, PoolApplication, Room, User
from roomlog.models.codes import PaymentKind, PermitStatus
from roomlog.services import pool_applications, pool_decisions

#: The planned room (the proposal names Aalborg and Esbjerg as places where rooms are needed).
PLANNED_ROOM = "Aalborg"
PLANNED_MUNICIPALITY = "851"


def _user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def _has_application(session: Session, room: Room) -> bool:
    return session.scalar(select(PoolApplication.id).where(PoolApplication.room_id == room.id).limit(1)) is not None


def _planned(session: Session, today: dt.date) -> None:
    kommune = session.get(Municipality, PLANNED_MUNICIPALITY)
    room = session.scalar(select(Room).where(Room.name == PLANNED_ROOM))
    if kommune is None or (room is not None and _has_application(session, room)):
        return
    actor = _user(session, "kommune-aalborg")
    app = pool_applications.create_application(
        session, kommune, actor=actor, room=room, new_room_name=PLANNED_ROOM, new_room_permit=PermitStatus.PLANNED,
        new_room_permit_date=today - dt.timedelta(days=60), establishment_budget_kr=3_000_000,
        establishment_requested_kr=2_500_000,
    )  # fmt: skip
    for year in (today.year + 1, today.year + 2):
        pool_applications.set_year(
            session, app, actor=actor, year=year, budget_kr=7_000_000, requested_kr=2_000_000, municipal_kr=3_000_000
        )
    pool_applications.submit(session, app, actor=actor)


def _granted(session: Session, today: dt.date, pool_total_kr: int) -> None:
    room = session.scalar(select(Room).where(Room.name == "Vejle"))
    if room is None or _has_application(session, room):
        return
    national = _user(session, "national")
    app = pool_applications.create_application(session, room.municipality, actor=None, room=room)
    pool_applications.set_year(
        session, app, actor=None, year=today.year, budget_kr=4_500_000, requested_kr=1_500_000, municipal_kr=2_000_000
    )
    pool_applications.submit(session, app, actor=None)
    pool_decisions.decide(
        session, app, actor=national, establishment_kr=0, operating_kr={today.year: 1_500_000}, reason="",
        pool_total_kr=pool_total_kr,
    )  # fmt: skip
    first = pool_decisions.commit_payment(
        session, app, actor=national, kind=PaymentKind.OPERATING, year=today.year, amount_kr=750_000
    )
    pool_decisions.pay(session, first, actor=national)
    pool_decisions.commit_payment(
        session, app, actor=national, kind=PaymentKind.OPERATING, year=today.year, amount_kr=750_000
    )


def load(session: Session, today: dt.date, pool_total_kr: int) -> None:
    """Add the pool's demo pieces that are missing; flushes, never commits."""
    _granted(session, today, pool_total_kr)
    _planned(session, today)
