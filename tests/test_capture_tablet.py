"""The tablet during an overdose and at the end of a shift (issue #12): HTTP-level checks."""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.models import AuditEntry, Consumption, Emergency, EmergencyActionRecord, ServiceRecord
from roomlog.models.codes import EmergencyOutcome, Role
from roomlog.reporting.checks import run_checks
from roomlog.services.undo import UNDO_WINDOW
from tests.support.apps import AuthActions
from tests.support.capture import consume, key, location_id, staffed_room, visit
from tests.support.factories import Factory
from tests.support.net import without_csrf_tokens


def _open(client: FlaskClient, room_id: int, visit_id: int) -> int:
    data = {"idempotency_key": key(), "visit_id": visit_id}
    return location_id(client.post(f"/rooms/{room_id}/emergencies", data=data), "emergencies")


def _act(client: FlaskClient, url: str, **data: str) -> int:
    return client.post(f"{url}/actions", data={"idempotency_key": key(), **data}).status_code


def test_actions_after_the_outcome_need_a_reopen_and_stay_in_time_order(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    url = f"/rooms/{room.id}/emergencies/{_open(client, room.id, visit(client, room))}"
    assert _act(client, url, action="naloxone", naloxone_route="in", naloxone_dose_mg="1.8") == 303
    client.post(f"{url}/outcome", data={"outcome": "recovered_on_site"})
    refused = client.post(f"{url}/actions", data={"idempotency_key": key(), "action": "aed"})
    assert refused.status_code == 400 and "Genåbn" in refused.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert 'data-clock="stopped"' in page and 'data-clock="running"' not in page  # the timer stopped
    assert 'data-action="reopen-emergency"' in page and 'data-action="naloxone"' not in page
    client.post(f"{url}/reopen", data={})
    assert _act(client, url, action="aed") == 303
    client.post(f"{url}/outcome", data={"outcome": "transported"})
    rows = re.findall(r'data-action-row="(\w+)"', client.get(f"{url}/timeline").get_data(as_text=True))
    assert rows == ["naloxone", "aed", "outcome"]
    dbs.expire_all()
    emergency = dbs.scalars(select(Emergency)).one()
    assert emergency.outcome == EmergencyOutcome.TRANSPORTED
    actions = [e.action for e in dbs.scalars(select(AuditEntry).where(AuditEntry.entity == "emergency"))]
    assert "emergency.reopen" in actions


def test_dose_counter_and_oxygen_warning(make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    room, _user = staffed_room(make, auth)
    url = f"/rooms/{room.id}/emergencies/{_open(client, room.id, visit(client, room))}"
    for route, dose in (("in", "1.8"), ("in", "1.8"), ("im", "0.4")):
        _act(client, url, action="naloxone", naloxone_route=route, naloxone_dose_mg=dose)
    _act(client, url, action="oxygen")
    page = client.get(url).get_data(as_text=True)
    assert 'data-dose-count="3"' in page
    assert re.search(r'data-route="in"><dt>[^<]+</dt><dd>2 × · 3,6 mg', page)
    assert re.search(r'data-route="im"><dt>[^<]+</dt><dd>1 × · 0,4 mg', page)
    assert 'data-clock="naloxone"' in page  # a live "since last naloxone"
    assert 'data-warning="oxygen-running"' in page
    # With oxygen running every outcome asks first; "død" always asks.
    assert page.count('data-confirm-for="outcome"') == 5


def test_died_always_asks_for_confirmation(make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    room, _user = staffed_room(make, auth)
    url = f"/rooms/{room.id}/emergencies/{_open(client, room.id, visit(client, room))}"
    page = client.get(url).get_data(as_text=True)
    assert page.count('data-confirm-for="outcome"') == 1
    assert 'data-action="confirm-outcome" data-code="died"' in page


def test_cancel_an_emergency_opened_by_mistake(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    emergency_id = _open(client, room.id, visit(client, room))
    url = f"/rooms/{room.id}/emergencies/{emergency_id}"
    assert 'data-action="cancel-emergency"' in client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/cancel", data={}).status_code == 303
    dbs.expire_all()
    row = dbs.get(Emergency, emergency_id)
    assert row.voided and row.void_reason == "Oprettet ved en fejl"
    assert dbs.scalars(select(AuditEntry.action).where(AuditEntry.action == "emergency.cancel")).one()
    assert "alert-emergencies" not in client.get(f"/rooms/{room.id}/").get_data(as_text=True)


def test_cancel_is_refused_once_something_is_recorded(make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    room, _user = staffed_room(make, auth)
    url = f"/rooms/{room.id}/emergencies/{_open(client, room.id, visit(client, room))}"
    _act(client, url, action="observation")
    assert 'data-action="cancel-emergency"' not in client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/cancel", data={}).status_code == 400


def test_undo_a_one_tap_entry(make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session) -> None:
    room, _user = staffed_room(make, auth)
    visit_id = visit(client, room)
    base = f"/rooms/{room.id}/visits/{visit_id}"
    client.post(f"{base}/services", data={"idempotency_key": key(), "service": "naloxone_kit"})
    page = client.get(base).get_data(as_text=True)
    assert 'data-action="undo"' in page and "naloxon-kit" in page.split('class="undo-bar"')[1].split("</div>")[0]
    assert 'data-action="undo"' not in client.get(base).get_data(as_text=True)  # offered once
    service = dbs.scalars(select(ServiceRecord)).one()
    response = client.post(f"/rooms/{room.id}/undo", data={"kind": "service", "record_id": service.id})
    assert response.status_code == 303 and response.headers["Location"].endswith(base)
    dbs.expire_all()
    assert dbs.get(ServiceRecord, service.id).voided
    assert dbs.scalars(select(AuditEntry).where(AuditEntry.action == "service.undo")).one()


def test_undo_of_an_emergency_action_and_its_limits(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    url = f"/rooms/{room.id}/emergencies/{_open(client, room.id, visit(client, room))}"
    _act(client, url, action="naloxone", naloxone_route="in", naloxone_dose_mg="1.8")
    action = dbs.scalars(select(EmergencyActionRecord)).one()
    assert (
        client.post(f"/rooms/{room.id}/undo", data={"kind": "emergency_action", "record_id": action.id}).status_code
        == 303
    )
    dbs.expire_all()
    assert dbs.get(EmergencyActionRecord, action.id).voided
    _act(client, url, action="aed")
    late = dbs.scalars(select(EmergencyActionRecord).where(EmergencyActionRecord.voided.is_(False))).one()
    late.recorded_at = late.recorded_at - UNDO_WINDOW - dt.timedelta(seconds=1)
    dbs.commit()
    assert (
        client.post(f"/rooms/{room.id}/undo", data={"kind": "emergency_action", "record_id": late.id}).status_code
        == 403
    )
    assert client.post(f"/rooms/{room.id}/undo", data={"kind": "incident", "record_id": "1"}).status_code == 400


def test_undo_end_consumption(make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session) -> None:
    room, _user = staffed_room(make, auth)
    visit_id = visit(client, room)
    consume(client, room, visit_id)
    consumption = dbs.scalars(select(Consumption)).one()
    client.post(f"/rooms/{room.id}/consumptions/{consumption.id}/end", data={"idempotency_key": key()})
    client.post(f"/rooms/{room.id}/undo", data={"kind": "consumption_end", "record_id": consumption.id})
    dbs.expire_all()
    assert dbs.get(Consumption, consumption.id).is_active


def test_undo_check_out(make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session) -> None:
    room, _user = staffed_room(make, auth)
    visit_id = visit(client, room)
    consume(client, room, visit_id)
    client.post(f"/rooms/{room.id}/visits/{visit_id}/check-out", data={"idempotency_key": key()})
    board = client.get(f"/rooms/{room.id}/").get_data(as_text=True)
    assert 'data-action="undo"' in board and "Tjekket ud kl." in board
    response = client.post(f"/rooms/{room.id}/undo", data={"kind": "check_out", "record_id": visit_id})
    assert response.headers["Location"].endswith(f"/visits/{visit_id}")
    dbs.expire_all()
    consumption = dbs.scalars(select(Consumption)).one()
    assert consumption.visit.left_at is None and consumption.is_active  # the place is held again


def test_handover_print_has_times_doses_and_no_visitor_code(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    from tests.support.capture import check_in

    visit_id = location_id(check_in(client, room), "visits")
    url = f"/rooms/{room.id}/emergencies/{_open(client, room.id, visit_id)}"
    _act(client, url, action="naloxone", naloxone_route="in", naloxone_dose_mg="1.8")
    _act(client, url, action="oxygen")
    _act(client, url, action="ambulance_called")
    page = without_csrf_tokens(client.get(f"{url}/handover").get_data(as_text=True))  # a random token may hold "QXZ"
    check_word = dbs.scalars(select(Emergency)).one().visit.visitor.check_word
    assert check_word not in page and "QXZ" not in page
    assert "1,8 mg" in page and 'data-action-row="ambulance_called"' in page and 'data-action-row="oxygen"' in page
    assert 'data-action="handover-print"' in client.get(url).get_data(as_text=True)


def test_assisted_only_for_injection(make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session) -> None:
    room, _user = staffed_room(make, auth, role=Role.LEAD)
    visit_id = visit(client, room)
    refused = consume(client, room, visit_id, route="smoke", place="smoking-1", assisted="yes")
    assert refused.status_code == 400 and "Kun en injektion kan være assisteret" in refused.get_data(as_text=True)
    consume(client, room, visit_id, route="smoke", place="smoking-1", assisted="no")
    row = dbs.scalars(select(Consumption)).one()
    assert client.post(f"/rooms/{room.id}/consumptions/{row.id}/assisted", data={"assisted": "yes"}).status_code == 400
    correction = {"assisted": "yes", "reason": "probe"}
    assert client.post(f"/rooms/{room.id}/records/consumption/{row.id}/correct", data=correction).status_code == 400
    row.assisted = True  # as imported or older data may have it
    dbs.commit()
    checks = {c.code: c for c in run_checks(dbs, room.id, row.service_day.replace(day=1))}
    assert checks["assisted_not_injection"].count == 1 and checks["assisted_not_injection"].blocking


def test_end_of_shift_lists_what_is_open(make: Factory, client: FlaskClient, auth: AuthActions, app: Flask) -> None:
    room, _user = staffed_room(make, auth)
    waiting = visit(client, room)
    consuming = visit(client, room)
    consume(client, room, consuming)
    _open(client, room.id, waiting)
    app.config["LONG_CONSUMPTION_MINUTES"] = 0
    page = client.get(f"/rooms/{room.id}/end-of-shift").get_data(as_text=True)
    assert (
        'data-open-visits="2"' in page and 'data-open-emergencies="1"' in page and 'data-long-consumptions="1"' in page
    )
    assert client.get(f"/rooms/{room.id}/end-of-shift?format=json").get_json() == {
        "open_visits": 2, "open_emergencies": 1, "long_consumptions": 1, "total": 4,
    }  # fmt: skip
    assert 'data-overdue="1"' in client.get(f"/rooms/{room.id}/").get_data(as_text=True)
    assert 'data-action="end-of-shift"' in client.get(f"/rooms/{room.id}/").get_data(as_text=True)
    out = client.post(
        f"/rooms/{room.id}/visits/{waiting}/check-out", data={"idempotency_key": key(), "next": "end-of-shift"}
    )
    assert out.headers["Location"].endswith("/end-of-shift")


def test_record_history_reads_like_the_screens(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth, role=Role.LEAD)
    visit_id = visit(client, room)
    consume(client, room, visit_id)
    url = f"/rooms/{room.id}/emergencies/{_open(client, room.id, visit_id)}"
    _act(client, url, action="naloxone", naloxone_route="in", naloxone_dose_mg="1.8")
    client.post(f"{url}/outcome", data={"outcome": "died"})
    action = dbs.scalars(select(EmergencyActionRecord)).one()
    emergency = dbs.scalars(select(Emergency)).one()
    consumption = dbs.scalars(select(Consumption)).one()
    pages = [
        client.get(f"/rooms/{room.id}/records/emergency_action/{action.id}").get_data(as_text=True),
        client.get(f"/rooms/{room.id}/records/emergency/{emergency.id}").get_data(as_text=True),
        client.get(f"/rooms/{room.id}/records/consumption/{consumption.id}").get_data(as_text=True),
    ]
    for page in pages:
        history = re.sub(r"<[^>]+>", " ", page.split('class="data history"')[1])  # the text staff read
        for raw in (
            "None",
            "True",
            "False",
            "emergency.action",
            "visit.create",
            "['heroin']",
            "+00:00",
            "1.80",
            "died",
        ):
            assert raw not in history, raw
    assert "1,8" in pages[0] and "Naloxon, indgift" in pages[0] and "intranasal" in pages[0].lower()
    assert "død" in pages[1] and "heroin" in pages[2]


def test_no_idle_logout_while_an_emergency_is_open(
    app: Flask, make: Factory, client: FlaskClient, auth: AuthActions
) -> None:
    room, _user = staffed_room(make, auth)
    emergency_id = _open(client, room.id, visit(client, room))
    with client.session_transaction() as session:
        session["seen"] = int(session["seen"]) - (app.config["STAFF_IDLE_MINUTES"] + 5) * 60
    assert client.get(f"/rooms/{room.id}/emergencies/{emergency_id}/timeline").status_code == 200
    client.post(f"/rooms/{room.id}/emergencies/{emergency_id}/outcome", data={"outcome": "recovered_on_site"})
    with client.session_transaction() as session:
        session["seen"] = int(session["seen"]) - (app.config["STAFF_IDLE_MINUTES"] + 5) * 60
    assert client.get(f"/rooms/{room.id}/").status_code == 302  # ended: the idle timeout applies again
