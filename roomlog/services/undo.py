"""Undo right after a one-tap entry: the record is voided (or the outcome taken back), audited.

The screen offers Undo for about ten seconds; the server accepts it a little longer, for slow
networks, and only from the person who made the entry. Later changes go through a correction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from roomlog.messages import N_
from roomlog.models import Consumption, Emergency, Room, RoomEvent, User, Visit
from roomlog.models.base import utcnow
from roomlog.services import DomainError, NotAllowed, audit
from roomlog.services.consumptions import place_is_taken
from roomlog.services.locks import check_change_allowed

#: How long after the entry the server still accepts Undo (the button shows for about 10 s).
UNDO_WINDOW = dt.timedelta(minutes=2)
#: The kinds of one-tap records Undo can take back.
KINDS = ("visit", "emergency", "emergency_action", "referral", "service")
#: The void reason of an undone record (the view stores it translated, as people read it).
UNDONE = N_("Undone right after entry")


def _too_late() -> NotAllowed:
    return NotAllowed(N_("It is too late to undo. Correct or void the record on its record page, with a reason."))


def _has_dependants(record: RoomEvent) -> bool:
    if isinstance(record, Visit):
        return any(not c.voided for c in record.consumptions)
    if isinstance(record, Emergency):
        return record.outcome is not None or any(not a.voided for a in record.actions)
    return False


def undo(
    session: Session,
    room: Room,
    kind: str,
    record: RoomEvent,
    user: User,
    *,
    reason: str,
    at: dt.datetime | None = None,
) -> None:
    """Void a record the user entered moments ago, with ``reason`` (``UNDONE`` translated); twice changes nothing."""
    if record.voided:
        return
    now = at or utcnow()
    if record.recorded_by_id != user.id or now - record.recorded_at > UNDO_WINDOW:
        raise _too_late()
    if _has_dependants(record):
        raise DomainError(N_("Something was recorded on top of this entry. Void it on its record page, with a reason."))
    check_change_allowed(session, room, record.service_day, user, None)
    record.mark_voided(user.id, reason, now)
    session.flush()
    audit.record(
        session, f"{kind}.undo", user_id=user.id, room_id=room.id, entity=kind, entity_id=record.id,
        changes={"voided": [False, True]}, reason=record.void_reason,
    )  # fmt: skip


def undo_end(session: Session, room: Room, consumption: Consumption, user: User, at: dt.datetime | None = None) -> None:
    """Take back "end consumption" moments after the tap, while its place is still free."""
    now = at or utcnow()
    if consumption.ended_at is None:
        return
    if now - consumption.ended_at > UNDO_WINDOW or consumption.voided:
        raise _too_late()
    if consumption.place_kind and place_is_taken(session, room, consumption.place_kind, consumption.place_number or 0):
        raise DomainError(N_("The place is taken again. Register a new consumption instead."))
    check_change_allowed(session, room, consumption.service_day, user, None)
    before = consumption.ended_at
    consumption.ended_at = None
    session.flush()
    audit.record(
        session, "consumption.undo_end", user_id=user.id, room_id=room.id, entity="consumption",
        entity_id=consumption.id, changes={"ended_at": [before, None]},
    )  # fmt: skip


def undo_check_out(session: Session, room: Room, visit: Visit, user: User, at: dt.datetime | None = None) -> None:
    """Take back a check-out moments after the tap: the visit and the consumptions it ended are open again."""
    now = at or utcnow()
    if visit.left_at is None:
        return
    if now - visit.left_at > UNDO_WINDOW or visit.voided:
        raise _too_late()
    check_change_allowed(session, room, visit.service_day, user, None)
    left = visit.left_at
    for consumption in visit.consumptions:
        ended_by_check_out = consumption.ended_at == left and not consumption.voided
        kind, number = consumption.place_kind, consumption.place_number or 0
        if ended_by_check_out and not (kind and place_is_taken(session, room, kind, number)):
            consumption.ended_at = None
    visit.left_at = None
    session.flush()
    audit.record(
        session, "visit.undo_check_out", user_id=user.id, room_id=room.id, entity="visit",
        entity_id=visit.id, changes={"left_at": [left, None]},
    )  # fmt: skip
