"""A closed month from one source, and what changed in it after approval.

Approval stores the page's non-indicator counts (``MonthlyDetail``) beside the indicator
snapshot, so a closed month's summary shows only what was approved. ``since_approval``
compares the snapshot with a live recount of the events and lists the records created,
corrected or voided after the approval (from the audit log: kind, id, times, what was done,
which fields; never a visitor code), when the month's status counted any change since approval.
Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from roomlog.calendar import month_end, month_start, service_day_of
from roomlog.models import (
    EVENT_KINDS,
    AuditEntry,
    MonthlyDetail,
    PeriodStatus,
    Room,
)
from roomlog.reporting import compute, queries
from roomlog.reporting.detail import detail_values
from roomlog.reporting.indicators import CODES
from roomlog.reporting.periods import Period
from roomlog.reporting.summary import Number, Values

#: The check on the approval panel that lists the records changed after approval.
CHECK_CODE = "changed_after_approval"


@dataclass(frozen=True)
class IndicatorChange:
    """An indicator whose recount from the events differs from the approved snapshot."""

    code: str
    approved: Number | None
    current: Number | None


@dataclass(frozen=True)
class RecordChange:
    """One change to a record of the month after approval (an audit entry)."""

    kind: str
    record_id: int
    occurred_at: dt.datetime
    changed_at: dt.datetime
    #: The audit verb: ``create``, ``correct``, ``void``, ``undo``, ``outcome``, ``action`` …
    what: str
    #: The fields a correction changed (names only).
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ChangesSinceApproval:
    """What differs between an approved month's snapshot and its records now."""

    indicators: tuple[IndicatorChange, ...]
    records: tuple[RecordChange, ...]

    def __bool__(self) -> bool:
        return bool(self.indicators or self.records)


def month_detail(session: Session, room_id: int, month: dt.date) -> dict[str, int]:
    """Count the page's non-indicator tables of a room-month from its events."""
    first, last = month_start(month), month_end(month)
    arrivals = queries.arrival_times(session, room_id, first, last)
    actions = queries.actions(session, (room_id,), first, last)
    emergencies = queries.emergencies(session, (room_id,), first, last)
    return detail_values(arrivals, actions, emergencies)


def write_detail(session: Session, room_id: int, month: dt.date) -> None:
    """Store the non-indicator counts of a room-month beside its snapshot (replacing any)."""
    month = month_start(month)
    values = month_detail(session, room_id, month)
    drop_detail(session, room_id, month)
    session.add_all(
        MonthlyDetail(room_id=room_id, month=month, item=item, value=value) for item, value in values.items()
    )


def drop_detail(session: Session, room_id: int, month: dt.date) -> None:
    """Remove the stored non-indicator counts of a room-month."""
    session.execute(
        delete(MonthlyDetail).where(MonthlyDetail.room_id == room_id, MonthlyDetail.month == month_start(month))
    )


def stored_detail(session: Session, room_id: int, month: dt.date) -> dict[str, int] | None:
    """Return the counts stored at approval, or ``None`` when the month was approved without them."""
    stmt = select(MonthlyDetail.item, MonthlyDetail.value).where(
        MonthlyDetail.room_id == room_id, MonthlyDetail.month == month_start(month)
    )
    found = {item: int(value) for item, value in session.execute(stmt)}
    return found or None


def indicator_changes(approved: Values, live: Values) -> tuple[IndicatorChange, ...]:
    """Return the indicators whose live value differs from the approved one, in dictionary order
    (a code the snapshot does not hold, stored before the indicator existed, is left out)."""
    return tuple(
        IndicatorChange(code, approved[code], live[code])
        for code in CODES
        if approved[code] is not None and approved[code] != live[code]
    )


def _old_day(room: Room, changes: Mapping[str, object] | None) -> dt.date | None:
    """The service day a corrected record had before it was moved (``occurred_at`` changed)."""
    moved = (changes or {}).get("occurred_at")
    if not isinstance(moved, list) or not moved or not isinstance(moved[0], str):
        return None
    try:
        before = dt.datetime.fromisoformat(moved[0])
    except ValueError:
        return None
    return service_day_of(before, room.service_day_cutoff) if before.tzinfo else None


def record_changes(session: Session, room: Room, month: dt.date, since: dt.datetime) -> tuple[RecordChange, ...]:
    """List the audit entries after ``since`` on records dated in ``month`` (or moved out of it).

    One statement per kind of record joins the entries to their records and keeps those dated in the
    month and the corrections (a correction may have moved its record out of the month: its old day is
    in the entry); each entry's record was loaded one by one before, a statement per capture since approval.
    """
    period = Period(month_start(month), month_start(month))
    found: list[tuple[int, RecordChange]] = []
    for kind, model in EVENT_KINDS.items():
        stmt = (
            select(AuditEntry.id, AuditEntry.at, AuditEntry.action, AuditEntry.changes)
            .add_columns(model.id, model.occurred_at, model.service_day)
            .join(model, model.id == AuditEntry.entity_id)
            .where(
                AuditEntry.room_id == room.id,
                AuditEntry.at > since,
                AuditEntry.entity == kind,
                model.room_id == room.id,
                or_(
                    model.service_day.between(period.first_day, period.last_day),
                    AuditEntry.action == f"{kind}.correct",
                ),
            )
        )
        for entry_id, at, action, changes, record_id, occurred_at, day in session.execute(stmt):
            if _as_day(day) not in period and _old_day(room, changes) not in period:
                continue
            what = action.rsplit(".", 1)[-1]
            fields = tuple(sorted(changes or {})) if what == "correct" else ()
            found.append((entry_id, RecordChange(kind, record_id, occurred_at, at, what, fields)))
    return tuple(change for _, change in sorted(found, key=lambda item: item[0]))


def _as_day(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def since_approval(
    session: Session, room: Room, month: dt.date, status: PeriodStatus, approved: Values
) -> ChangesSinceApproval:
    """Compare an approved month's snapshot with its events now and list the records changed since.

    Every change to a record dated in an approved month is counted on its status
    (``locks.check_change_allowed``, which each service calls before it writes): with none counted,
    no record of the month changed since approval, and neither the month is recounted nor the
    audit log read (the recount cost as much as the month's bare SQL).
    """
    month = month_start(month)
    if not status.changes_since_approval:
        return ChangesSinceApproval((), ())
    live = compute(session, [room.id], Period(month, month), live=True).per_room[room.id]
    records = record_changes(session, room, month, status.approved_at) if status.approved_at else ()
    return ChangesSinceApproval(indicator_changes(approved, live), records)
