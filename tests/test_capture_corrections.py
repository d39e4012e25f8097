"""Corrections and voids: a reason, a diff in the audit log, history on the record, who may."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.calendar import month_start
from roomlog.models import AuditEntry, Consumption, Referral, ServiceRecord
from roomlog.models.base import utcnow
from roomlog.models.codes import PeriodState, ReferralTarget, Role
from roomlog.models.room_months import PeriodStatus
from tests.support.apps import AuthActions
from tests.support.capture import key, one_tap_visit, staffed_room, visit
from tests.support.factories import Factory


def _referral(client: FlaskClient, room_id: int, visit_id: int) -> int:
    client.post(f"/rooms/{room_id}/visits/{visit_id}/referrals", data={"idempotency_key": key(), "target": "ost"})
    return visit_id


def test_staff_corrects_own_entry_today_with_history(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    _referral(client, room.id, visit(client, room))
    referral = dbs.scalars(select(Referral)).one()
    url = f"/rooms/{room.id}/records/referral/{referral.id}"
    assert client.post(f"{url}/correct", data={"target": "hat"}).status_code == 400  # no reason
    response = client.post(f"{url}/correct", data={"target": "hat", "mode": "referral", "reason": "wrong button"})
    assert response.status_code == 303
    dbs.expire_all()
    assert dbs.get(Referral, referral.id).target == ReferralTarget.HAT
    entry = dbs.scalars(select(AuditEntry).where(AuditEntry.action == "referral.correct")).one()
    assert entry.changes == {"target": ["ost", "hat"]} and entry.reason == "wrong button"
    page = client.get(url).get_data(as_text=True)
    assert 'data-audit="referral.create"' in page and 'data-audit="referral.correct"' in page
    assert "wrong button" in page and "substitutionsbehandling → heroinbehandling" in page  # labels, not codes
    client.post(f"{url}/void", data={"reason": "duplicate"})
    dbs.expire_all()
    row = dbs.get(Referral, referral.id)
    assert row.voided and row.void_reason == "duplicate" and row.voided_by_id is not None
    assert 'data-audit="referral.void"' in client.get(url).get_data(as_text=True)


def test_other_staff_and_earlier_days_need_a_lead(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, author = staffed_room(make, auth)
    old = make.service(room, occurred_at=utcnow() - dt.timedelta(days=2), recorded_by_id=author.id)
    url = f"/rooms/{room.id}/records/service/{old.id}"
    assert client.post(f"{url}/correct", data={"quantity": "3", "reason": "typo"}).status_code == 403
    assert client.post(f"{url}/void", data={"reason": "typo"}).status_code == 403
    auth.logout()
    make.user(Role.STAFF, rooms=[room], username="colleague")
    auth.login("colleague")
    today = make.service(room, recorded_by_id=author.id)
    assert client.post(f"/rooms/{room.id}/records/service/{today.id}/void", data={"reason": "x"}).status_code == 403
    auth.logout()
    make.user(Role.LEAD, rooms=[room], username="lead")
    auth.login("lead")
    assert client.post(f"{url}/correct", data={"quantity": "3", "reason": "typo"}).status_code == 303
    dbs.expire_all()
    assert dbs.get(ServiceRecord, old.id).quantity == 3


def test_moving_a_record_to_an_earlier_day_marks_it_backdated(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _lead = staffed_room(make, auth, role=Role.LEAD)
    row = make.service(room)
    original_day = row.service_day
    earlier = (dt.datetime.now() - dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    url = f"/rooms/{room.id}/records/service/{row.id}/correct"
    assert client.post(url, data={"occurred_at": earlier, "reason": "entered late"}).status_code == 303
    dbs.expire_all()
    moved = dbs.get(ServiceRecord, row.id)
    assert moved.backdated and moved.service_day < original_day


def test_approved_month_needs_lead_and_locked_month_is_409(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _lead = staffed_room(make, auth, role=Role.LEAD)
    row = make.referral(room)
    dbs.add(PeriodStatus(room_id=room.id, month=month_start(row.service_day), state=PeriodState.APPROVED))
    dbs.commit()
    url = f"/rooms/{room.id}/records/referral/{row.id}/correct"
    assert client.post(url, data={"target": "gp", "reason": "after approval"}).status_code == 303
    status = dbs.scalars(select(PeriodStatus)).one()
    dbs.refresh(status)
    assert status.changes_since_approval == 1
    status.state = PeriodState.ACCEPTED
    dbs.commit()
    assert client.post(url, data={"target": "hat", "reason": "too late"}).status_code == 409
    anonymous = one_tap_visit(client, room)
    assert anonymous.status_code == 409  # new records in an accepted month are refused too


def test_consumption_correction_keeps_a_substance_and_stamps_assisted(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, user = staffed_room(make, auth)
    row = make.consumption(make.visit(room), room, recorded_by_id=user.id)
    first_set = row.assisted_set_at
    url = f"/rooms/{room.id}/records/consumption/{row.id}"
    base = {"route": "inject", "assisted": "no", "reason": "fix"}
    assert client.post(f"{url}/correct", data={**base, "substances": [""]}).status_code == 400
    response = client.post(f"{url}/correct", data={**base, "assisted": "yes", "substances": ["heroin", "cocaine"]})
    assert response.status_code == 303
    dbs.expire_all()
    fixed = dbs.get(Consumption, row.id)
    assert fixed.assisted and fixed.assisted_set_at > first_set
    assert sorted(s.value for s in fixed.substance_codes) == ["cocaine", "heroin"]
    entry = dbs.scalars(select(AuditEntry).where(AuditEntry.action == "consumption.correct")).one()
    assert entry.changes == {"assisted": [False, True], "substances": [["heroin"], ["cocaine", "heroin"]]}
    page = client.get(url).get_data(as_text=True)
    assert 'data-audit="consumption.correct"' in page
