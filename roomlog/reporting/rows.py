"""The plain rows the queries return and the pure functions consume (frozen, no ORM)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class VisitRow:
    room_id: int
    month: dt.date
    outcome: str
    reason: str | None
    anonymous: bool
    count: int


@dataclass(frozen=True)
class DaysRow:
    room_id: int
    month: dt.date
    days: int


@dataclass(frozen=True)
class ConsumptionRow:
    room_id: int
    month: dt.date
    route: str | None
    assisted: bool
    count: int


@dataclass(frozen=True)
class SubstanceRow:
    room_id: int
    month: dt.date
    substance: str
    count: int


@dataclass(frozen=True)
class EmergencyRow:
    room_id: int
    month: dt.date
    type: str
    outcome: str | None
    count: int


@dataclass(frozen=True)
class ActionRow:
    """Rows of one action in one emergency (the month is the emergency's).

    ``emergency_type`` is the emergency's type code (``None`` when not known to the caller);
    ``phase`` is the oxygen phase (``start``/``stop``) of oxygen rows, else ``None``.
    """

    room_id: int
    month: dt.date
    emergency_id: int
    action: str
    count: int
    emergency_type: str | None = None
    phase: str | None = None


@dataclass(frozen=True)
class ReferralRow:
    room_id: int
    month: dt.date
    target: str
    count: int


@dataclass(frozen=True)
class ServiceRow:
    room_id: int
    month: dt.date
    service: str
    quantity: int


@dataclass(frozen=True)
class VisitorRow:
    """A visitor with at least one admitted visit in a room-month."""

    room_id: int
    month: dt.date
    visitor_id: int
    sex: str
    birth_year: int | None


@dataclass(frozen=True)
class FirstVisitRow:
    """The service day of a visitor's first admitted visit in a room, as far as the query asked:
    exact within the days looked up; from ``queries.first_visits`` of one room, a day before the
    window only says "seen before the window"."""

    room_id: int
    visitor_id: int
    first_day: dt.date


@dataclass(frozen=True)
class ValueRow:
    """A stored indicator value (approved snapshot or imported history)."""

    room_id: int
    month: dt.date
    indicator: str
    value: Decimal


@dataclass(frozen=True)
class StatusRow:
    room_id: int
    month: dt.date
    state: str
    changes_since_approval: int


@dataclass(frozen=True)
class VisitorSetRow:
    """The stored visitor sets of a room-month (serialized; ``None`` where not read)."""

    room_id: int
    month: dt.date
    visitors: bytes | None
    first_seen: bytes
    groups: bytes | None
