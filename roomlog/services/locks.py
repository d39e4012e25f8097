"""Month locks and approval status: which room-months may still be changed, and by whom.

A month is *locked* when the municipality has accepted it, or when the automatic lock date
(``lock_after_days`` after month end, the app's ``LOCK_AFTER_DAYS``) has passed and no lead
has granted an exception that is still running (the pure rule is ``models.room_months.is_locked``).
In an *approved* month that is not locked, only a lead may change records, and only with a
reason; each such change is counted as "changed since approval".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from roomlog.calendar import format_month, month_start, today_local
from roomlog.messages import N_
from roomlog.models import PeriodStatus, Room, User
from roomlog.models.codes import PeriodState, Role
from roomlog.models.room_months import is_locked
from roomlog.services import Conflict, DomainError, NotAllowed

_STATUS_TABLE = PeriodStatus.__table__
_HAS_STATUS = (
    select(_STATUS_TABLE.c.id)
    .where(_STATUS_TABLE.c.room_id == bindparam("room_id"), _STATUS_TABLE.c.month == bindparam("month"))
    .limit(1)
)


def get_status(session: Session, room_id: int, month: dt.date) -> PeriodStatus | None:
    """Return the status row of a room-month, if one exists (no row means open)."""
    return session.scalar(
        select(PeriodStatus).where(PeriodStatus.room_id == room_id, PeriodStatus.month == month_start(month))
    )


def _has_status(session: Session, room_id: int, month: dt.date) -> bool:
    """Return whether a room-month has a status row, cheaply (most months being entered have none)."""
    session.flush()
    found = session.connection().execute(_HAS_STATUS, {"room_id": room_id, "month": month_start(month)})
    return found.first() is not None


def get_or_create_status(session: Session, room_id: int, month: dt.date) -> PeriodStatus:
    """Return the status row of a room-month, adding an open one if missing."""
    status = get_status(session, room_id, month)
    if status is None:
        status = PeriodStatus(room_id=room_id, month=month_start(month), state=PeriodState.OPEN)
        session.add(status)
        session.flush()
    return status


#: ``LOCK_AFTER_DAYS`` when no app has said otherwise.
DEFAULT_LOCK_AFTER_DAYS = 15
_lock_days: Callable[[], int] = lambda: DEFAULT_LOCK_AFTER_DAYS  # noqa: E731 - replaced by the app factory


def provide_lock_days(provider: Callable[[], int]) -> None:
    """Let the app factory say where the lock period comes from (its ``LOCK_AFTER_DAYS``, read when asked)."""
    global _lock_days
    _lock_days = provider


def lock_days() -> int:
    """The app's ``LOCK_AFTER_DAYS`` (through the provider ``create_app`` registered)."""
    return int(_lock_days())


def open_without_status(
    service_day: dt.date, *, lock_after_days: int | None = None, today: dt.date | None = None
) -> bool:
    """Return whether a change dated ``service_day`` is allowed if its month has no status row (not past its lock date).

    Then :func:`check_change_allowed` refuses nothing as long as no status row exists: a writer
    may check that in its insert (:func:`no_status_sql`) instead of asking first.
    """
    days = lock_days() if lock_after_days is None else lock_after_days
    return not is_locked(None, month_start(service_day), today or today_local(), days)


def no_status_sql(room_id: int, service_day: dt.date) -> tuple[str, list[Any]]:
    """Return the SQL condition "the room-month of ``service_day`` has no status row" and its values (PostgreSQL)."""
    return "NOT EXISTS (SELECT 1 FROM period_status WHERE room_id = %s AND month = %s)", [
        room_id,
        month_start(service_day),
    ]


def check_change_allowed(
    session: Session,
    room: Room,
    service_day: dt.date,
    user: User,
    reason: str | None,
    *,
    lock_after_days: int | None = None,
    today: dt.date | None = None,
) -> PeriodStatus | None:
    """Refuse a change dated on ``service_day`` unless its month allows it; count changes to approved months.

    Raises ``Conflict`` (409) for a locked month, ``NotAllowed`` (403) for a non-lead in an
    approved month, and ``DomainError`` when an approved month is changed without a reason.
    """
    month = month_start(service_day)
    status = get_status(session, room.id, month) if _has_status(session, room.id, month) else None
    today = today or today_local()
    days = lock_days() if lock_after_days is None else lock_after_days
    if is_locked(status, month, today, days):
        raise Conflict(
            N_("%(month)s is locked. A lead must reopen the month (with a reason) before it can change."),
            month=format_month(month),
        )
    if status is not None and status.state == PeriodState.APPROVED:
        if user.role != Role.LEAD:
            raise NotAllowed(N_("%(month)s is approved: only a lead can change it."), month=format_month(month))
        if not (reason or "").strip():
            raise DomainError(N_("%(month)s is approved: give a reason for the change."), month=format_month(month))
        status.changes_since_approval += 1
        session.flush()
    return status
