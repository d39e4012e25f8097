"""Emergencies (overdose / poisoning): opened at "now", one timestamped row per action."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from roomlog.messages import N_
from roomlog.models import Consumption, Emergency, EmergencyActionRecord, Room, User, Visit
from roomlog.models.base import utcnow
from roomlog.models.codes import EmergencyAction, EmergencyOutcome, EmergencyType, NaloxoneRoute, OxygenPhase, Severity
from roomlog.services import DomainError, audit, bounds
from roomlog.services.event_times import Stamp, check_change, fill

#: One-tap naloxone doses (route, mg): nasal spray 1.8 mg, ampoule 0.4 mg i.m. or i.v.
NALOXONE_PRESETS: tuple[tuple[NaloxoneRoute, Decimal], ...] = (
    (NaloxoneRoute.IN, Decimal("1.8")),
    (NaloxoneRoute.IM, Decimal("0.4")),
    (NaloxoneRoute.IV, Decimal("0.4")),
)
NOTE_MAX = 500


def open_emergency(
    session: Session,
    room: Room,
    user: User,
    stamp: Stamp,
    *,
    visit: Visit | None,
    consumption: Consumption | None,
    key: str,
    payload_hash: str,
) -> Emergency:
    """Open an emergency at the stamped time, tied to a visit and (optionally) a consumption."""
    if consumption is not None:
        visit = consumption.visit
    row = Emergency(
        visit_id=visit.id if visit else None,
        consumption_id=consumption.id if consumption else None,
        type=EmergencyType.U,
    )
    fill(row, room, user, stamp, key, payload_hash)
    session.add(row)
    session.flush()
    audit.record(
        session,
        "emergency.create",
        user_id=user.id,
        room_id=room.id,
        entity="emergency",
        entity_id=row.id,
        changes={"visit_id": row.visit_id, "consumption_id": row.consumption_id},
    )
    return row


def parse_dose(value: str | None) -> Decimal | None:
    """Parse a naloxone dose in mg (``0,4`` or ``0.4``); empty → ``None``; out of bounds → 400."""
    return bounds.dose(value)


def oxygen_running(emergency: Emergency) -> bool:
    """Return whether oxygen was started and not stopped."""
    phases = [a.oxygen_phase for a in emergency.actions if a.action == EmergencyAction.OXYGEN and not a.voided]
    return bool(phases) and phases[-1] == OxygenPhase.START


def add_action(
    session: Session,
    emergency: Emergency,
    user: User,
    stamp: Stamp,
    *,
    action: EmergencyAction,
    naloxone_route: NaloxoneRoute | None = None,
    dose: Decimal | None = None,
    oxygen_phase: OxygenPhase | None = None,
    key: str,
    payload_hash: str,
) -> EmergencyActionRecord:
    """Add one timestamped action (a naloxone dose, oxygen start/stop, 112 call …)."""
    if emergency.voided:
        raise DomainError(N_("The emergency is voided."))
    if emergency.outcome is not None:
        raise DomainError(N_("The emergency has an outcome. Tap “Reopen” first to add actions after it."))
    if action == EmergencyAction.NALOXONE and naloxone_route is None:
        raise DomainError(N_("Choose how the naloxone was given."))
    if action == EmergencyAction.OXYGEN and oxygen_phase is None:
        oxygen_phase = OxygenPhase.STOP if oxygen_running(emergency) else OxygenPhase.START
    row = EmergencyActionRecord(
        emergency_id=emergency.id,
        action=action,
        naloxone_route=naloxone_route if action == EmergencyAction.NALOXONE else None,
        naloxone_dose_mg=dose if action == EmergencyAction.NALOXONE else None,
        oxygen_phase=oxygen_phase if action == EmergencyAction.OXYGEN else None,
    )
    room = session.get_one(Room, emergency.room_id)
    fill(row, room, user, stamp, key, payload_hash)
    session.add(row)
    session.flush()
    session.refresh(emergency, ["actions"])
    audit.record(
        session,
        "emergency.action",
        user_id=user.id,
        room_id=room.id,
        entity="emergency_action",
        entity_id=row.id,
        changes={"emergency_id": emergency.id, "action": action, "route": naloxone_route, "dose": dose},
    )
    return row


def set_outcome(
    session: Session, emergency: Emergency, user: User, outcome: EmergencyOutcome, at: dt.datetime | None = None
) -> Emergency:
    """Record the outcome with one tap; the same outcome twice changes nothing (refused in a locked month)."""
    check_change(session, emergency, user)
    if emergency.outcome == outcome:
        return emergency
    if emergency.outcome is not None:
        raise DomainError(N_("An outcome is recorded already. Correct the emergency (with a reason) to change it."))
    emergency.outcome = outcome
    emergency.outcome_at = at or utcnow()
    session.flush()
    audit.record(
        session,
        "emergency.outcome",
        user_id=user.id,
        room_id=emergency.room_id,
        entity="emergency",
        entity_id=emergency.id,
        changes={"outcome": [None, outcome], "outcome_at": [None, emergency.outcome_at]},
    )
    return emergency


def reopen(session: Session, emergency: Emergency, user: User) -> Emergency:
    """Take the outcome back so that further actions can be stamped (audited); open twice changes nothing.

    Refused in a locked month.
    """
    check_change(session, emergency, user)
    if emergency.voided:
        raise DomainError(N_("The emergency is voided."))
    if emergency.outcome is None:
        return emergency
    before = {"outcome": emergency.outcome, "outcome_at": emergency.outcome_at}
    emergency.outcome, emergency.outcome_at = None, None
    session.flush()
    audit.record(
        session, "emergency.reopen", user_id=user.id, room_id=emergency.room_id, entity="emergency",
        entity_id=emergency.id, changes=audit.diff(before, {"outcome": None, "outcome_at": None}),
    )  # fmt: skip
    return emergency


def cancel(session: Session, emergency: Emergency, user: User, reason: str) -> Emergency:
    """Cancel an emergency opened by mistake: voided with a reason, while nothing is recorded in it yet.

    Refused in a locked month.
    """
    check_change(session, emergency, user)
    if emergency.voided:
        return emergency
    if emergency.outcome is not None or any(not a.voided for a in emergency.actions):
        raise DomainError(N_("Actions are recorded in this emergency. Void it on its record page, with a reason."))
    emergency.mark_voided(user.id, reason, utcnow())
    session.flush()
    audit.record(
        session, "emergency.cancel", user_id=user.id, room_id=emergency.room_id, entity="emergency",
        entity_id=emergency.id, changes={"voided": [False, True]}, reason=reason,
    )  # fmt: skip
    return emergency


def set_details(
    session: Session,
    emergency: Emergency,
    user: User,
    *,
    type: EmergencyType | None,
    severity: Severity | None,
    note: str | None,
) -> Emergency:
    """Fill in type, severity and a short note after the emergency (refused in a locked month)."""
    check_change(session, emergency, user)
    note = (note or "").strip()[:NOTE_MAX] or None
    before = {"type": emergency.type, "severity": emergency.severity, "note": emergency.note}
    new_type, new_severity = type or emergency.type, severity or emergency.severity
    after = {"type": new_type, "severity": new_severity, "note": note}
    changes = audit.diff(before, after)
    if not changes:
        return emergency
    emergency.type, emergency.severity, emergency.note = new_type, new_severity, note
    session.flush()
    audit.record(
        session,
        "emergency.details",
        user_id=user.id,
        room_id=emergency.room_id,
        entity="emergency",
        entity_id=emergency.id,
        changes=changes,
    )
    return emergency
