"""Corrections and voids of captured records: never deleted, always with a reason and a diff.

Staff may correct their own entries on the same service day; otherwise only a lead. Month
locks and approved months are checked for the record's day (and a moved record's new day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.calendar import service_day_of
from roomlog.messages import N_
from roomlog.models import (
    EVENT_KINDS,
    AuditEntry,
    ConsumptionSubstance,
    Room,
    RoomEvent,
    User,
)
from roomlog.models.base import utcnow
from roomlog.models.codes import (
    EmergencyOutcome,
    EmergencyType,
    IncidentType,
    NaloxoneRoute,
    ReferralMode,
    ReferralTarget,
    Role,
    Route,
    ServiceCode,
    Severity,
    Substance,
    TurnAwayReason,
)
from roomlog.services import Conflict, DomainError, NotAllowed, audit, bounds, dependants
from roomlog.services.consumptions import ASSISTED_ROUTE
from roomlog.services.dependants import Dependant
from roomlog.services.event_times import current_service_day, parse_local
from roomlog.services.locks import check_change_allowed

#: The kinds of record a correction changes: every kind that counts in a month, by its audit entity.
KINDS = EVENT_KINDS
#: The fields a correction may change, per kind: a code list, or "time", "int", "dose", "text", "substances".
FIELDS: dict[str, dict[str, Any]] = {
    "visit": {"occurred_at": "time", "turn_away_reason": TurnAwayReason},
    "consumption": {"occurred_at": "time", "route": Route, "substances": "substances", "assisted": "bool"},
    "emergency": {
        "occurred_at": "time",
        "type": EmergencyType,
        "severity": Severity,
        "outcome": EmergencyOutcome,
        "note": "text",
    },
    "emergency_action": {"occurred_at": "time", "naloxone_route": NaloxoneRoute, "naloxone_dose_mg": "dose"},
    "referral": {"occurred_at": "time", "target": ReferralTarget, "mode": ReferralMode},
    "service": {"occurred_at": "time", "service": ServiceCode, "quantity": "int"},
    "incident": {"occurred_at": "time", "type": IncidentType, "narrative": "text"},
}

#: The longest text a correction may store, per field (as on the capture forms).
TEXT_MAX = {"note": 500, "narrative": 2000}


def may_correct(user: User, record: RoomEvent, room: Room, now: dt.datetime | None = None) -> bool:
    """Return whether ``user`` may correct or void ``record`` (own entry today, or a lead)."""
    if user.role == Role.LEAD:
        return True
    return record.recorded_by_id == user.id and record.service_day == current_service_day(room, now)


def current_values(kind: str, record: RoomEvent) -> dict[str, Any]:
    """Return the correctable values of a record."""
    values = {name: getattr(record, name, None) for name in FIELDS[kind] if name != "substances"}
    if kind == "consumption":
        values["substances"] = sorted(s.value for s in record.substance_codes)  # type: ignore[attr-defined]  # kind "consumption": a Consumption
    return values


def _parse(spec: Any, raw: Any) -> Any:
    value = raw[0] if isinstance(raw, list) else raw
    value = (value or "").strip() if isinstance(value, str) else value
    try:
        if spec == "substances":
            return sorted(Substance(v).value for v in raw or [] if v)
        if spec == "time":
            return parse_local(value)
        if spec == "bool":
            return value in {"yes", "true", "1", "on"}
        if spec == "int":
            return bounds.quantity(value)
        if spec == "dose":
            return bounds.dose(value)
        if spec == "text":
            return value or None
        return spec(value) if value else None
    except (ValueError, InvalidOperation) as exc:
        raise DomainError(N_("A value is not valid. Check the form.")) from exc


def parse_values(kind: str, form: Mapping[str, Any]) -> dict[str, Any]:
    """Parse the submitted correction fields of ``kind`` (fields left out are not changed)."""
    return {name: _parse(spec, form[name]) for name, spec in FIELDS[kind].items() if name in form}


def _guard(session: Session, room: Room, record: RoomEvent, user: User, reason: str) -> None:
    if not reason.strip():
        raise DomainError(N_("Give a reason for the correction."))
    if not may_correct(user, record, room):
        raise NotAllowed(N_("Staff can correct their own entries on the same service day; otherwise ask a lead."))
    check_change_allowed(session, room, record.service_day, user, reason)


def correct(
    session: Session, room: Room, kind: str, record: RoomEvent, user: User, values: Mapping[str, Any], reason: str
) -> dict[str, list[Any]]:
    """Apply a correction with a reason; return the diff written to the audit log."""
    _guard(session, room, record, user, reason)
    before = current_values(kind, record)
    after = {**before, **{k: v for k, v in values.items() if v is not None or FIELDS[kind][k] == "text"}}
    if after.get("occurred_at") is None or _same_minute(after["occurred_at"], before["occurred_at"]):
        after["occurred_at"] = before["occurred_at"]  # the form shows minutes: an unchanged field keeps seconds
    if kind == "incident":
        after["narrative"] = after["narrative"] or ""  # the column is required; empty means "nothing written"
    for name, limit in TEXT_MAX.items():
        if len(after.get(name) or "") > limit:
            raise DomainError(N_("The text is too long (at most %(max)s characters)."), max=limit)
    if kind == "consumption" and not after["substances"]:
        raise DomainError(N_("Choose at least one substance."))
    if kind == "consumption" and after["assisted"] and after["route"] != Route.INJECT:
        raise DomainError(ASSISTED_ROUTE)
    changes = audit.diff(before, after)
    if not changes:
        return {}
    if "occurred_at" in changes:
        _move(session, room, record, user, after["occurred_at"], reason)
    for name, value in after.items():
        if name == "substances":
            record.substances = [ConsumptionSubstance(substance=Substance(s)) for s in value]  # type: ignore[attr-defined]  # only a Consumption has substances
        elif name != "occurred_at":
            setattr(record, name, value)
    if kind == "consumption" and "assisted" in changes:
        record.assisted_set_at = utcnow()  # type: ignore[attr-defined]  # kind "consumption": a Consumption
    if kind == "emergency" and "outcome" in changes:
        record.outcome_at = utcnow() if after["outcome"] else None  # type: ignore[attr-defined]  # an Emergency
    session.flush()
    audit.record(
        session, f"{kind}.correct", user_id=user.id, room_id=room.id, entity=kind, entity_id=record.id,
        changes=changes, reason=reason,
    )  # fmt: skip
    return changes


def _same_minute(a: dt.datetime, b: dt.datetime) -> bool:
    return a.replace(second=0, microsecond=0) == b.replace(second=0, microsecond=0)


def _move(session: Session, room: Room, record: RoomEvent, user: User, at: dt.datetime, reason: str) -> None:
    if at > utcnow() + dt.timedelta(minutes=5):
        raise DomainError(N_("The time lies in the future."))
    day = service_day_of(at, room.service_day_cutoff)
    if day < current_service_day(room) and not user.may_backdate:
        raise NotAllowed(
            N_("Only a lead or a user with the back-dating permission can enter something from an earlier day.")
        )
    check_change_allowed(session, room, day, user, reason)
    record.occurred_at, record.service_day = at, day
    record.backdated = record.backdated or day < current_service_day(room)


class NeedsConfirmation(Conflict):
    """Voiding would void other records too; the user must confirm the list first."""

    def __init__(self, found: list[Dependant]) -> None:
        self.dependants = found
        super().__init__(N_("Voiding this record also voids the records listed below. Confirm to void them all."))


def void(
    session: Session,
    room: Room,
    kind: str,
    record: RoomEvent,
    user: User,
    reason: str,
    *,
    confirmed: str | None = None,
) -> list[Dependant]:
    """Void a record with a reason, and with it every record that depends on it (it stays in
    the log, excluded from every count); return the dependants voided.

    When the record has dependants, ``confirmed`` must be the :func:`dependants.signature`
    the user saw; otherwise ``NeedsConfirmation`` lists them and nothing changes.
    """
    found = dependants.dependants(session, kind, record)
    if record.voided and not found:
        return []
    _guard(session, room, record, user, reason)
    if found and confirmed != dependants.signature(found):
        raise NeedsConfirmation(found)
    for dependant in found:
        _guard(session, room, dependant.record, user, reason)
    if not record.voided:  # a record voided before voids cascaded: void what still counts
        _void_one(session, room, kind, record, user, reason, {})
    for dependant in found:
        _void_one(session, room, dependant.kind, dependant.record, user, reason, {"with": f"{kind} #{record.id}"})
    return found


def _void_one(
    session: Session, room: Room, kind: str, record: RoomEvent, user: User, reason: str, extra: dict[str, Any]
) -> None:
    record.mark_voided(user.id, reason.strip()[:500], utcnow())
    session.flush()
    audit.record(
        session, f"{kind}.void", user_id=user.id, room_id=room.id, entity=kind, entity_id=record.id,
        changes={"voided": [False, True], **extra}, reason=record.void_reason,
    )  # fmt: skip


def history(session: Session, kind: str, record_id: int) -> list[AuditEntry]:
    """Return the audit entries of a record, oldest first."""
    stmt = select(AuditEntry).where(AuditEntry.entity == kind, AuditEntry.entity_id == record_id)
    return list(session.scalars(stmt.order_by(AuditEntry.id)))
