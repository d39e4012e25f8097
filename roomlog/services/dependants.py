"""The records that depend on another record and must be voided with it.

A voided visit takes its consumptions, emergencies (with their actions), referrals, services
and incidents with it; a voided emergency takes its actions. Otherwise the dependants would
go on counting (and count twice once the visit is registered again).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.models import (
    Consumption,
    Emergency,
    EmergencyActionRecord,
    Incident,
    Referral,
    RoomEvent,
    ServiceRecord,
)

#: Kinds tied to a visit by ``visit_id``, in the order they are listed.
VISIT_DEPENDANTS: tuple[tuple[str, type[RoomEvent]], ...] = (
    ("consumption", Consumption),
    ("emergency", Emergency),
    ("referral", Referral),
    ("service", ServiceRecord),
    ("incident", Incident),
)


@dataclass(frozen=True)
class Dependant:
    """A record voided together with another: its kind and the row."""

    kind: str
    record: RoomEvent

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.record.id}"


def _actions(session: Session, emergency_ids: Iterable[int]) -> list[Dependant]:
    ids = list(emergency_ids)
    if not ids:
        return []
    stmt = select(EmergencyActionRecord).where(
        EmergencyActionRecord.emergency_id.in_(ids), EmergencyActionRecord.voided.is_(False)
    )
    return [Dependant("emergency_action", a) for a in session.scalars(stmt.order_by(EmergencyActionRecord.id))]


def dependants(session: Session, kind: str, record: RoomEvent) -> list[Dependant]:
    """Return the records (not yet voided) that voiding ``record`` voids too."""
    if kind == "emergency":
        return _actions(session, [record.id])
    if kind != "visit":
        return []
    found: list[Dependant] = []
    for name, model in VISIT_DEPENDANTS:
        stmt = select(model).where(
            model.visit_id == record.id,  # type: ignore[attr-defined]  # every visit dependant has visit_id
            model.room_id == record.room_id,
            model.voided.is_(False),
        )
        found += [Dependant(name, row) for row in session.scalars(stmt.order_by(model.id))]
    return found + _actions(session, [d.record.id for d in found if d.kind == "emergency"])


def signature(found: Iterable[Dependant]) -> str:
    """Return a stable text naming the dependants (what the confirmation showed)."""
    return ",".join(sorted(d.key for d in found))


def summary(found: Iterable[Dependant]) -> dict[str, int]:
    """Count the dependants by kind."""
    out: dict[str, int] = {}
    for d in found:
        out[d.kind] = out.get(d.kind, 0) + 1
    return out
