"""Month locks and approved months: who may change what (pure rules and the service)."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from roomlog.models import PeriodStatus
from roomlog.models.codes import PeriodState, Role
from roomlog.models.room_months import is_locked, lock_date
from roomlog.services import Conflict, DomainError, NotAllowed
from roomlog.services.locks import check_change_allowed
from tests.support.factories import Factory

#: Models and services on one connection, each test rolled back (tests/support/rollback.py).
pytestmark = pytest.mark.rollback

MARCH = dt.date(2026, 3, 1)


def test_lock_date_is_days_after_month_end() -> None:
    assert lock_date(MARCH, 15) == dt.date(2026, 4, 15)
    assert lock_date(dt.date(2024, 2, 1), 0) == dt.date(2024, 2, 29)


def test_is_locked_rules() -> None:
    approved = PeriodStatus(state=PeriodState.APPROVED, lock_exception_until=None)
    accepted = PeriodStatus(state=PeriodState.ACCEPTED, lock_exception_until=None)
    assert not is_locked(None, MARCH, dt.date(2026, 4, 15), 15)
    assert is_locked(None, MARCH, dt.date(2026, 4, 16), 15)
    assert not is_locked(approved, MARCH, dt.date(2026, 4, 10), 15)
    assert is_locked(accepted, MARCH, dt.date(2026, 3, 20), 15)
    excepted = PeriodStatus(state=PeriodState.APPROVED, lock_exception_until=dt.date(2026, 5, 1))
    assert not is_locked(excepted, MARCH, dt.date(2026, 4, 30), 15)
    assert is_locked(excepted, MARCH, dt.date(2026, 5, 2), 15)


def test_check_change_allowed(app: Flask, make: Factory, dbs: Session) -> None:
    room = make.room()
    staff = make.user(Role.STAFF, rooms=[room])
    lead = make.user(Role.LEAD, rooms=[room])
    day = dt.date(2026, 3, 10)
    today = dt.date(2026, 4, 2)
    with app.app_context():
        assert check_change_allowed(dbs, room, day, staff, None, lock_after_days=15, today=today) is None
        status = PeriodStatus(room_id=room.id, month=MARCH, state=PeriodState.APPROVED)
        dbs.add(status)
        dbs.flush()
        with pytest.raises(NotAllowed):
            check_change_allowed(dbs, room, day, staff, "fix", lock_after_days=15, today=today)
        with pytest.raises(DomainError):
            check_change_allowed(dbs, room, day, lead, "  ", lock_after_days=15, today=today)
        check_change_allowed(dbs, room, day, lead, "wrong route", lock_after_days=15, today=today)
        assert status.changes_since_approval == 1 and status.changed_since_approval
        with pytest.raises(Conflict):
            check_change_allowed(dbs, room, day, lead, "late", lock_after_days=15, today=dt.date(2026, 4, 20))
        status.state = PeriodState.ACCEPTED
        with pytest.raises(Conflict):
            check_change_allowed(dbs, room, day, lead, "x", lock_after_days=15, today=today)
