"""Voiding a visit voids what belongs to it after one confirmation (issue #11 item 4)."""

from __future__ import annotations

import datetime as dt
from uuid import uuid4

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roomlog.calendar import add_months, format_month, month_start, service_day_of, service_day_start, today_local
from roomlog.extensions import db
from roomlog.models import (
    AuditEntry,
    Consumption,
    Emergency,
    EmergencyActionRecord,
    Incident,
    Referral,
    Room,
    ServiceRecord,
    Visit,
)
from roomlog.models.base import utcnow
from roomlog.models.codes import EmergencyAction, IncidentType, Role
from roomlog.reporting import compute, periods
from roomlog.reporting.checks import run_checks
from tests.support.apps import AuthActions
from tests.support.factories import Factory

DEPENDANT_MODELS = (Consumption, Emergency, EmergencyActionRecord, Referral, ServiceRecord, Incident)


def _visit_with_everything(make: Factory, room: Room, by: int, at: dt.datetime | None = None) -> Visit:
    at = at or utcnow() - dt.timedelta(minutes=30)
    visit = make.visit(room, at, recorded_by_id=by)
    make.consumption(visit, room, recorded_by_id=by)
    make.emergency(visit, room, actions=(EmergencyAction.NALOXONE, EmergencyAction.OXYGEN), recorded_by_id=by)
    make.referral(room, visit, recorded_by_id=by)
    make.service(room, visit=visit, recorded_by_id=by)
    make.session.add(make._event(Incident, room, at, visit_id=visit.id, type=IncidentType.OTHER, recorded_by_id=by))
    make.session.commit()
    return visit


@pytest.fixture
def lead_room(make: Factory, auth: AuthActions) -> tuple[Room, int]:
    room = make.room()
    lead = make.user(Role.LEAD, rooms=[room], username="lead")
    auth.login("lead")
    return room, lead.id


def _counts(app, room: Room, month: dt.date) -> dict[str, object]:
    with app.app_context():
        values = compute(db.session, [room.id], periods.month(month), live=True).per_room[room.id]
    return {k: values[k] for k in ("visits.total", "consumptions.total", "emergencies.total", "referrals.total")}


def test_the_record_page_lists_what_voiding_the_visit_takes_along(
    client: FlaskClient, make: Factory, lead_room
) -> None:
    room, lead = lead_room
    visit = _visit_with_everything(make, room, lead)
    html = client.get(f"/rooms/{room.id}/records/visit/{visit.id}").get_data(as_text=True)
    assert 'data-void-dependants="7"' in html  # consumption, emergency, 2 actions, referral, service, incident
    for kind in ("consumption", "emergency", "emergency_action", "referral", "service", "incident"):
        assert f'data-dependant="{kind}:' in html


def test_voiding_without_the_confirmation_lists_and_changes_nothing(
    client: FlaskClient, make: Factory, dbs: Session, lead_room
) -> None:
    room, lead = lead_room
    visit = _visit_with_everything(make, room, lead)
    response = client.post(f"/rooms/{room.id}/records/visit/{visit.id}/void", data={"reason": "wrong person"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'data-void-dependants="7"' in html and 'value="wrong person"' in html
    dbs.expire_all()
    assert not any(row.voided for model in (Visit, *DEPENDANT_MODELS) for row in dbs.scalars(select(model)))


def test_one_confirmation_voids_the_visit_and_its_records_audited(
    app, client: FlaskClient, make: Factory, dbs: Session, lead_room
) -> None:
    room, lead = lead_room
    visit = _visit_with_everything(make, room, lead)
    month = month_start(visit.service_day)
    assert _counts(app, room, month) == {
        "visits.total": 1, "consumptions.total": 1, "emergencies.total": 1, "referrals.total": 1
    }  # fmt: skip
    url = f"/rooms/{room.id}/records/visit/{visit.id}"
    html = client.get(url).get_data(as_text=True)
    signature = html.split('name="dependants" value="')[1].split('"')[0]
    response = client.post(f"{url}/void", data={"reason": "wrong person", "dependants": signature})
    assert response.status_code == 303
    dbs.expire_all()
    for model in (Visit, *DEPENDANT_MODELS):
        rows = list(dbs.scalars(select(model)))
        assert rows and all(r.voided and r.void_reason == "wrong person" for r in rows), model
    entries = list(dbs.scalars(select(AuditEntry).where(AuditEntry.action.like("%.void"))))
    assert len(entries) == 8
    assert sum(1 for e in entries if (e.changes or {}).get("with") == f"visit #{visit.id}") == 7
    assert _counts(app, room, month) == {
        "visits.total": 0, "consumptions.total": 0, "emergencies.total": 0, "referrals.total": 0
    }  # fmt: skip
    # registered again (the right way), it counts once, not twice
    _visit_with_everything(make, room, lead)
    assert _counts(app, room, month) == {
        "visits.total": 1, "consumptions.total": 1, "emergencies.total": 1, "referrals.total": 1
    }  # fmt: skip


def test_a_record_added_after_the_confirmation_was_shown_asks_again(
    client: FlaskClient, make: Factory, dbs: Session, lead_room
) -> None:
    room, lead = lead_room
    visit = _visit_with_everything(make, room, lead)
    url = f"/rooms/{room.id}/records/visit/{visit.id}"
    signature = client.get(url).get_data(as_text=True).split('name="dependants" value="')[1].split('"')[0]
    make.consumption(visit, room, recorded_by_id=lead)
    response = client.post(f"{url}/void", data={"reason": "wrong person", "dependants": signature})
    assert response.status_code == 409
    assert 'data-void-dependants="8"' in response.get_data(as_text=True)
    dbs.expire_all()
    assert not dbs.get(Visit, visit.id).voided


def test_staff_cannot_void_a_colleagues_records_through_their_visit(
    client: FlaskClient, make: Factory, auth: AuthActions, dbs: Session
) -> None:
    room = make.room()
    staff = make.user(Role.STAFF, rooms=[room], username="staff")
    colleague = make.user(Role.STAFF, rooms=[room], username="colleague")
    # Staff may void only their own service day's records: 20 minutes ago, but never before today's cut-off (05:00).
    now = utcnow()
    today = service_day_start(service_day_of(now, room.service_day_cutoff), room.service_day_cutoff)
    visit = make.visit(room, max(now - dt.timedelta(minutes=20), today), recorded_by_id=staff.id)
    make.consumption(visit, room, recorded_by_id=colleague.id)
    auth.login("staff")
    url = f"/rooms/{room.id}/records/visit/{visit.id}"
    signature = client.get(url).get_data(as_text=True).split('name="dependants" value="')[1].split('"')[0]
    assert client.post(f"{url}/void", data={"reason": "x", "dependants": signature}).status_code == 403
    dbs.expire_all()
    assert not dbs.get(Visit, visit.id).voided


def test_voiding_an_emergency_voids_its_actions(client: FlaskClient, make: Factory, dbs: Session, lead_room) -> None:
    room, lead = lead_room
    visit = make.visit(room, utcnow() - dt.timedelta(minutes=20), recorded_by_id=lead)
    emergency = make.emergency(visit, room, actions=(EmergencyAction.NALOXONE,), recorded_by_id=lead)
    url = f"/rooms/{room.id}/records/emergency/{emergency.id}"
    signature = client.get(url).get_data(as_text=True).split('name="dependants" value="')[1].split('"')[0]
    assert client.post(f"{url}/void", data={"reason": "test entry", "dependants": signature}).status_code == 303
    dbs.expire_all()
    assert all(a.voided for a in dbs.scalars(select(EmergencyActionRecord)))
    assert not dbs.get(Visit, visit.id).voided


def test_a_record_without_dependants_voids_as_before(
    client: FlaskClient, make: Factory, dbs: Session, lead_room
) -> None:
    room, lead = lead_room
    visit = make.visit(room, utcnow() - dt.timedelta(minutes=20), recorded_by_id=lead)
    url = f"/rooms/{room.id}/records/visit/{visit.id}"
    assert "data-void-dependants" not in client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/void", data={"reason": "test"}).status_code == 303
    dbs.expire_all()
    assert dbs.get(Visit, visit.id).voided


def test_approval_checks_list_records_of_a_voided_visit_until_voided_too(
    app, client: FlaskClient, make: Factory, dbs: Session, lead_room
) -> None:
    room, lead = lead_room
    visit = _visit_with_everything(make, room, lead)
    visit.voided, visit.void_reason = True, "voided before voids cascaded"  # data made before the fix
    dbs.commit()
    month = month_start(visit.service_day)
    with app.app_context():
        check = {c.code: c for c in run_checks(db.session, room.id, month)}["records_of_voided_visits"]
    assert check.blocking and check.count == 5  # consumption, emergency, referral, service, incident
    assert {i.entity for i in check.items} == {"consumptions", "emergencies", "referrals", "services", "incidents"}
    url = f"/rooms/{room.id}/records/visit/{visit.id}"
    html = client.get(url).get_data(as_text=True)
    assert 'data-void-dependants="7"' in html and 'data-action="void"' in html
    signature = html.split('name="dependants" value="')[1].split('"')[0]
    assert client.post(f"{url}/void", data={"reason": "clean-up", "dependants": signature}).status_code == 303
    with app.app_context():
        check = {c.code: c for c in run_checks(db.session, room.id, month)}["records_of_voided_visits"]
    assert check.ok
    dbs.expire_all()
    assert dbs.get(Visit, visit.id).void_reason == "voided before voids cascaded"  # the visit's own void stays


def test_the_summary_page_shows_the_check_and_blocks_approval(
    client: FlaskClient, make: Factory, dbs: Session, lead_room
) -> None:
    room, lead = lead_room
    month = add_months(month_start(today_local()), -1)
    past = dt.datetime(month.year, month.month, 6, 10, tzinfo=dt.UTC)
    visit = make.visit(room, past, left_at=past + dt.timedelta(hours=1), recorded_by_id=lead)
    make.consumption(visit, room, recorded_by_id=lead)
    visit.voided, visit.void_reason = True, "old void"
    dbs.commit()
    html = client.get(f"/reports/{room.id}/{format_month(month)}").get_data(as_text=True)
    assert 'data-check="records_of_voided_visits" data-count="1"' in html
    assert "check-fail" in html.split('data-check="records_of_voided_visits"')[0].rsplit("<li", 1)[1]
    response = client.post(f"/reports/{room.id}/{format_month(month)}/approve", data={"password": Factory.PASSWORD})
    assert response.status_code == 400


def test_nothing_new_is_added_to_a_voided_visit(client: FlaskClient, make: Factory, dbs: Session, lead_room) -> None:
    room, lead = lead_room
    visit = make.visit(room, utcnow() - dt.timedelta(minutes=20), recorded_by_id=lead, voided=True, void_reason="x")
    for path, data in (("referrals", {"target": "ost"}), ("services", {"service": "naloxone_kit"})):
        response = client.post(
            f"/rooms/{room.id}/visits/{visit.id}/{path}", data={"idempotency_key": uuid4().hex, **data}
        )
        assert response.status_code == 400
        assert "Besøget er annulleret" in response.get_data(as_text=True)
    assert dbs.scalar(select(func.count()).select_from(Referral)) == 0
    assert dbs.scalar(select(func.count()).select_from(ServiceRecord)) == 0
