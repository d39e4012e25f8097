"""When a captured event happened: defaults, back-dating rules and the period guard."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from roomlog.calendar import COPENHAGEN, service_day_of
from roomlog.messages import N_
from roomlog.models import Room, RoomEvent, User
from roomlog.models.base import utcnow
from roomlog.models.codes import PermitStatus
from roomlog.services import DomainError, NotAllowed, bounds
from roomlog.services.locks import check_change_allowed

#: Clocks on tablets drift; a time slightly ahead of the server is accepted as "now".
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Stamp:
    """The resolved times of a new event."""

    occurred_at: dt.datetime
    recorded_at: dt.datetime
    service_day: dt.date
    backdated: bool
    #: False when the month's lock and approval were not checked yet (``resolve(check_period=False)``):
    #: the service that writes the event checks them (``visits.anonymous_visit``); :func:`fill` refuses it.
    period_checked: bool = True


def parse_local(value: str | None) -> dt.datetime | None:
    """Parse a ``datetime-local`` value in Europe/Copenhagen into aware UTC; empty → ``None``."""
    if not value or not value.strip():
        return None
    try:
        naive = dt.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise DomainError(N_("The time is not valid. Use the date and time picker.")) from exc
    bounds.event_time(naive)
    if naive.tzinfo is not None:
        return naive.astimezone(dt.UTC)
    return naive.replace(tzinfo=COPENHAGEN).astimezone(dt.UTC)


def current_service_day(room: Room, now: dt.datetime | None = None) -> dt.date:
    """Return the room's service day right now."""
    return service_day_of(now or utcnow(), room.service_day_cutoff)


def resolve(
    session: Session,
    room: Room,
    user: User,
    occurred_at: dt.datetime | None,
    *,
    reason: str | None = None,
    now: dt.datetime | None = None,
    check_period: bool = True,
) -> Stamp:
    """Resolve when an event happened and check that ``user`` may enter it then.

    With ``check_period=False`` the month's lock and approval are left to the service that
    writes the event (it checks them with its insert); the stamp says so (``period_checked``).
    """
    if room.permit_status != PermitStatus.GRANTED:
        # Planned and applied-for rooms exist for the pool; nothing is registered before the permit.
        raise NotAllowed(
            N_("Nothing can be registered in this room: its permit is %(status)s, not granted."),
            status=room.permit_status,
        )
    now = now or utcnow()
    at = occurred_at or now
    if at > now + FUTURE_TOLERANCE:
        raise DomainError(N_("The time lies in the future."))
    day = service_day_of(at, room.service_day_cutoff)
    backdated = day < current_service_day(room, now)
    if backdated and not user.may_backdate:
        raise NotAllowed(
            N_("Only a lead or a user with the back-dating permission can enter something from an earlier day.")
        )
    if check_period:
        check_change_allowed(session, room, day, user, reason)
    return Stamp(occurred_at=at, recorded_at=now, service_day=day, backdated=backdated, period_checked=check_period)


def check_change(session: Session, record: RoomEvent, user: User, reason: str | None = None) -> None:
    """Refuse a later change to ``record`` unless its month allows it (see ``check_change_allowed``).

    Every service that changes a record after it was made calls this first: a locked month is
    refused (``Conflict``), an approved one only by a lead with a reason.
    """
    check_change_allowed(session, session.get_one(Room, record.room_id), record.service_day, user, reason)


def fill(event: RoomEvent, room: Room, user: User, stamp: Stamp, key: str, payload_hash: str) -> None:
    """Set the columns every event shares (refuses a stamp whose month was not checked)."""
    if not stamp.period_checked:
        raise ValueError("the stamp's month was not checked for locks and approval")
    event.room_id = room.id
    event.occurred_at = stamp.occurred_at
    event.recorded_at = stamp.recorded_at
    event.service_day = stamp.service_day
    event.backdated = stamp.backdated
    event.recorded_by_id = user.id
    event.idempotency_key = key
    event.request_hash = payload_hash
