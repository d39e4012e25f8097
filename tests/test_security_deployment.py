"""PostgreSQL as the README deploys it: what the app's role cannot do, and backups made by the owner."""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from roomlog import create_app
from roomlog.extensions import db
from roomlog.operations import backup as backups
from tests.support.apps import dispose, make_test_config, owner_app, scratch_pg_database
from tests.support.demo_db import PgDemo, pg_demo_database

ALL_ROOM_TABLES = (
    "visits",
    "consumptions",
    "consumption_substances",
    "emergencies",
    "emergency_actions",
    "incidents",
    "referrals",
    "services",
    "period_status",
    "monthly_aggregates",
    "monthly_history",
    "visitors",
    "audit_log",
)


@contextmanager
def _deployment(folder: Path, demo: PgDemo) -> Iterator[tuple[Flask, Flask, dict[str, int]]]:
    """A migrated database with two rooms' records; the app (app role) and the owner's app.

    The database is a copy of one migrated and loaded with ``roomlog demo --months 3`` (as the owner) once
    per test run (conftest ``pg_demo``): the same state, without migrating and loading it again.
    """
    with pg_demo_database(demo, "deployed") as url:
        app = create_app(make_test_config(folder, url))
        owner = owner_app(folder, url)
        with owner.app_context():
            rooms = dict(db.session.execute(text("SELECT name, id FROM rooms ORDER BY id")).all())
            db.session.remove()
        yield app, owner, rooms
        dispose(app)
        dispose(owner)


@pytest.fixture(scope="module")
def deployed(
    tmp_path_factory: pytest.TempPathFactory, pg_demo: PgDemo
) -> Iterator[tuple[Flask, Flask, dict[str, int]]]:
    """One deployment for the module's tests that only read it or are refused (migrating and loading
    the demo is most of this module's time); a test that changes the database takes ``own_deployment``."""
    with _deployment(tmp_path_factory.mktemp("deployed"), pg_demo) as deployment:
        yield deployment


@pytest.fixture
def own_deployment(tmp_path: Path, pg_demo: PgDemo) -> Iterator[tuple[Flask, Flask, dict[str, int]]]:
    """A deployment of the test's own."""
    with _deployment(tmp_path, pg_demo) as deployment:
        yield deployment


def _app_connection(app: Flask) -> Connection:
    with app.app_context():
        return db.engine.connect()


def _refused(conn: Connection, statement: str) -> str:
    """Run ``statement``; return the SQLSTATE it was refused with (the test fails if it went through)."""
    try:
        with conn.begin_nested():
            conn.execute(text(statement))
    except DBAPIError as exc:
        return str(exc.orig.sqlstate)
    raise AssertionError(f"the app role was allowed to run: {statement}")


def test_the_app_role_owns_nothing_and_cannot_switch_a_guard_off(deployed: tuple[Flask, Flask, dict[str, int]]) -> None:
    app, _, rooms = deployed
    conn = _app_connection(app)
    with conn.begin():
        role = conn.execute(
            text("SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user")
        ).one()
        assert tuple(role) == (False, False, False, False)
        owned = conn.scalar(
            text(
                "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
            )
        )
        assert owned == 0
        for statement in (
            "ALTER TABLE visits DISABLE TRIGGER visits_guard",
            "ALTER TABLE audit_log DISABLE TRIGGER USER",
            "ALTER TABLE visits NO FORCE ROW LEVEL SECURITY",
            "ALTER TABLE visits DISABLE ROW LEVEL SECURITY",
            "DROP POLICY room_scope ON visits",
            "ALTER TABLE visits ADD COLUMN name text",
            "CREATE TABLE sneaky (id int)",
            "CREATE OR REPLACE FUNCTION roomlog_lock_after_days() RETURNS integer LANGUAGE sql AS $$ SELECT 100000 $$",
            "TRUNCATE visits",
            "UPDATE audit_log SET reason = 'x'",
            "SET session_replication_role = replica",
        ):
            assert _refused(conn, statement) in {"42501", "42P17"}, statement  # insufficient privilege
        # Settings the app may SET open nothing: deletes and locked months stay refused.
        conn.execute(text("SELECT set_config('roomlog.retention_purge', 'on', true)"))
        conn.execute(text("SELECT set_config('roomlog.history_load', 'on', true)"))
        conn.execute(text("SELECT set_config('roomlog.lock_after_days', '100000', true)"))
        assert _refused(conn, "DELETE FROM visits") == "42501"
        old_insert = (
            "INSERT INTO visits (room_id, occurred_at, recorded_at, service_day, backdated, idempotency_key, "
            f"request_hash, voided, outcome) VALUES ({min(rooms.values())}, '2020-01-15 12:00+00', now(), "
            "'2020-01-15', true, 'locked-month-probe', '', false, 'admitted')"
        )
        assert _refused(conn, old_insert) == "RLK01"
    conn.close()


def _counts(conn: Connection) -> dict[str, int]:
    return {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) or 0 for t in ALL_ROOM_TABLES}


def test_row_level_security_denies_by_default_on_every_room_table(
    deployed: tuple[Flask, Flask, dict[str, int]],
) -> None:
    app, owner, rooms = deployed
    first, second = sorted(rooms.values())[:2]
    with owner.app_context(), db.engine.connect() as owner_conn:
        everything = _counts(owner_conn)
    assert all(everything[t] for t in ("visits", "consumption_substances", "visitors", "audit_log"))
    conn = _app_connection(app)
    with conn.begin():
        assert _counts(conn) == everything  # outside a request: the explicit all-rooms scope
        conn.execute(text("SELECT set_config('roomlog.room_ids', :ids, true)"), {"ids": str(first)})
        assert set(conn.scalars(text("SELECT DISTINCT room_id FROM visits"))) == {first}
        for reset in ("", None):  # the scope reset mid-transaction: nothing at all, not everything
            if reset is None:
                conn.execute(text("RESET roomlog.room_ids"))
            else:
                conn.execute(text("SELECT set_config('roomlog.room_ids', :ids, true)"), {"ids": reset})
            for table in ALL_ROOM_TABLES:
                assert conn.scalar(text(f"SELECT count(*) FROM {table}")) == 0, table
        conn.execute(text("SELECT set_config('roomlog.room_ids', :ids, true)"), {"ids": str(second)})
        assert set(conn.scalars(text("SELECT DISTINCT room_id FROM audit_log WHERE room_id IS NOT NULL"))) <= {second}
    conn.close()


def test_backup_as_the_owner_holds_every_row_is_private_and_restores(
    deployed: tuple[Flask, Flask, dict[str, int]], tmp_path: Path
) -> None:
    app, owner, _ = deployed
    previous = os.umask(0o022)
    try:
        path = tmp_path / "roomlog.backup"
        result = app.test_cli_runner().invoke(args=["backup", str(path)])  # the app's config: the owner's URL is used
        assert result.exit_code == 0, result.output
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with owner.app_context():
        expected = {t: db.session.scalar(text(f"SELECT count(*) FROM {t}")) for t in ALL_ROOM_TABLES}
        db.session.remove()
    with scratch_pg_database("restored") as url:
        target = owner_app(tmp_path, url)
        result = target.test_cli_runner().invoke(args=["restore", str(path)])
        assert result.exit_code == 0, result.output
        served = create_app(make_test_config(tmp_path, url))  # the app role reads the restored rows
        with served.app_context():
            counts = {t: db.session.scalar(text(f"SELECT count(*) FROM {t}")) for t in ALL_ROOM_TABLES}
            db.session.remove()
        assert counts == expected
        dispose(served)
        dispose(target)


def test_a_failed_backup_leaves_no_file_behind(tmp_path: Path) -> None:
    target = tmp_path / "broken.backup"

    def fail(_done: int, _total: int) -> None:
        raise backups.BackupError("disk full")

    source = tmp_path / "source.sqlite3"
    engine = create_engine(f"sqlite:///{source}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num text)"))
    engine.dispose()
    with pytest.raises(backups.BackupError):
        backups.backup(f"sqlite:///{source}", target, fail)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source.sqlite3"]


def test_month_lock_days_come_from_the_database_not_a_setting(deployed: tuple[Flask, Flask, dict[str, int]]) -> None:
    app, _, _ = deployed
    conn = _app_connection(app)
    with conn.begin():
        conn.execute(text("SELECT set_config('roomlog.lock_after_days', '100000', true)"))
        assert conn.scalar(text("SELECT roomlog_lock_after_days()")) == 15
        assert conn.scalar(text("SELECT roomlog_month_locked(1, :day)"), {"day": dt.date(2020, 1, 1)}) is True
    conn.close()


def test_guards_sync_writes_the_lock_days_as_the_owner_only(
    own_deployment: tuple[Flask, Flask, dict[str, int]], tmp_path: Path
) -> None:
    app, _, _ = own_deployment
    refused = app.test_cli_runner().invoke(args=["guards", "sync"])  # the app role's connection
    assert refused.exit_code == 1 and "owner" in refused.output
    owner = owner_app(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], LOCK_AFTER_DAYS=20)
    result = owner.test_cli_runner().invoke(args=["guards", "sync"])
    assert result.exit_code == 0, result.output
    with owner.app_context():
        assert db.session.scalar(text("SELECT roomlog_lock_after_days()")) == 20
        db.session.remove()
    dispose(owner)


def test_every_json_error_body_carries_a_request_id(client) -> None:
    from roomlog.errors import render_error

    for path in ("/api/v1/rooms", "/api/v1/no-such-thing"):  # 401 without a token; 404
        response = client.get(path, headers={"Accept": "application/json"})
        assert response.status_code in (401, 404) and len(response.get_json()["request_id"]) == 16, path
    with client.application.test_request_context("/api/v1/rooms"):  # an error before the guard ran
        response, status = render_error(503)
        assert status == 503 and len(response.get_json()["request_id"]) == 16
