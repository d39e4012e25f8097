"""The emergency screen: one tap per action with its own time, outcome, details, idempotency."""

from __future__ import annotations

from decimal import Decimal

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.models import Consumption, Emergency
from roomlog.models.codes import EmergencyAction, EmergencyOutcome, EmergencyType, NaloxoneRoute, OxygenPhase, Severity
from tests.support.apps import AuthActions
from tests.support.capture import consume, key, location_id, staffed_room, visit
from tests.support.factories import Factory


def _open(client: FlaskClient, room_id: int, **data: object) -> int:
    return location_id(
        client.post(f"/rooms/{room_id}/emergencies", data={"idempotency_key": key(), **data}), "emergencies"
    )


def _act(client: FlaskClient, room_id: int, emergency_id: int, **data: object):
    return client.post(f"/rooms/{room_id}/emergencies/{emergency_id}/actions", data={"idempotency_key": key(), **data})


def _emergency(dbs: Session) -> Emergency:
    dbs.expire_all()
    return dbs.scalars(select(Emergency)).one()


def test_emergency_from_a_place_with_actions_outcome_and_details(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    visit_id = visit(client, room)
    consume(client, room, visit_id)

    consumption_id = dbs.scalars(select(Consumption.id)).one()
    emergency_id = _open(client, room.id, consumption_id=consumption_id)
    for _ in range(2):
        _act(client, room.id, emergency_id, action="naloxone", naloxone_route="in", naloxone_dose_mg="1.8")
    _act(client, room.id, emergency_id, action="oxygen")
    _act(client, room.id, emergency_id, action="oxygen")
    _act(client, room.id, emergency_id, action="ambulance_called")
    assert _act(client, room.id, emergency_id, action="teleport").status_code == 400
    assert _act(client, room.id, emergency_id, action="naloxone").status_code == 400
    page = client.get(f"/rooms/{room.id}/emergencies/{emergency_id}").get_data(as_text=True)
    for code in ("naloxone", "oxygen", "ventilation", "stimulation", "recovery_position", "cpr", "aed", "cooling",
                 "ambulance_called", "ambulance_arrived", "observation", "outcome"):  # fmt: skip
        assert f'data-action="{code}"' in page
    url = f"/rooms/{room.id}/emergencies/{emergency_id}"
    client.post(f"{url}/outcome", data={"outcome": "transported"})
    client.post(f"{url}/outcome", data={"outcome": "transported"})
    assert client.post(f"{url}/outcome", data={"outcome": "died"}).status_code == 400
    client.post(f"{url}/details", data={"type": "opioid", "severity": "respiratory_depression", "note": "  ok  "})
    row = _emergency(dbs)
    assert (row.visit_id, row.consumption_id, row.type, row.severity, row.outcome, row.note) == (
        visit_id, consumption_id, EmergencyType.OPIOID, Severity.RESPIRATORY_DEPRESSION,
        EmergencyOutcome.TRANSPORTED, "ok",
    )  # fmt: skip
    actions = [(a.action, a.naloxone_route, a.naloxone_dose_mg, a.oxygen_phase) for a in row.actions]
    assert actions == [
        (EmergencyAction.NALOXONE, NaloxoneRoute.IN, Decimal("1.80"), None),
        (EmergencyAction.NALOXONE, NaloxoneRoute.IN, Decimal("1.80"), None),
        (EmergencyAction.OXYGEN, None, None, OxygenPhase.START),
        (EmergencyAction.OXYGEN, None, None, OxygenPhase.STOP),
        (EmergencyAction.AMBULANCE_CALLED, None, None, None),
    ]
    assert all(a.occurred_at >= row.occurred_at for a in row.actions)
    fragment = client.get(f"{url}/timeline").get_data(as_text=True)
    assert fragment.count('data-action-row="naloxone"') == 2 and "<html" not in fragment
    board = client.get(f"/rooms/{room.id}/").get_data(as_text=True)
    assert 'data-count="emergencies">1<' in board and "alert-emergencies" not in board


def test_emergency_taps_are_idempotent(make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session) -> None:
    room, _user = staffed_room(make, auth)
    k = key()
    first = client.post(f"/rooms/{room.id}/emergencies", data={"idempotency_key": k})
    second = client.post(f"/rooms/{room.id}/emergencies", data={"idempotency_key": k})
    assert first.headers["Location"] == second.headers["Location"]
    emergency_id = location_id(first, "emergencies")
    assert "alert-emergencies" in client.get(f"/rooms/{room.id}/").get_data(as_text=True)
    tap = {"idempotency_key": key(), "action": "naloxone", "naloxone_route": "im", "naloxone_dose_mg": "0.4"}
    url = f"/rooms/{room.id}/emergencies/{emergency_id}/actions"
    assert client.post(url, data=tap).status_code == 303
    assert client.post(url, data=tap).status_code == 303
    assert client.post(url, data={**tap, "naloxone_dose_mg": "0.8"}).status_code == 409
    assert len(_emergency(dbs).actions) == 1
    assert client.post(url, data={**tap, "idempotency_key": key(), "naloxone_dose_mg": "abc"}).status_code == 400


def test_voided_emergency_takes_no_actions(make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session) -> None:
    room, _user = staffed_room(make, auth)
    emergency_id = _open(client, room.id)
    client.post(f"/rooms/{room.id}/records/emergency/{emergency_id}/void", data={"reason": "opened by mistake"})
    assert _act(client, room.id, emergency_id, action="cpr").status_code == 400
    assert _emergency(dbs).voided
