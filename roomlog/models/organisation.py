"""Municipalities (kommuner) and rooms (stofindtagelsesrum)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from roomlog.models.base import Base, code_enum, intpk, utcnow
from roomlog.models.codes import OperatorType, PermitStatus, RoomModel

#: Municipalities whose official name is not «<name> Kommune» (the genitive, or a region municipality).
OFFICIAL_NAMES = {"101": "Københavns Kommune", "400": "Bornholms Regionskommune"}


def official_name(code: str, name: str) -> str:
    """A municipality's official Danish name from its code and name: «Københavns Kommune», «Odense Kommune» …"""
    return OFFICIAL_NAMES.get(code) or f"{name} Kommune"


class Municipality(Base):
    """One of the 98 Danish municipalities, keyed by its official 3-digit code."""

    __tablename__ = "municipalities"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    region: Mapped[str] = mapped_column(String(32))

    rooms: Mapped[list[Room]] = relationship(back_populates="municipality", order_by="Room.name")

    def __repr__(self) -> str:
        return f"<Municipality {self.code} {self.name}>"

    @property
    def official_name(self) -> str:
        """Return the official Danish name: «Københavns Kommune», «Odense Kommune» …"""
        return official_name(self.code, self.name)


class Room(Base):
    """A drug consumption room with its permit, places and service-day cut-off."""

    __tablename__ = "rooms"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(120), unique=True)
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"), index=True)
    operator_name: Mapped[str] = mapped_column(String(160), default="")
    operator_type: Mapped[OperatorType] = mapped_column(code_enum(OperatorType), default=OperatorType.MUNICIPAL)
    model: Mapped[RoomModel] = mapped_column(code_enum(RoomModel), default=RoomModel.SPECIALISED)
    permit_status: Mapped[PermitStatus] = mapped_column(code_enum(PermitStatus), default=PermitStatus.GRANTED)
    permit_date: Mapped[dt.date | None] = mapped_column(Date)
    opened_on: Mapped[dt.date | None] = mapped_column(Date)
    places_injection: Mapped[int] = mapped_column(default=0)
    places_smoking: Mapped[int] = mapped_column(default=0)
    assisted_allowed: Mapped[bool] = mapped_column(default=False)
    opening_hours: Mapped[str] = mapped_column(String(120), default="")
    #: Local time before which activity counts on the previous service day.
    service_day_cutoff: Mapped[dt.time] = mapped_column(Time, default=dt.time(5, 0))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    municipality: Mapped[Municipality] = relationship(back_populates="rooms")

    def __repr__(self) -> str:
        return f"<Room {self.id} {self.name}>"
