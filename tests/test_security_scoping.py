"""Tenant scoping below the views: the ORM criteria, and PostgreSQL row-level security."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, g
from sqlalchemy import select, text
from sqlalchemy.exc import ProgrammingError

from roomlog import create_app
from roomlog.auth.scoping import scope_setting
from roomlog.extensions import db
from roomlog.models import Visit
from tests.security_routes import build_world
from tests.support.apps import AuthActions, dispose, make_test_config, migrate_as_owner
from tests.support.factories import Factory
from tests.support.postgres import drop_schema, postgres_url


def _add_unfiltered_route(app: Flask) -> None:
    @app.get("/_test/unfiltered")
    def unfiltered() -> dict[str, list[int]]:
        # Deliberately no room filter: the scoping must still limit it.
        orm_rooms = sorted({v.room_id for v in db.session.scalars(select(Visit))})
        return {"orm": orm_rooms}


@pytest.mark.both_databases
def test_an_unfiltered_orm_query_in_a_request_sees_only_the_users_rooms(
    app: Flask, make: Factory, backend: str
) -> None:
    _add_unfiltered_route(app)
    world = build_world(make)
    make.visit(world.room_a)
    client = app.test_client()
    AuthActions(client).login("staff_a")
    assert client.get("/_test/unfiltered").get_json() == {"orm": [world.room_a.id]}
    client = app.test_client()
    AuthActions(client).login("municipality_other")  # kommune 101: room A only
    assert client.get("/_test/unfiltered").get_json() == {"orm": [world.room_a.id]}
    client = app.test_client()
    AuthActions(client).login("national")
    assert client.get("/_test/unfiltered").get_json() == {"orm": sorted([world.room_a.id, world.room_b.id])}


def test_scope_setting_values() -> None:
    assert scope_setting(None) == "*"
    assert scope_setting(frozenset()) == "-1"
    assert scope_setting(frozenset({3, 1})) == "1,3"


@pytest.fixture
def rls_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on the PostgreSQL migrations database, built by the real migrations, as the app role."""
    url = f"{postgres_url()}_migrations"
    drop_schema(url)
    dispose(migrate_as_owner(tmp_path, url))
    app = create_app(make_test_config(tmp_path, url))
    yield app
    dispose(app)
    drop_schema(url)


def _insert_visit(room_id: int, key: str) -> bool:
    """Insert a visit by raw SQL; return whether the row-level security let it in."""
    try:
        with db.session.begin_nested():
            db.session.execute(
                text(
                    "INSERT INTO visits (room_id, occurred_at, recorded_at, service_day, backdated, "
                    "idempotency_key, request_hash, voided, outcome) "
                    "VALUES (:room, now(), now(), current_date, false, :key, '', false, 'admitted')"
                ),
                {"room": room_id, "key": key},
            )
    except ProgrammingError as exc:  # the policy's WITH CHECK refuses the row
        assert "row-level security" in str(exc)
        return False
    return True


def test_row_level_security_limits_raw_sql_on_postgresql(rls_app: Flask) -> None:
    """A raw SQL query (no ORM criteria) as the app role sees only the request's rooms."""
    from sqlalchemy.orm import Session

    with rls_app.app_context():
        session = Session(db.engine, expire_on_commit=False)
    make = Factory(session, rls_app)
    world = build_world(make)
    make.visit(world.room_a)

    @rls_app.get("/_test/raw")
    def raw() -> dict[str, object]:
        rooms = sorted(set(db.session.scalars(text("SELECT room_id FROM visits"))))
        setting = db.session.scalar(text("SELECT current_setting('roomlog.room_ids', true)"))
        return {
            "rooms": rooms,
            "setting": setting,
            "wrote_own_room": _insert_visit(world.room_a.id, "rls-probe-a"),
            "wrote_other_room": _insert_visit(world.room_b.id, "rls-probe-b"),
            "scope": sorted(g.scope_room_ids),
        }

    client = rls_app.test_client()
    AuthActions(client).login("staff_a")
    body = client.get("/_test/raw").get_json()
    assert body == {
        "rooms": [world.room_a.id],
        "setting": str(world.room_a.id),
        "wrote_own_room": True,
        "wrote_other_room": False,
        "scope": [world.room_a.id],
    }

    # Work outside a request (the CLI, factories) runs under the explicit all-rooms scope.
    with rls_app.app_context(), db.engine.begin() as conn:
        assert conn.scalar(text("SELECT current_user")) == "roomlog"
        assert conn.scalar(text("SELECT current_setting('roomlog.room_ids', true)")) == "*"
        rooms = sorted(set(conn.scalars(text("SELECT room_id FROM visits"))))
    assert rooms == sorted([world.room_a.id, world.room_b.id])
    session.close()
