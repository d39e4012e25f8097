"""Month approval service: checks, password, snapshot, accept, reopen, lock exception, changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from roomlog.extensions import db
from roomlog.models import AuditEntry, MonthlyAggregate, MonthlyHistory, Room, User
from roomlog.models.codes import EmergencyOutcome, PeriodState, Role
from roomlog.reporting import compute, periods
from roomlog.services import Conflict, DomainError, NotAllowed
from roomlog.services.approval import accept_month, approve_month, grant_lock_exception, reopen_month
from roomlog.services.locks import check_change_allowed, get_status

#: Models and services on one connection, each test rolled back (tests/support/rollback.py).
pytestmark = pytest.mark.rollback

MARCH = dt.date(2026, 3, 1)
TODAY = dt.date(2026, 4, 3)
PASSWORD = "correct horse battery staple"


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def setup(make):
    room = make.room(municipality="101")
    lead = make.user(Role.LEAD, rooms=[room])
    visit = make.visit(room, at(2), left_at=at(2, 13))
    make.consumption(visit, room)
    return room, lead, visit


def _load(room: Room, user: User) -> tuple[Room, User]:
    return db.session.get(Room, room.id), db.session.get(User, user.id)


def test_approve_stores_a_snapshot_read_by_later_reports(app, make, setup):
    room, lead, _ = setup
    with app.app_context():
        r, u = _load(room, lead)
        status = approve_month(db.session, r, MARCH, u, password=PASSWORD, today=TODAY)
        db.session.commit()
        assert status.state == PeriodState.APPROVED and status.approved_by_id == lead.id
        stored = {a.indicator: a.value for a in db.session.scalars(select(MonthlyAggregate))}
        assert stored["visits.total"] == Decimal(1) and stored["consumptions.total"] == Decimal(1)
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "month.approve")) is not None
    make.visit(room, at(3), left_at=at(3, 13))  # entered after approval: the snapshot still says 1
    with app.app_context():
        report = compute(db.session, [room.id], periods.month(MARCH))
        assert report.per_room[room.id]["visits.total"] == 1 and not report.provisional
        r, u = _load(room, lead)
        approve_month(db.session, r, MARCH, u, password=PASSWORD, today=TODAY)  # re-approval replaces it
        db.session.commit()
        assert compute(db.session, [room.id], periods.month(MARCH)).per_room[room.id]["visits.total"] == 2
        assert db.session.query(MonthlyAggregate).filter_by(indicator="visits.total").count() == 1


def test_a_month_of_imported_history_alone_is_not_approved_but_history_beside_events_is(app, make, setup):
    room, lead, _ = setup
    february = dt.date(2026, 2, 1)
    with app.app_context():
        for month in (february, MARCH):  # February: history only; March: history and the fixture's events
            db.session.add(MonthlyHistory(room_id=room.id, month=month, indicator="visits.total", value=40))
        db.session.commit()
        r, u = _load(room, lead)
        with pytest.raises(Conflict, match="imported history"):
            approve_month(db.session, r, february, u, password=PASSWORD, today=TODAY)
        db.session.rollback()
        r, u = _load(room, lead)
        assert approve_month(db.session, r, MARCH, u, password=PASSWORD, today=TODAY).state == PeriodState.APPROVED
        db.session.commit()
        assert compute(db.session, [room.id], periods.month(MARCH)).per_room[room.id]["visits.total"] == 1


def test_approve_needs_the_password_a_lead_and_a_finished_month(app, make, setup):
    room, lead, _ = setup
    staff = make.user(Role.STAFF, rooms=[room])
    other_lead = make.user(Role.LEAD, rooms=[make.room()])
    with app.app_context():
        r, u = _load(room, lead)
        with pytest.raises(NotAllowed):
            approve_month(db.session, r, MARCH, u, password="wrong", today=TODAY)
        with pytest.raises(DomainError):
            approve_month(db.session, r, MARCH, u, password=PASSWORD, today=dt.date(2026, 3, 31))
        for who in (staff, other_lead):
            with pytest.raises(NotAllowed):
                approve_month(db.session, r, MARCH, db.session.get(User, who.id), password=PASSWORD, today=TODAY)
        db.session.rollback()
        assert get_status(db.session, room.id, MARCH) is None


def test_checks_block_approval_and_backdated_entries_need_review(app, make, setup):
    room, lead, visit = setup
    emergency = make.emergency(visit, room)  # no outcome yet
    with app.app_context():
        r, u = _load(room, lead)
        with pytest.raises(DomainError, match="The validation checks must pass"):
            approve_month(db.session, r, MARCH, u, password=PASSWORD, today=TODAY)
        db.session.rollback()
    make.session.get(type(emergency), emergency.id).outcome = EmergencyOutcome.RECOVERED_ON_SITE
    make.session.commit()
    make.visit(room, at(20), left_at=at(20, 13), backdated=True)
    with app.app_context():
        r, u = _load(room, lead)
        with pytest.raises(DomainError, match="reviewed the back-dated entries"):
            approve_month(db.session, r, MARCH, u, password=PASSWORD, today=TODAY)
        db.session.rollback()
        approve_month(db.session, r, MARCH, u, password=PASSWORD, backdated_reviewed=True, today=TODAY)


def test_accept_reopen_and_changes_since_approval(app, make, setup):
    room, lead, _ = setup
    kommune = make.user(Role.MUNICIPALITY, municipality="101")
    other_kommune = make.user(Role.MUNICIPALITY, municipality="461")
    with app.app_context():
        r, u = _load(room, lead)
        k = db.session.get(User, kommune.id)
        with pytest.raises(Conflict):
            accept_month(db.session, r, MARCH, k)  # not approved yet
        approve_month(db.session, r, MARCH, u, password=PASSWORD, today=TODAY)
        # An edit after approval needs a lead and a reason, and is counted.
        with pytest.raises(DomainError):
            check_change_allowed(db.session, r, dt.date(2026, 3, 2), u, "", lock_after_days=15, today=TODAY)
        check_change_allowed(db.session, r, dt.date(2026, 3, 2), u, "typo in route", lock_after_days=15, today=TODAY)
        status = get_status(db.session, room.id, MARCH)
        assert status is not None and status.changed_since_approval and status.changes_since_approval == 1
        with pytest.raises(Conflict):
            accept_month(db.session, r, MARCH, k)  # changed since approval: approve again first
        approve_month(db.session, r, MARCH, u, password=PASSWORD, today=TODAY)
        assert status.changes_since_approval == 0
        with pytest.raises(NotAllowed):
            accept_month(db.session, r, MARCH, db.session.get(User, other_kommune.id))
        accept_month(db.session, r, MARCH, k)
        assert status.state == PeriodState.ACCEPTED
        with pytest.raises(NotAllowed):
            reopen_month(db.session, r, MARCH, u, "lead cannot undo acceptance")
        with pytest.raises(DomainError):
            reopen_month(db.session, r, MARCH, k, "  ")
        reopen_month(db.session, r, MARCH, k, "figures questioned")
        assert status.state == PeriodState.APPROVED
        reopen_month(db.session, r, MARCH, u, "wrong substance in 12 records")
        assert status.state == PeriodState.OPEN
        assert db.session.query(MonthlyAggregate).count() == 0
        reasons = [e.reason for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action == "month.reopen"))]
        assert reasons == ["figures questioned", "wrong substance in 12 records"]


def test_lock_exception_keeps_a_month_open(app, make, setup):
    room, lead, _ = setup
    late = dt.date(2026, 5, 20)  # past the 15-day lock
    with app.app_context():
        r, u = _load(room, lead)
        with pytest.raises(Conflict):
            check_change_allowed(db.session, r, dt.date(2026, 3, 2), u, "x", lock_after_days=15, today=late)
        with pytest.raises(DomainError):
            grant_lock_exception(db.session, r, MARCH, u, late + dt.timedelta(days=7), "", today=late)
        with pytest.raises(DomainError):
            grant_lock_exception(db.session, r, MARCH, u, late - dt.timedelta(days=1), "late invoices", today=late)
        grant_lock_exception(db.session, r, MARCH, u, late + dt.timedelta(days=7), "late paper forms", today=late)
        check_change_allowed(db.session, r, dt.date(2026, 3, 2), u, "x", lock_after_days=15, today=late)
        with pytest.raises(Conflict):
            check_change_allowed(
                db.session, r, dt.date(2026, 3, 2), u, "x", lock_after_days=15, today=late + dt.timedelta(days=8)
            )
