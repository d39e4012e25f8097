"""Create and change rooms; every change is audited."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roomlog.messages import N_
from roomlog.models import Municipality, Room, User
from roomlog.models.codes import PermitStatus
from roomlog.services import DomainError, audit, permits

ROOM_FIELDS = (
    "name", "municipality_code", "operator_name", "operator_type", "model", "opened_on",
    "places_injection", "places_smoking", "assisted_allowed", "opening_hours", "service_day_cutoff", "active",
)  # fmt: skip
#: First characters that make a spreadsheet read a CSV field as a formula (OWASP "CSV injection").
FORMULA_STARTS = frozenset("=+-@")
FORMULA_NAME = N_("A room's name cannot begin with =, +, - or @ (a spreadsheet would read it as a formula).")
#: The permit is set when a room is created and changed only through services/permits.py (with its history).
PERMIT_FIELDS = ("permit_status", "permit_date")


def _validate(session: Session, values: dict[str, Any], room: Room | None) -> None:
    name = (values.get("name") or "").strip()
    if not name:
        raise DomainError(N_("A room needs a name."))
    if any(unicodedata.category(char) == "Cc" for char in name):  # shown in every export, PDF and the API
        raise DomainError(N_("A room's name cannot hold control characters."))
    if name[0] in FORMULA_STARTS:  # the CSV downloads are opened in spreadsheets, which would run it as a formula
        raise DomainError(FORMULA_NAME)
    clash = select(func.count()).select_from(Room).where(func.lower(Room.name) == name.lower())
    if room is not None:
        clash = clash.where(Room.id != room.id)
    if session.scalar(clash):
        raise DomainError(N_("A room with that name exists already."))
    if session.get(Municipality, values.get("municipality_code")) is None:
        raise DomainError(N_("Unknown municipality code."))
    for field in ("places_injection", "places_smoking"):
        if not 0 <= int(values.get(field) or 0) <= 99:
            raise DomainError(N_("Places must be between 0 and 99."))
    permits.check_date(values.get("opened_on"))
    values["name"] = name


def create_room(
    session: Session,
    *,
    permit_status: PermitStatus,
    permit_date: dt.date | None,
    actor: User | None = None,
    **values: Any,
) -> Room:
    """Create a room with its first permit status and date, after checking its name, municipality and places."""
    values.setdefault("service_day_cutoff", dt.time(5, 0))
    _validate(session, values, None)
    room = Room(**{k: v for k, v in values.items() if k in ROOM_FIELDS})
    session.add(room)
    session.flush()
    audit.record(
        session,
        "room.create",
        user_id=actor.id if actor else None,
        room_id=room.id,
        entity="room",
        entity_id=room.id,
        changes={"name": room.name},
    )
    permits.record_initial(session, room, permit_status, permit_date, actor=actor)
    return room


def update_room(session: Session, room: Room, *, actor: User | None, **values: Any) -> None:
    """Change a room's facts; the audit entry lists what changed."""
    _validate(session, values, room)
    before = {field: getattr(room, field) for field in ROOM_FIELDS}
    for field in ROOM_FIELDS:
        if field in values:
            setattr(room, field, values[field])
    after = {field: getattr(room, field) for field in ROOM_FIELDS}
    session.flush()
    audit.record(
        session,
        "room.update",
        user_id=actor.id if actor else None,
        room_id=room.id,
        entity="room",
        entity_id=room.id,
        changes=audit.diff(before, after),
    )
