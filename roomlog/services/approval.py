"""Month approval: a lead approves (password again, checks pass), the municipality accepts,
going back needs a reason, and a lead may keep a month open past its automatic lock date.

Approving stores every indicator of the room-month as a snapshot (``MonthlyAggregate``);
re-approval replaces it. Every step writes an audit entry. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete
from sqlalchemy.orm import Session

from roomlog.models import MonthlyAggregate, PeriodStatus, Room, User
from roomlog.models.base import utcnow
from roomlog.models.codes import PeriodState, Role
from roomlog.reporting.checks import run_checks
from roomlog.reporting.engine import compute
from roomlog.reporting.periods import Period
from roomlog.services import Conflict, DomainError, NotAllowed, audit
from roomlog.services.passwords import verify_password
from roomlog.services.periods import get_or_create_status, get_status, today_local
from roomlog.services.publication import publish_quietly
from roomlog.services.service_days import format_month, month_end, month_start

MAX_LOCK_EXCEPTION_DAYS = 92


def _require_lead(room: Room, user: User) -> None:
    if user.role != Role.LEAD or room.id not in {r.id for r in user.rooms}:
        raise NotAllowed(_("Only a lead of the room can do this."))


def _require_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise DomainError(_("Give a reason."))
    if len(text) > 500:
        raise DomainError(_("The reason is too long (at most 500 characters)."))
    return text


def _history_only(session: Session, room_id: int, month: dt.date) -> bool:
    """Whether a room-month has imported history and no events (approving it would hide the history)."""
    report = compute(session, [room_id], Period(month, month))
    return report.months[0].source == "history"


def write_snapshot(session: Session, room: Room, month: dt.date) -> int:
    """Replace the snapshot of a room-month with every indicator computed from its events."""
    month = month_start(month)
    values = compute(session, [room.id], Period(month, month), live=True).per_room[room.id]
    session.execute(
        delete(MonthlyAggregate).where(MonthlyAggregate.room_id == room.id, MonthlyAggregate.month == month)
    )
    rows = [
        MonthlyAggregate(room_id=room.id, month=month, indicator=code, value=Decimal(value))
        for code, value in values.items()
        if value is not None
    ]
    session.add_all(rows)
    session.flush()
    return len(rows)


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
    if month_end(month) >= (today or today_local()):
        raise DomainError(_("Only a finished month can be approved."))
    if require_password and not verify_password(user.password_hash, password or ""):
        raise NotAllowed(_("The password was not right. The month was not approved."))
    status = get_or_create_status(session, room.id, month)
    if status.state == PeriodState.ACCEPTED:
        raise Conflict(_("The municipality has accepted this month; it must withdraw its acceptance first."))
    if _history_only(session, room.id, month):
        raise Conflict(_("This month holds imported history, which counts as approved."))
    checks = run_checks(session, room.id, month)
    failing = [c for c in checks if c.blocking and not c.ok]
    if failing:
        raise DomainError(_("The validation checks must pass before the month can be approved."))
    if any(not c.blocking and not c.ok for c in checks) and not backdated_reviewed:
        raise DomainError(_("Confirm that you have reviewed the back-dated entries."))
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
        raise NotAllowed(_("Only the room's municipality can accept its months."))
    month = month_start(month)
    status = get_status(session, room.id, month)
    if status is None or status.state != PeriodState.APPROVED:
        raise Conflict(_("Only an approved month can be accepted."))
    if status.changes_since_approval:
        raise Conflict(_("The month changed after approval; the lead must approve it again first."))
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
        raise Conflict(_("The month is already open."))
    if status.state == PeriodState.ACCEPTED:
        if user.role != Role.MUNICIPALITY or user.municipality_code != room.municipality_code:
            raise NotAllowed(_("Only the room's municipality can withdraw its acceptance."))
        was, status.state = "accepted", PeriodState.APPROVED
        status.accepted_at = status.accepted_by_id = None
    else:
        _require_lead(room, user)
        was, status.state = "approved", PeriodState.OPEN
        status.approved_at = status.approved_by_id = None
        status.changes_since_approval = 0
        session.execute(
            delete(MonthlyAggregate).where(MonthlyAggregate.room_id == room.id, MonthlyAggregate.month == month)
        )
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
            _("The exception must end between today and %(days)s days from now.", days=MAX_LOCK_EXCEPTION_DAYS)
        )
    status = get_or_create_status(session, room.id, month)
    if status.state == PeriodState.ACCEPTED:
        raise Conflict(_("The municipality has accepted this month; it must withdraw its acceptance first."))
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


def lock_after_days() -> int:
    """Return the configured number of days after month end a month locks."""
    return int(current_app.config["LOCK_AFTER_DAYS"])
