"""Referrals, other services (with quantities) and incidents, registered from a visit."""

from __future__ import annotations

from sqlalchemy.orm import Session

from roomlog.messages import N_
from roomlog.models import Incident, Referral, Room, RoomEvent, ServiceRecord, User, Visit
from roomlog.models.codes import IncidentType, ReferralMode, ReferralTarget, ServiceCode
from roomlog.services import DomainError, audit
from roomlog.services.event_times import Stamp, fill

MAX_QUANTITY = 999
NARRATIVE_MAX = 2000
ENTITY: dict[type, str] = {Referral: "referral", ServiceRecord: "service", Incident: "incident"}


def _live(visit: Visit | None) -> None:
    """Refuse a record on a voided visit: it would count although its visit does not."""
    if visit is not None and visit.voided:
        raise DomainError(N_("The visit is voided; register the visit again to add to it."))


def _add(session: Session, row: RoomEvent, room: Room, user: User, stamp: Stamp, key: str, digest: str) -> None:
    fill(row, room, user, stamp, key, digest)
    session.add(row)
    session.flush()
    entity = ENTITY[type(row)]
    audit.record(session, f"{entity}.create", user_id=user.id, room_id=room.id, entity=entity, entity_id=row.id)


def refer(
    session: Session,
    room: Room,
    user: User,
    stamp: Stamp,
    *,
    visit: Visit | None,
    target: ReferralTarget,
    mode: ReferralMode,
    key: str,
    payload_hash: str,
) -> Referral:
    """Register a referral (information, referral or accompanied) to a target service."""
    _live(visit)
    row = Referral(visit_id=visit.id if visit else None, target=target, mode=mode)
    _add(session, row, room, user, stamp, key, payload_hash)
    return row


def give_service(
    session: Session,
    room: Room,
    user: User,
    stamp: Stamp,
    *,
    visit: Visit | None,
    service: ServiceCode,
    quantity: int,
    key: str,
    payload_hash: str,
) -> ServiceRecord:
    """Register a service given, with its quantity."""
    _live(visit)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise DomainError(N_("The quantity must be between 1 and %(max)s."), max=MAX_QUANTITY)
    row = ServiceRecord(visit_id=visit.id if visit else None, service=service, quantity=quantity)
    _add(session, row, room, user, stamp, key, payload_hash)
    return row


def report_incident(
    session: Session,
    room: Room,
    user: User,
    stamp: Stamp,
    *,
    visit: Visit | None,
    type: IncidentType,
    narrative: str,
    key: str,
    payload_hash: str,
) -> Incident:
    """Register an incident with a short narrative (never exported; no names)."""
    _live(visit)
    row = Incident(visit_id=visit.id if visit else None, type=type, narrative=(narrative or "").strip()[:NARRATIVE_MAX])
    _add(session, row, room, user, stamp, key, payload_hash)
    return row
