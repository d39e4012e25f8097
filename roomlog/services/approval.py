"""Month approval: a lead approves (password again, checks pass), the municipality accepts,
going back needs a reason, and a lead may keep a month open past its automatic lock date.

Approving stores every indicator of the room-month as a snapshot (``MonthlyAggregate``)
with its visitor-id sets (``RoomVisitorSet``) and the page's other counts (``MonthlyDetail``);
re-approval replaces them, reopening removes them. Every step writes an audit entry. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from roomlog.calendar import format_month, month_end, month_start, today_local
from roomlog.messages import N_, Message
from roomlog.models import MonthlyAggregate, MonthlyHistory, PeriodStatus, Room, RoomVisitorSet, User
from roomlog.models.base import utcnow
from roomlog.models.codes import PeriodState, Role
from roomlog.reporting.checks import run_checks
from roomlog.reporting.engine import compute, month_snapshot
from roomlog.reporting.periods import Period
from roomlog.reporting.visitor_sets import MonthSets, serialize
from roomlog.services import Conflict, DomainError, NotAllowed, approval_changes, audit
from roomlog.services.locks import get_or_create_status, get_status
from roomlog.services.passwords import verify_password
from roomlog.services.publication import publish_quietly

MAX_LOCK_EXCEPTION_DAYS = 92


def _require_lead(room: Room, user: User) -> None:
    if user.role != Role.LEAD or room.id not in {r.id for r in user.rooms}:
        raise NotAllowed(N_("Only a lead of the room can do this."))


def _require_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise DomainError(N_("Give a reason."))
    if len(text) > 500:
        raise DomainError(N_("The reason is too long (at most 500 characters)."))
    return text


def refusal(room: Room, month: dt.date, today: dt.date) -> Message | None:
    """Return why ``month`` can never be approved (before the room opened, or not yet over), else ``None``."""
    month = month_start(month)
    if room.opened_on is not None and month < month_start(room.opened_on):
        return Message(
            N_(
                "%(room)s opened in %(opened)s: a month before the room opened holds no records and cannot be approved."
            ),
            {"room": room.name, "opened": format_month(room.opened_on)},
        )
    if month > month_start(today):
        return Message(N_("%(month)s lies in the future and cannot be approved."), {"month": format_month(month)})
    if month_end(month) >= today:
        return Message(N_("Only a finished month can be approved."))
    return None


def _history_only(session: Session, room_id: int, month: dt.date) -> bool:
    """Whether a room-month has imported history and no events (approving it would hide the history)."""
    has_history = select(MonthlyHistory.id).where(MonthlyHistory.room_id == room_id, MonthlyHistory.month == month)
    if session.scalar(has_history.limit(1)) is None:
        return False  # no history: nothing to hide, and no need to read the month's events
    report = compute(session, [room_id], Period(month, month))
    return report.months[0].source == "history"


def write_snapshot(session: Session, room: Room, month: dt.date) -> int:
    """Replace the snapshot of a room-month and its visitor sets with what its events say now."""
    month = month_start(month)
    values, month_sets = month_snapshot(session, room.id, month)
    drop_snapshot(session, room.id, month)
    rows = [
        MonthlyAggregate(room_id=room.id, month=month, indicator=code, value=Decimal(value))
        for code, value in values.items()
        if value is not None
    ]
    session.add_all(rows)
    _add_visitor_sets(session, room.id, month, month_sets)
    approval_changes.write_detail(session, room.id, month)
    session.flush()
    return len(rows)


def _add_visitor_sets(session: Session, room_id: int, month: dt.date, month_sets: MonthSets) -> None:
    visitors, first_seen, groups = serialize(month_sets)
    session.add(RoomVisitorSet(room_id=room_id, month=month, visitors=visitors, first_seen=first_seen, groups=groups))


def ensure_visitor_sets(session: Session, room_id: int, month: dt.date) -> bool:
    """Store the visitor sets of a closed room-month that has none yet (from its events); True if stored."""
    month = month_start(month)
    found = session.scalar(
        select(RoomVisitorSet.id).where(RoomVisitorSet.room_id == room_id, RoomVisitorSet.month == month)
    )
    if found is not None:
        return False
    _add_visitor_sets(session, room_id, month, month_snapshot(session, room_id, month)[1])
    session.flush()
    return True


def drop_snapshot(session: Session, room_id: int, month: dt.date) -> None:
    """Remove the snapshot of a room-month and its visitor sets (the month is open again)."""
    session.execute(
        delete(MonthlyAggregate).where(MonthlyAggregate.room_id == room_id, MonthlyAggregate.month == month)
    )
    session.execute(delete(RoomVisitorSet).where(RoomVisitorSet.room_id == room_id, RoomVisitorSet.month == month))
    approval_changes.drop_detail(session, room_id, month)


def approve_month(
    session: Session,
    room: Room,
    month: dt.date,
    user: User,
    *,
    password: str | None,
    backdated_reviewed: bool = False,
    require_password: bool = True,
    today: dt.date | None = None,
    publish: bool = True,
) -> PeriodStatus:
    """Approve (or re-approve) a finished month: checks pass, password again, snapshot stored, due periods published.

    ``publish=False`` leaves publishing to the caller (a bulk load publishes once at the end).
    """
    _require_lead(room, user)
    month = month_start(month)
    refused = refusal(room, month, today or today_local())
    if refused:
        raise DomainError(refused.msgid, **refused.params)
    if require_password and not verify_password(user.password_hash, password or ""):
        raise NotAllowed(N_("The password was not right. The month was not approved."))
    status = get_or_create_status(session, room.id, month)
    if status.state == PeriodState.ACCEPTED:
        raise Conflict(N_("The municipality has accepted this month; it must withdraw its acceptance first."))
    if _history_only(session, room.id, month):
        raise Conflict(N_("This month holds imported history, which counts as approved."))
    checks = run_checks(session, room.id, month)
    failing = [c for c in checks if c.blocking and not c.ok]
    if failing:
        raise DomainError(N_("The validation checks must pass before the month can be approved."))
    if any(not c.blocking and not c.ok for c in checks) and not backdated_reviewed:
        raise DomainError(N_("Confirm that you have reviewed the back-dated entries."))
    was = status.state.value
    status.state = PeriodState.APPROVED
    status.approved_at = utcnow()
    status.approved_by_id = user.id
    changes = status.changes_since_approval
    status.changes_since_approval = 0
    stored = write_snapshot(session, room, month)
    audit.record(
        session,
        "month.approve",
        user_id=user.id,
        room_id=room.id,
        entity="period_status",
        entity_id=status.id,
        changes={
            "month": format_month(month),
            "state": [was, "approved"],
            "snapshot_values": stored,
            "changes_since_approval": changes,
        },
    )
    if publish:
        publish_quietly(session, today)
    return status


def accept_month(session: Session, room: Room, month: dt.date, user: User, *, publish: bool = True) -> PeriodStatus:
    """Accept an approved month of a room in the municipality user's own municipality (and publish what is due)."""
    if user.role != Role.MUNICIPALITY or user.municipality_code != room.municipality_code:
        raise NotAllowed(N_("Only the room's municipality can accept its months."))
    month = month_start(month)
    status = get_status(session, room.id, month)
    if status is None or status.state != PeriodState.APPROVED:
        raise Conflict(N_("Only an approved month can be accepted."))
    if status.changes_since_approval:
        raise Conflict(N_("The month changed after approval; the lead must approve it again first."))
    status.state = PeriodState.ACCEPTED
    status.accepted_at = utcnow()
    status.accepted_by_id = user.id
    audit.record(
        session,
        "month.accept",
        user_id=user.id,
        room_id=room.id,
        entity="period_status",
        entity_id=status.id,
        changes={"month": format_month(month), "state": ["approved", "accepted"]},
    )
    if publish:
        publish_quietly(session)
    return status


def reopen_month(session: Session, room: Room, month: dt.date, user: User, reason: str | None) -> PeriodStatus:
    """Go back one step with a reason: the municipality withdraws acceptance, a lead reopens approval."""
    text = _require_reason(reason)
    month = month_start(month)
    status = get_status(session, room.id, month)
    if status is None or status.state == PeriodState.OPEN:
        raise Conflict(N_("The month is already open."))
    if status.state == PeriodState.ACCEPTED:
        if user.role != Role.MUNICIPALITY or user.municipality_code != room.municipality_code:
            raise NotAllowed(N_("Only the room's municipality can withdraw its acceptance."))
        was, status.state = "accepted", PeriodState.APPROVED
        status.accepted_at = status.accepted_by_id = None
    else:
        _require_lead(room, user)
        was, status.state = "approved", PeriodState.OPEN
        status.approved_at = status.approved_by_id = None
        status.changes_since_approval = 0
        drop_snapshot(session, room.id, month)
    audit.record(
        session,
        "month.reopen",
        user_id=user.id,
        room_id=room.id,
        entity="period_status",
        entity_id=status.id,
        changes={"month": format_month(month), "state": [was, status.state.value]},
        reason=text,
    )
    session.flush()
    return status


def grant_lock_exception(
    session: Session,
    room: Room,
    month: dt.date,
    user: User,
    until: dt.date,
    reason: str | None,
    *,
    today: dt.date | None = None,
) -> PeriodStatus:
    """Keep a month open for changes past its automatic lock date, until ``until``."""
    _require_lead(room, user)
    text = _require_reason(reason)
    today = today or today_local()
    if not today <= until <= today + dt.timedelta(days=MAX_LOCK_EXCEPTION_DAYS):
        raise DomainError(
            N_("The exception must end between today and %(days)s days from now."), days=MAX_LOCK_EXCEPTION_DAYS
        )
    status = get_or_create_status(session, room.id, month)
    if status.state == PeriodState.ACCEPTED:
        raise Conflict(N_("The municipality has accepted this month; it must withdraw its acceptance first."))
    before = status.lock_exception_until
    status.lock_exception_until = until
    status.lock_exception_reason = text
    audit.record(
        session,
        "month.lock_exception",
        user_id=user.id,
        room_id=room.id,
        entity="period_status",
        entity_id=status.id,
        changes={"month": format_month(month_start(month)), "lock_exception_until": [before, until]},
        reason=text,
    )
    session.flush()
    return status
