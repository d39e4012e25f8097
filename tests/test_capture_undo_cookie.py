"""The Undo offer travels in its own cookie, bound to the login session; a capture does not re-sign the session."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from roomlog.auth import sessions
from roomlog.models.codes import Role
from tests.support.apps import AuthActions
from tests.support.capture import key, staffed_room
from tests.support.factories import Factory

UNDO = "roomlog_undo"


def _tap(client: FlaskClient, room_id: int) -> list[str]:
    response = client.post(f"/rooms/{room_id}/visits/anonymous", data={"idempotency_key": key()})
    assert response.status_code == 303
    return response.headers.getlist("Set-Cookie")


def test_a_tap_sends_the_offer_alone_and_the_next_page_shows_it_once(
    make: Factory, client: FlaskClient, auth: AuthActions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sessions, "TOUCH_SECONDS", 10**9)  # the idle clock is not moved on: no reason to sign
    room, _user = staffed_room(make, auth)
    cookies = _tap(client, room.id)
    assert [c.split("=", 1)[0] for c in cookies] == [UNDO]  # the session cookie is not re-signed
    assert "HttpOnly" in cookies[0] and "SameSite=Lax" in cookies[0] and "Path=/" in cookies[0]
    board = f"/rooms/{room.id}/"
    page = client.get(board)
    assert 'data-action="undo"' in page.get_data(as_text=True)
    assert client.get_cookie(UNDO) is None  # deleted once shown
    assert 'data-action="undo"' not in client.get(board).get_data(as_text=True)


def test_an_offer_from_another_login_or_tampered_is_ignored(
    make: Factory, client: FlaskClient, auth: AuthActions
) -> None:
    room, _user = staffed_room(make, auth)
    _tap(client, room.id)
    cookie = client.get_cookie(UNDO)
    assert cookie is not None
    stolen = cookie.value
    auth.logout()
    make.user(Role.STAFF, rooms=[room], username="next-shift")
    auth.login("next-shift")
    board = f"/rooms/{room.id}/"
    client.set_cookie(UNDO, stolen)  # the same tablet, another login: not theirs
    assert 'data-action="undo"' not in client.get(board).get_data(as_text=True)
    body, _dot, signature = stolen.partition(".")
    for forged in (f"{body}.{'0' * len(signature)}", "not-base64!.x", "", "....", f"{body}"):
        client.set_cookie(UNDO, forged)
        response = client.get(board)
        assert response.status_code == 200
        assert 'data-action="undo"' not in response.get_data(as_text=True)


def test_undo_spends_a_pending_offer(make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    room, _user = staffed_room(make, auth)
    response = client.post(f"/rooms/{room.id}/visits/anonymous", data={"idempotency_key": key()})
    visit_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    undone = client.post(f"/rooms/{room.id}/undo", data={"kind": "visit", "record_id": visit_id})
    assert undone.status_code == 303
    assert client.get_cookie(UNDO) is None
