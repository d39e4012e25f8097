"""Permits per room with their history, and the state co-financing pool: applications, years, payments.

Amounts are whole Danish kroner stored as integers (never floats).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from roomlog.models.base import Base, code_enum, intpk, utcnow
from roomlog.models.codes import ApplicationState, DecisionOutcome, PaymentKind, PaymentState, PermitStatus
from roomlog.models.organisation import Municipality, Room


class PermitEvent(Base):
    """One step of a room's permit (planned, applied, granted, refused, withdrawn) with its date."""

    __tablename__ = "permit_events"

    id: Mapped[intpk]
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    status: Mapped[PermitStatus] = mapped_column(code_enum(PermitStatus))
    on_date: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class PoolApplication(Base):
    """A municipality's application to the pool for one room: draft → submitted → decided."""

    __tablename__ = "pool_applications"

    id: Mapped[intpk]
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    state: Mapped[ApplicationState] = mapped_column(code_enum(ApplicationState), default=ApplicationState.DRAFT)
    establishment_budget_kr: Mapped[int] = mapped_column(default=0)
    establishment_requested_kr: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[dt.datetime | None]
    permit_at_submit: Mapped[PermitStatus | None] = mapped_column(code_enum(PermitStatus))
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[DecisionOutcome | None] = mapped_column(code_enum(DecisionOutcome))
    decision_reason: Mapped[str] = mapped_column(String(1000), default="")
    establishment_granted_kr: Mapped[int] = mapped_column(default=0)

    room: Mapped[Room] = relationship()
    municipality: Mapped[Municipality] = relationship()
    years: Mapped[list[PoolApplicationYear]] = relationship(
        back_populates="application", order_by="PoolApplicationYear.year", cascade="all, delete-orphan"
    )
    payments: Mapped[list[PoolPayment]] = relationship(back_populates="application", order_by="PoolPayment.id")


class PoolApplicationYear(Base):
    """One operating year of an application: budget, the state co-financing asked and granted, own funding."""

    __tablename__ = "pool_application_years"
    __table_args__ = (UniqueConstraint("application_id", "year"),)

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(ForeignKey("pool_applications.id"), index=True)
    year: Mapped[int]
    operating_budget_kr: Mapped[int] = mapped_column(default=0)
    operating_requested_kr: Mapped[int] = mapped_column(default=0)
    municipal_funding_kr: Mapped[int] = mapped_column(default=0)
    operating_granted_kr: Mapped[int] = mapped_column(default=0)

    application: Mapped[PoolApplication] = relationship(back_populates="years")


class PoolPayment(Base):
    """A payment from the pool: committed → paid, or withheld with a reason."""

    __tablename__ = "pool_payments"

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(ForeignKey("pool_applications.id"), index=True)
    kind: Mapped[PaymentKind] = mapped_column(code_enum(PaymentKind))
    #: The operating year (``None`` for establishment).
    year: Mapped[int | None]
    amount_kr: Mapped[int]
    state: Mapped[PaymentState] = mapped_column(code_enum(PaymentState), default=PaymentState.COMMITTED)
    reason: Mapped[str] = mapped_column(String(500), default="")
    committed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    committed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    settled_at: Mapped[dt.datetime | None]
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The one-time key of the form that committed it: a double click or a resent form commits once.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    application: Mapped[PoolApplication] = relationship(back_populates="payments")
