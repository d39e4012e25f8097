"""Events a room records: visits, consumptions, emergencies and their actions, referrals,
services and incidents. Every event is room-scoped, timestamped twice, idempotent and
voidable — never deleted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Index, Numeric, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from roomlog.models.base import Base, code_enum, intpk, utcnow
from roomlog.models.codes import (
    EmergencyAction,
    EmergencyOutcome,
    EmergencyType,
    IncidentType,
    NaloxoneRoute,
    OxygenPhase,
    PlaceKind,
    ReferralMode,
    ReferralTarget,
    Route,
    ServiceCode,
    Severity,
    Substance,
    TurnAwayReason,
    VisitOutcome,
)
from roomlog.models.visitors import Visitor


class RoomEvent:
    """Columns every event shares: tenant, two timestamps, author, idempotency, void."""

    if TYPE_CHECKING:
        __tablename__: str  # set by each event model (the mixin has no table of its own)

    id: Mapped[intpk]
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    #: When it happened (editable).
    occurred_at: Mapped[dt.datetime]
    #: When it was entered (server time, never changed).
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Local service day of ``occurred_at`` under the room's cut-off; reports group on it.
    service_day: Mapped[dt.date] = mapped_column(Date, index=True)
    #: Entered after the service day it belongs to had passed.
    backdated: Mapped[bool] = mapped_column(default=False)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    #: SHA-256 of the submitted payload, so a reused key with other data is refused.
    request_hash: Mapped[str] = mapped_column(String(64), default="")
    voided: Mapped[bool] = mapped_column(default=False)
    void_reason: Mapped[str | None] = mapped_column(String(500))
    voided_at: Mapped[dt.datetime | None]
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def mark_voided(self, by_id: int, reason: str, at: dt.datetime) -> None:
        """Void the record: it stays, excluded from every count, with who voided it, when and why."""
        self.voided, self.void_reason = True, reason
        self.voided_at, self.voided_by_id = at, by_id


class Visit(RoomEvent, Base):
    """A visit: arrival (``occurred_at``), departure, visitor or anonymous, outcome."""

    __tablename__ = "visits"

    visitor_id: Mapped[int | None] = mapped_column(ForeignKey("visitors.id"))  # indexed with service_day below
    outcome: Mapped[VisitOutcome] = mapped_column(code_enum(VisitOutcome))
    turn_away_reason: Mapped[TurnAwayReason | None] = mapped_column(code_enum(TurnAwayReason))
    left_at: Mapped[dt.datetime | None]

    visitor: Mapped[Visitor | None] = relationship()
    consumptions: Mapped[list[Consumption]] = relationship(back_populates="visit", order_by="Consumption.occurred_at")

    @property
    def is_anonymous(self) -> bool:
        return self.visitor_id is None

    @property
    def is_open(self) -> bool:
        return self.left_at is None and self.outcome == VisitOutcome.ADMITTED and not self.voided


class Consumption(RoomEvent, Base):
    """One supervised intake: route, substances, place, and the required assisted flag."""

    __tablename__ = "consumptions"

    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    route: Mapped[Route | None] = mapped_column(code_enum(Route))
    #: Assisted consumption (BEK 972 § 6 stk. 2): required, and when it was set.
    assisted: Mapped[bool] = mapped_column(default=False)
    assisted_set_at: Mapped[dt.datetime]
    place_kind: Mapped[PlaceKind | None] = mapped_column(code_enum(PlaceKind, 16))
    place_number: Mapped[int | None] = mapped_column(SmallInteger)
    ended_at: Mapped[dt.datetime | None]

    visit: Mapped[Visit] = relationship(back_populates="consumptions")
    substances: Mapped[list[ConsumptionSubstance]] = relationship(
        back_populates="consumption", cascade="all, delete-orphan"
    )

    @property
    def substance_codes(self) -> list[Substance]:
        return [row.substance for row in self.substances]

    @property
    def is_active(self) -> bool:
        return self.ended_at is None and not self.voided


class ConsumptionSubstance(Base):
    """One substance taken in a consumption (a consumption may include several)."""

    __tablename__ = "consumption_substances"

    consumption_id: Mapped[int] = mapped_column(ForeignKey("consumptions.id", ondelete="CASCADE"), primary_key=True)
    substance: Mapped[Substance] = mapped_column(code_enum(Substance), primary_key=True)

    consumption: Mapped[Consumption] = relationship(back_populates="substances")


class Emergency(RoomEvent, Base):
    """An overdose or poisoning: onset (``occurred_at``), type, severity, outcome, actions."""

    __tablename__ = "emergencies"

    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)
    consumption_id: Mapped[int | None] = mapped_column(ForeignKey("consumptions.id"), index=True)
    type: Mapped[EmergencyType] = mapped_column(code_enum(EmergencyType), default=EmergencyType.U)
    severity: Mapped[Severity | None] = mapped_column(code_enum(Severity))
    outcome: Mapped[EmergencyOutcome | None] = mapped_column(code_enum(EmergencyOutcome))
    outcome_at: Mapped[dt.datetime | None]
    #: A short clinical note filled in afterwards; the form warns to write no names.
    note: Mapped[str | None] = mapped_column(String(500))

    visit: Mapped[Visit | None] = relationship()
    consumption: Mapped[Consumption | None] = relationship()
    actions: Mapped[list[EmergencyActionRecord]] = relationship(
        back_populates="emergency", order_by="EmergencyActionRecord.occurred_at"
    )

    @property
    def is_active(self) -> bool:
        return self.outcome is None and not self.voided


class EmergencyActionRecord(RoomEvent, Base):
    """One timestamped action in an emergency (one row per naloxone dose)."""

    __tablename__ = "emergency_actions"

    emergency_id: Mapped[int] = mapped_column(ForeignKey("emergencies.id"), index=True)
    action: Mapped[EmergencyAction] = mapped_column(code_enum(EmergencyAction))
    naloxone_route: Mapped[NaloxoneRoute | None] = mapped_column(code_enum(NaloxoneRoute, 8))
    naloxone_dose_mg: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    oxygen_phase: Mapped[OxygenPhase | None] = mapped_column(code_enum(OxygenPhase, 8))

    emergency: Mapped[Emergency] = relationship(back_populates="actions")


class Referral(RoomEvent, Base):
    """A referral or bridge to another service."""

    __tablename__ = "referrals"

    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)
    target: Mapped[ReferralTarget] = mapped_column(code_enum(ReferralTarget))
    mode: Mapped[ReferralMode] = mapped_column(code_enum(ReferralMode), default=ReferralMode.REFERRAL)


class ServiceRecord(RoomEvent, Base):
    """Another service given, with a quantity (equipment, naloxone kits, conversations …)."""

    __tablename__ = "services"

    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)
    service: Mapped[ServiceCode] = mapped_column(code_enum(ServiceCode))
    quantity: Mapped[int] = mapped_column(default=1)


class Incident(RoomEvent, Base):
    """An incident in the room; the narrative is never exported and must hold no names."""

    __tablename__ = "incidents"

    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)
    type: Mapped[IncidentType] = mapped_column(code_enum(IncidentType))
    narrative: Mapped[str] = mapped_column(Text, default="")


#: Every kind of record that counts in a month, by the name its audit entries give it (``AuditEntry.entity``).
EVENT_KINDS: dict[str, type[RoomEvent]] = {
    "visit": Visit,
    "consumption": Consumption,
    "emergency": Emergency,
    "emergency_action": EmergencyActionRecord,
    "referral": Referral,
    "service": ServiceRecord,
    "incident": Incident,
}
EVENT_MODELS: tuple[type[RoomEvent], ...] = tuple(EVENT_KINDS.values())

# Reports and checks read one room over a run of service days: this index seeks straight to it
# (the single-column indexes make the database walk every record of the room).
for _model in EVENT_MODELS:
    Index(f"ix_{_model.__tablename__}_room_id_service_day", _model.room_id, _model.service_day)

# "Was this visitor here before?" (new visitors of a month) seeks one visitor's visits by day, at
# any history length; the index also serves every look-up by visitor alone.
Index("ix_visits_visitor_id_service_day", Visit.visitor_id, Visit.service_day)
