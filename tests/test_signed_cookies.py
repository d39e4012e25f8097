"""The session cookie and the CSRF token are checked once per string, and nothing gets past that.

``roomlog.auth.signed_cookies`` remembers strings whose signature was found genuine; these tests
show that a remembered string still answers to the keys, the cookie's lifetime and the session
it belongs to, and that anything else is checked in full as before.
"""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from roomlog.auth import signed_cookies
from roomlog.models.codes import Role
from tests.support.apps import AuthActions
from tests.support.factories import Factory

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _logged_in(app: Flask, make: Factory, username: str) -> tuple[FlaskClient, str]:
    """Return a client logged in as a new staff user of a new room, and the room's board path."""
    room = make.room()
    make.user(Role.STAFF, rooms=[room], username=username)
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    return client, f"/rooms/{room.id}/"


def _cookie(app: Flask, client: FlaskClient) -> str:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return cookie.value


def test_a_remembered_cookie_still_opens_the_session_and_a_changed_one_does_not(app: Flask, make: Factory) -> None:
    client, board = _logged_in(app, make, "tablet")
    assert client.get(board).status_code == 200
    assert client.get(board).status_code == 200  # the second time from memory
    genuine = _cookie(app, client)
    payload, _dot, signature = genuine.rpartition(".")
    forged = f"{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], forged)
    assert other.get(board).status_code == 302  # not logged in: the changed signature is checked in full


def test_a_new_secret_key_is_not_answered_from_memory(app: Flask, make: Factory) -> None:
    client, board = _logged_in(app, make, "tablet")
    assert client.get(board).status_code == 200
    app.secret_key = "another-secret-key"
    try:
        assert client.get(board).status_code == 302  # the cookie signed with the old key opens nothing
    finally:
        app.secret_key = "test-secret-key"


def test_the_cookie_lifetime_is_checked_on_every_request(
    app: Flask, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, board = _logged_in(app, make, "tablet")
    assert client.get(board).status_code == 200  # remembered, with its signing time
    app.permanent_session_lifetime = dt.timedelta(seconds=30)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 31)
    assert client.get(board).status_code == 302  # older than the lifetime: an empty session


def test_a_remembered_csrf_token_is_refused_with_another_session(app: Flask, make: Factory) -> None:
    first, board_a = _logged_in(app, make, "tablet_a")
    second, board_b = _logged_in(app, make, "tablet_b")
    app.config["WTF_CSRF_ENABLED"] = True
    found = _CSRF.search(first.get(board_a).get_data(as_text=True))
    assert found is not None
    token = found.group(1)
    logout = {"csrf_token": token}
    assert second.get(board_b).status_code == 200  # its own CSRF token in its session
    assert first.post("/auth/logout", data={"csrf_token": "x" + token}).status_code == 400  # changed: refused
    assert second.post("/auth/logout", data=logout).status_code == 400  # not this session's token
    assert second.get(board_b).status_code == 200  # still logged in
    assert first.post("/auth/logout", data=logout).status_code == 302  # its own session: accepted (remembered)
    assert second.post("/auth/logout", data=logout).status_code == 400  # and still refused for the other
    assert first.get(board_a).status_code == 302  # logged out


def test_each_request_gets_its_own_session(app: Flask, make: Factory) -> None:
    client, board = _logged_in(app, make, "tablet")
    assert client.get(board).status_code == 200
    with client.session_transaction() as session:
        session["scratch"] = "one"
    assert client.get(board).status_code == 200
    remembered = [data for _at, data in signed_cookies._sessions._found.values() if data.get("scratch") == "one"]
    assert remembered and all("_flashes" not in data for data in remembered)
    with client.session_transaction() as session:
        session["scratch"] = "two"
        assert session["scratch"] == "two"
    assert all(data["scratch"] == "one" for data in remembered)  # a request's changes never reach the memory
