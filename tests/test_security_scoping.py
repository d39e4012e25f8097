"""Tenant scoping below the views: the ORM criteria, and PostgreSQL row-level security."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, g
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import ProgrammingError

from roomlog import create_app
from roomlog.auth.scoping import scope_setting
from roomlog.extensions import db
from roomlog.models import Base, Visit
from tests.conftest import AuthActions, make_test_config, postgres_url
from tests.factories import Factory
from tests.security_routes import build_world

PROBE_ROLE = "roomlog_rls_probe_security"


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
    assert scope_setting(None) == ""
    assert scope_setting(frozenset()) == "-1"
    assert scope_setting(frozenset({3, 1})) == "1,3"


@pytest.fixture
def rls_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on the PostgreSQL migrations database, built by the real migrations (with RLS)."""
    url = f"{postgres_url()}_migrations"
    engine = create_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        exists = conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": PROBE_ROLE})
        if not exists:
            conn.execute(text(f"CREATE ROLE {PROBE_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS"))
    app = create_app(make_test_config(tmp_path, url))
    with app.app_context():
        upgrade()
        db.session.execute(text(f"GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO {PROBE_ROLE}"))
        db.session.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {PROBE_ROLE}"))
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        conn.execute(text(f"DROP OWNED BY {PROBE_ROLE}"))
    engine.dispose()


def test_row_level_security_limits_raw_sql_on_postgresql(rls_app: Flask) -> None:
    """A raw SQL query (no ORM criteria) as a non-superuser role sees only the request's rooms."""
    from sqlalchemy.orm import Session

    with rls_app.app_context():
        session = Session(db.engine, expire_on_commit=False)
    make = Factory(session, rls_app)
    world = build_world(make)
    make.visit(world.room_a)

    @rls_app.get("/_test/raw")
    def raw() -> dict[str, object]:
        # Superusers bypass RLS; the test connects as one, so it drops to a plain role here,
        # as production (which must not connect as a superuser) always is.
        db.session.execute(text(f"SET LOCAL ROLE {PROBE_ROLE}"))
        rooms = sorted(set(db.session.scalars(text("SELECT room_id FROM visits"))))
        setting = db.session.scalar(text("SELECT current_setting('roomlog.room_ids', true)"))

        def insert(room_id: int) -> bool:
            try:
                with db.session.begin_nested():
                    db.session.execute(
                        text(
                            "INSERT INTO visits (room_id, occurred_at, recorded_at, service_day, backdated, "
                            "idempotency_key, request_hash, voided, outcome) "
                            "VALUES (:room, now(), now(), current_date, false, :key, '', false, 'admitted')"
                        ),
                        {"room": room_id, "key": f"rls-probe-{room_id}"},
                    )
            except ProgrammingError as exc:  # the policy's WITH CHECK refuses the row
                assert "row-level security" in str(exc)
                return False
            return True

        return {
            "rooms": rooms,
            "setting": setting,
            "wrote_own_room": insert(world.room_a.id),
            "wrote_other_room": insert(world.room_b.id),
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

    # Maintenance (CLI, backups: no request, no setting) sees every room, as the same plain role.
    with rls_app.app_context(), db.engine.begin() as conn:
        conn.execute(text(f"SET LOCAL ROLE {PROBE_ROLE}"))
        rooms = sorted(set(conn.scalars(text("SELECT room_id FROM visits"))))
    assert rooms == sorted([world.room_a.id, world.room_b.id])
    session.close()
