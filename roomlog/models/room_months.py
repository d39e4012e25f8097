"""Per room and month: approval status (and when a month locks), the approved snapshot, and imported history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, LargeBinary, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from roomlog.calendar import month_end
from roomlog.models.base import Base, code_enum, intpk, utcnow
from roomlog.models.codes import PeriodState


class PeriodStatus(Base):
    """Approval state of one room-month: open → approved (lead) → accepted (municipality)."""

    __tablename__ = "period_status"
    __table_args__ = (UniqueConstraint("room_id", "month"),)

    id: Mapped[intpk]
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    #: First day of the month.
    month: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[PeriodState] = mapped_column(code_enum(PeriodState, 16), default=PeriodState.OPEN)
    approved_at: Mapped[dt.datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[dt.datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Records changed after approval (each change needed a lead and a reason).
    changes_since_approval: Mapped[int] = mapped_column(default=0)
    #: A lead may keep a month open past the automatic lock date until this day.
    lock_exception_until: Mapped[dt.date | None] = mapped_column(Date)
    lock_exception_reason: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def changed_since_approval(self) -> bool:
        return self.state != PeriodState.OPEN and self.changes_since_approval > 0


def lock_date(month: dt.date, lock_after_days: int) -> dt.date:
    """Return the last day on which a month can still be changed without an exception."""
    return month_end(month) + dt.timedelta(days=lock_after_days)


def is_locked(status: PeriodStatus | None, month: dt.date, today: dt.date, lock_after_days: int) -> bool:
    """Return whether changes dated in ``month`` are refused (accepted, or past its lock date without an exception)."""
    if status is not None and status.state == PeriodState.ACCEPTED:
        return True
    if today <= lock_date(month, lock_after_days):
        return False
    return not (status is not None and status.lock_exception_until and today <= status.lock_exception_until)


class MonthlyAggregate(Base):
    """The value of one indicator for one room-month, frozen when the month was approved."""

    __tablename__ = "monthly_aggregates"
    __table_args__ = (UniqueConstraint("room_id", "month", "indicator"),)

    id: Mapped[intpk]
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    month: Mapped[dt.date] = mapped_column(Date)
    indicator: Mapped[str] = mapped_column(String(80))
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MonthlyHistory(Base):
    """Monthly totals from before the room used roomlog (paper, spreadsheets)."""

    __tablename__ = "monthly_history"
    __table_args__ = (UniqueConstraint("room_id", "month", "indicator"),)

    id: Mapped[intpk]
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    month: Mapped[dt.date] = mapped_column(Date)
    indicator: Mapped[str] = mapped_column(String(80))
    value: Mapped[int] = mapped_column(BigInteger)
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class YearlyHistory(Base):
    """A yearly figure from before the room used roomlog that months cannot give: distinct
    persons (``visitors.unique`` and its parts) over a whole calendar year."""

    __tablename__ = "yearly_history"
    __table_args__ = (UniqueConstraint("room_id", "year", "indicator"),)

    id: Mapped[intpk]
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    year: Mapped[int]
    indicator: Mapped[str] = mapped_column(String(80))
    value: Mapped[int] = mapped_column(BigInteger)
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class RoomVisitorSet(Base):
    """The visitor ids of one closed room-month as compressed bitmaps, stored with its snapshot.

    Unions of these sets give unique and new visitors (and their sex and age) over any rooms and
    months without reading visits; they stay after a retention purge. Ids only: no pseudonym.
    """

    __tablename__ = "room_visitor_sets"
    __table_args__ = (UniqueConstraint("room_id", "month"),)

    id: Mapped[intpk]
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    #: First day of the month.
    month: Mapped[dt.date] = mapped_column(Date)
    #: Serialized roaring bitmap of the visitors with an admitted visit in the month.
    visitors: Mapped[bytes] = mapped_column(LargeBinary)
    #: Those whose first admitted visit in this room falls in the month.
    first_seen: Mapped[bytes] = mapped_column(LargeBinary)
    #: The same ids by sex and birth year (``roomlog.reporting.visitor_sets.serialize_groups``).
    groups: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MonthlyDetail(Base):
    """A count of the monthly page that is no indicator (arrivals by weekday and hour, emergency
    actions, outcomes), frozen with the snapshot when the month was approved.

    ``item`` is ``arrivals.<weekday>.<hour>``, ``actions.<action>.emergencies``,
    ``actions.<action>.times`` or ``outcomes.<outcome|none>`` (``roomlog.reporting.detail``).
    """

    __tablename__ = "monthly_details"
    __table_args__ = (UniqueConstraint("room_id", "month", "item"),)

    id: Mapped[intpk]
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    #: First day of the month.
    month: Mapped[dt.date] = mapped_column(Date)
    item: Mapped[str] = mapped_column(String(80))
    value: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
