"""The idle clock in the session cookie moves on at most every few seconds; the timeout still holds."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from roomlog.auth.sessions import TOUCH_SECONDS
from roomlog.models.codes import Role
from tests.support.apps import AuthActions
from tests.support.factories import Factory


def _age(client: FlaskClient, seconds: int) -> int:
    with client.session_transaction() as session:
        session["seen"] = int(session["seen"]) - seconds
        return int(session["seen"])


def _seen(client: FlaskClient) -> int:
    with client.session_transaction() as session:
        return int(session["seen"])


def test_a_request_right_after_the_last_sends_no_new_cookie(
    app: Flask, make: Factory, client: FlaskClient, auth: AuthActions
) -> None:
    room = make.room()
    make.user(Role.STAFF, rooms=[room], username="tablet")
    auth.login("tablet")
    board = f"/rooms/{room.id}/"
    client.get(board)
    before = _seen(client)
    response = client.get(board)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and before == _seen(client)
    aged = _age(client, TOUCH_SECONDS + 1)  # the last touch is older than TOUCH_SECONDS: moved on
    assert client.get(board).status_code == 200
    assert _seen(client) > aged


def test_the_idle_timeout_still_logs_out(app: Flask, make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    room = make.room()
    make.user(Role.STAFF, rooms=[room], username="tablet")
    auth.login("tablet")
    board = f"/rooms/{room.id}/"
    assert client.get(board).status_code == 200
    _age(client, app.config["STAFF_IDLE_MINUTES"] * 60 + 1)
    assert client.get(board).status_code == 302
