"""The state of each room-month of a period as shown outside the room (never its figures)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.calendar import today_local
from roomlog.models import MonthlyHistory, PeriodStatus
from roomlog.models.codes import PeriodState
from roomlog.models.room_months import is_locked
from roomlog.reporting.publication.units import RoomInfo
from roomlog.reporting.windows import Window


def month_states(
    session: Session,
    window: Window,
    rooms: Sequence[RoomInfo],
    lock_after_days: int,
    today: dt.date | None = None,
    *,
    every_month: bool = False,
) -> list[tuple[int, dt.date, str]]:
    """``(room_id, month, state)``: ``open``, ``approved``, ``accepted``, ``locked`` or ``history``.

    Months in the future or before the room opened are left out, or with ``every_month``
    given the state ``none``.
    """
    ids = tuple(r.id for r in rooms)
    first, last = window.period.first, window.period.last
    rows = session.scalars(
        select(PeriodStatus).where(PeriodStatus.room_id.in_(ids), PeriodStatus.month.between(first, last))
    )
    status = {(s.room_id, s.month): s for s in rows}
    history = set(
        session.execute(
            select(MonthlyHistory.room_id, MonthlyHistory.month)
            .where(MonthlyHistory.room_id.in_(ids), MonthlyHistory.month.between(first, last))
            .distinct()
        )
    )
    today = today or today_local()
    out = []
    for room in rooms:
        for month in window.period.months:
            if month > today or (room.first_month is not None and month < room.first_month):
                if every_month:
                    out.append((room.id, month, "none"))
                continue
            row, in_history = status.get((room.id, month)), (room.id, month) in history
            out.append((room.id, month, room_month_state(row, in_history, month, today, lock_after_days)))
    return out


def room_month_state(
    row: PeriodStatus | None, in_history: bool, month: dt.date, today: dt.date, lock_after_days: int
) -> str:
    """``approved`` or ``accepted`` (its status), else ``history``, ``locked`` or ``open``: a month the room is open."""
    if row is not None and row.state != PeriodState.OPEN:
        return str(row.state.value)
    if in_history:
        return "history"
    if is_locked(row, month, today, lock_after_days):
        return "locked"
    return "open"
