"""Consumptions and the board: places, assisted (BEK 972 § 6), ending, waiting and after-care."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from roomlog.models import Consumption
from roomlog.models.codes import PlaceKind, Role, Substance
from tests.support.apps import AuthActions
from tests.support.capture import consume, key, location_id, staffed_room, stored, visit
from tests.support.factories import Factory


@pytest.mark.both_databases
def test_register_consumption_takes_the_place(
    backend: str, make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, user = staffed_room(make, auth)
    visit_id = visit(client, room)
    response = consume(client, room, visit_id, substances=["heroin", "cocaine"], place="injection-2")
    assert location_id(response, "visits") == visit_id
    (row,) = stored(dbs, Consumption)
    assert (row.place_kind, row.place_number, row.assisted, row.recorded_by_id) == (
        PlaceKind.INJECTION, 2, False, user.id,
    )  # fmt: skip
    assert set(row.substance_codes) == {Substance.HEROIN, Substance.COCAINE}
    board = client.get(f"/rooms/{room.id}/").get_data(as_text=True)
    assert 'data-place="injection-2"' in board and 'data-action="end-consumption"' in board
    other = visit(client, room)
    taken = consume(client, room, other, place="injection-2")
    assert taken.status_code == 400
    assert 'name="place" value="injection-2" data-action="place-injection-2" disabled' in taken.get_data(as_text=True)
    assert len(stored(dbs, Consumption)) == 1


def test_assisted_is_required_and_kept_on_error(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    visit_id = visit(client, room)
    response = consume(client, room, visit_id, assisted="", substances=["crack"], route="smoke")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "BEK 972" in page
    assert '<input checked data-action="substances-crack"' in page
    assert '<input checked data-action="route-smoke"' in page
    assert stored(dbs, Consumption) == []


def test_assisted_set_later_and_end_frees_the_place(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    visit_id = visit(client, room)
    consume(client, room, visit_id)
    (row,) = stored(dbs, Consumption)
    first_set = row.assisted_set_at
    client.post(f"/rooms/{room.id}/consumptions/{row.id}/assisted", data={"assisted": "yes"})
    (row,) = stored(dbs, Consumption)
    assert row.assisted and row.assisted_set_at >= first_set
    assert client.post(f"/rooms/{room.id}/consumptions/{row.id}/assisted", data={"assisted": "x"}).status_code == 400
    for _ in range(2):
        response = client.post(f"/rooms/{room.id}/consumptions/{row.id}/end", data={"next": "board"})
        assert response.headers["Location"].endswith(f"/rooms/{room.id}/")
    (row,) = stored(dbs, Consumption)
    assert row.ended_at is not None
    board = client.get(f"/rooms/{room.id}/").get_data(as_text=True)
    assert 'data-action="end-consumption"' not in board
    assert 'data-aftercare="1"' in board and 'data-waiting="1"' not in board
    location_id(consume(client, room, visit(client, room)), "visits")


def test_assisted_refused_where_the_room_does_not_allow_it(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room = make.room(assisted_allowed=False)
    make.user(Role.STAFF, rooms=[room], username="s")
    auth.login("s")
    response = consume(client, room, visit(client, room), assisted="yes")
    assert response.status_code == 400
    assert stored(dbs, Consumption) == []


def test_consumption_double_submit_and_conflict(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    visit_id = visit(client, room)
    k = key()
    assert consume(client, room, visit_id, idempotency_key=k).status_code == 303
    assert consume(client, room, visit_id, idempotency_key=k).status_code == 303
    assert consume(client, room, visit_id, idempotency_key=k, route="smoke").status_code == 409
    assert len(stored(dbs, Consumption)) == 1


def test_backdating_needs_lead_or_permission(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    visit_id = visit(client, room)
    earlier = (dt.datetime.now() - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = consume(client, room, visit_id, occurred_at=earlier)
    assert response.status_code == 403
    assert stored(dbs, Consumption) == []
    auth.logout()
    make.user(Role.STAFF, rooms=[room], username="retro", can_backdate=True)
    auth.login("retro")
    assert consume(client, room, visit_id, occurred_at=earlier).status_code == 303
    (row,) = stored(dbs, Consumption)
    assert row.backdated and row.service_day < row.recorded_at.date()
    future = (dt.datetime.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert consume(client, room, visit(client, room), occurred_at=future, place="injection-3").status_code == 400


def test_board_lists_visits_to_close_from_an_earlier_day(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    old = make.visit(room, occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    board = client.get(f"/rooms/{room.id}/").get_data(as_text=True)
    assert f"/visits/{old.id}/check-out" in board
    assert client.post(f"/rooms/{room.id}/visits/{old.id}/check-out").status_code == 303
    assert f"/visits/{old.id}/check-out" not in client.get(f"/rooms/{room.id}/").get_data(as_text=True)
    live = client.get(f"/rooms/{room.id}/board/live")
    assert live.status_code == 200 and "<html" not in live.get_data(as_text=True)
