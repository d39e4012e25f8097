"""A room's permit: each step (planned → applied → granted, or refused, withdrawn) dated, kept and audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.calendar import COPENHAGEN
from roomlog.funding.rules import permit_change_problem
from roomlog.messages import N_
from roomlog.models import PermitEvent, Room, User
from roomlog.models.codes import INITIAL_PERMITS, PermitStatus
from roomlog.reporting.windows import EARLIEST, LATEST_YEAR
from roomlog.services import DomainError, audit


def _today() -> dt.date:
    return dt.datetime.now(COPENHAGEN).date()


def history(session: Session, room: Room) -> list[PermitEvent]:
    """The permit's steps, oldest first."""
    stmt = select(PermitEvent).where(PermitEvent.room_id == room.id).order_by(PermitEvent.on_date, PermitEvent.id)
    return list(session.scalars(stmt))


def check_date(on: dt.date | None) -> None:
    """Refuse a room's date (opened, a permit step) outside the years the reports cover (a typo such as year 1)."""
    if on is not None and not EARLIEST.year <= on.year <= LATEST_YEAR:
        raise DomainError(N_("Dates must lie between %(first)s and %(last)s."), first=EARLIEST.year, last=LATEST_YEAR)


def record_initial(
    session: Session, room: Room, status: PermitStatus, on: dt.date | None, *, actor: User | None = None
) -> PermitEvent:
    """Record a new room's first permit status (planned, applied or granted) with its date."""
    if status not in INITIAL_PERMITS:
        raise DomainError(N_("A new room's permit is planned, applied for or granted."))
    if on is None:
        raise DomainError(N_("Give the permit's date."))
    check_date(on)
    if on > _today():
        raise DomainError(N_("The permit date cannot lie in the future."))
    return _step(session, room, status, on, actor, "", changes={"status": [None, status], "date": [None, on]})


def change_permit(
    session: Session,
    room: Room,
    status: PermitStatus,
    on: dt.date,
    *,
    actor: User | None = None,
    note: str = "",
    today: dt.date | None = None,
) -> PermitEvent:
    """Move the permit to ``status`` on ``on``; refuses impossible steps and dates."""
    steps = history(session, room)
    last = steps[-1].on_date if steps else None
    check_date(on)
    problem = permit_change_problem(room.permit_status, status, on, last, today or _today())
    if problem is not None:
        raise DomainError(problem.text.msgid, **problem.text.params)
    note = (note or "").strip()
    if len(note) > 500:
        raise DomainError(N_("A note is at most 500 characters."))
    changes = audit.diff({"status": room.permit_status, "date": room.permit_date}, {"status": status, "date": on})
    return _step(session, room, status, on, actor, note, changes=changes)


def _step(
    session: Session,
    room: Room,
    status: PermitStatus,
    on: dt.date,
    actor: User | None,
    note: str,
    *,
    changes: dict[str, Any],
) -> PermitEvent:
    """Move the room's permit to ``status`` on ``on``, keep the step and audit it (the note is the reason)."""
    room.permit_status, room.permit_date = status, on
    event = PermitEvent(
        room_id=room.id, status=status, on_date=on, note=note, recorded_by_id=actor.id if actor else None
    )
    session.add(event)
    session.flush()
    audit.record(
        session,
        "room.permit",
        user_id=actor.id if actor else None,
        room_id=room.id,
        entity="permit_event",
        entity_id=event.id,
        changes=changes,
        reason=note or None,
    )
    return event
