"""The login-session look-up builds the session, user and rooms from one Core statement; changes count at once."""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy import delete, inspect
from sqlalchemy.orm import Session

from roomlog.auth.sessions import current_login_session
from roomlog.extensions import db
from roomlog.models.accounts import room_memberships
from roomlog.models.codes import Role
from tests.support.apps import AuthActions
from tests.support.factories import Factory


def test_a_room_taken_away_counts_at_the_next_request(app: Flask, make: Factory, dbs: Session) -> None:
    kept, taken = make.room(name="B-rummet"), make.room(name="A-rummet")
    user = make.user(Role.STAFF, rooms=[kept, taken], username="tablet")
    client = app.test_client()
    AuthActions(client).login("tablet")
    assert client.get(f"/rooms/{taken.id}/").status_code == 200
    dbs.execute(
        delete(room_memberships).where(room_memberships.c.room_id == taken.id, room_memberships.c.user_id == user.id)
    )
    dbs.commit()
    assert client.get(f"/rooms/{taken.id}/").status_code == 404
    assert client.get(f"/rooms/{kept.id}/").status_code == 200


def test_the_objects_are_as_a_query_loads_them(app: Flask, make: Factory) -> None:
    first, second = make.room(name="Zulu"), make.room(name="Alfa")
    make.user(Role.STAFF, rooms=[first, second], username="tablet")
    client = app.test_client()
    AuthActions(client).login("tablet")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    with app.test_request_context("/", headers={"Cookie": f"{cookie.key}={cookie.value}"}):
        login = current_login_session()
        assert login is not None
        user = login.user
        assert [room.name for room in user.rooms] == ["Alfa", "Zulu"]  # ordered by name, as the relationship says
        for found in (login, user, *user.rooms):
            state = inspect(found)
            assert state.persistent and not state.modified and found in db.session
        assert not db.session.dirty and not db.session.new
        assert user.municipality is None or user.municipality.code == user.municipality_code  # lazy loads work
        login.second_factor_at = login.created_at  # a change is flushed like any other
        db.session.commit()
        assert current_login_session() is not None  # already in the session: the ORM query answers
        g.pop("login_session", None)
        db.session.remove()
