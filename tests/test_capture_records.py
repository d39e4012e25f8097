"""Referrals, services and incidents from the visit; check-out closes the visit."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.models import Consumption, Incident, Referral, ServiceRecord, Visit
from roomlog.models.codes import IncidentType, ReferralMode, ReferralTarget, ServiceCode
from tests.support.apps import AuthActions
from tests.support.capture import consume, key, location_id, staffed_room, visit
from tests.support.factories import Factory


def test_referral_and_service_in_one_tap(make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session) -> None:
    room, _user = staffed_room(make, auth)
    visit_id = visit(client, room)
    base = f"/rooms/{room.id}/visits/{visit_id}"
    k = key()
    for _ in range(2):
        assert location_id(client.post(f"{base}/referrals", data={"idempotency_key": k, "target": "ost"}), "visits")
    client.post(f"{base}/referrals", data={"idempotency_key": key(), "target": "gp", "mode": "accompanied"})
    assert client.post(f"{base}/referrals", data={"idempotency_key": key(), "target": "moon"}).status_code == 400
    client.post(f"{base}/services", data={"idempotency_key": key(), "service": "naloxone_kit"})
    client.post(f"{base}/services", data={"idempotency_key": key(), "service": "injecting_equipment", "quantity": "5"})
    bad = {"idempotency_key": key(), "service": "testing", "quantity": "0"}
    refused = client.post(f"{base}/services", data=bad)
    assert refused.status_code == 400
    assert 'role="alert"' in refused.get_data(as_text=True) and 'data-action="check-out"' in refused.get_data(
        as_text=True
    )
    referrals = [(r.target, r.mode) for r in dbs.scalars(select(Referral).order_by(Referral.id))]
    assert referrals == [
        (ReferralTarget.OST, ReferralMode.REFERRAL),
        (ReferralTarget.GP, ReferralMode.ACCOMPANIED),
    ]
    services = [(s.service, s.quantity) for s in dbs.scalars(select(ServiceRecord).order_by(ServiceRecord.id))]
    assert services == [(ServiceCode.NALOXONE_KIT, 1), (ServiceCode.INJECTING_EQUIPMENT, 5)]
    page = client.get(base).get_data(as_text=True)
    assert page.count('data-record="referral"') == 2 and page.count('data-record="service"') == 2
    assert 'data-count="services">6<' in client.get(f"/rooms/{room.id}/").get_data(as_text=True)


def test_incident_with_no_names_warning(make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session) -> None:
    room, _user = staffed_room(make, auth)
    visit_id = visit(client, room)
    form = client.get(f"/rooms/{room.id}/incidents?visit_id={visit_id}").get_data(as_text=True)
    assert 'class="warning" id="narrative-warning"' in form and 'aria-describedby="narrative-warning"' in form
    data = {
        "idempotency_key": key(),
        "type": "violence_threat",
        "narrative": "Threat at the door",
        "visit_id": visit_id,
    }
    assert location_id(client.post(f"/rooms/{room.id}/incidents", data=data), "visits") == visit_id
    missing = client.post(f"/rooms/{room.id}/incidents", data={"idempotency_key": key(), "narrative": "kept text"})
    assert missing.status_code == 400 and "kept text" in missing.get_data(as_text=True)
    response = client.post(f"/rooms/{room.id}/incidents", data={"idempotency_key": key(), "type": "dealing"})
    assert response.headers["Location"].endswith(f"/rooms/{room.id}/")
    incidents = [(i.type, i.visit_id, i.narrative) for i in dbs.scalars(select(Incident).order_by(Incident.id))]
    assert incidents == [
        (IncidentType.VIOLENCE_THREAT, visit_id, "Threat at the door"),
        (IncidentType.DEALING, None, ""),
    ]


def test_check_out_ends_consumption_and_frees_the_place(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    visit_id = visit(client, room)
    consume(client, room, visit_id, place="smoking-2", route="smoke", substances=["crack"])
    for _ in range(2):
        response = client.post(f"/rooms/{room.id}/visits/{visit_id}/check-out")
        assert response.headers["Location"].endswith(f"/rooms/{room.id}/")
    dbs.expire_all()
    row = dbs.get(Visit, visit_id)
    assert row is not None and row.left_at is not None
    assert dbs.scalars(select(Consumption)).one().ended_at == row.left_at
    assert consume(client, room, visit_id, place="smoking-2").status_code == 400
    assert location_id(consume(client, room, visit(client, room), place="smoking-2"), "visits")
