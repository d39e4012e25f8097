"""The app's engine is configured for safety: read back from a fresh connection."""

from __future__ import annotations

import sqlite3

import pytest
from flask import Flask
from sqlalchemy import text

from roomlog.database import PG_MAX_OVERFLOW, PG_POOL_SIZE, SQLITE_BUSY_TIMEOUT_MS, engine_options, immediate
from roomlog.extensions import db
from tests.support.apps import sqlite_path


@pytest.mark.both_databases
def test_settings_on_a_fresh_connection(app: Flask, backend: str) -> None:
    with app.app_context():
        db.engine.dispose()
        with db.engine.connect() as conn:
            if backend == "sqlite":
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS
            else:
                # Outside a request every transaction runs under the explicit all-rooms scope.
                assert conn.execute(text("SELECT current_setting('roomlog.room_ids')")).scalar() == "*"
                assert conn.execute(text("SELECT current_setting('application_name')")).scalar() == "roomlog"
        # PostgreSQL pings before each checkout (a restarted server); a SQLite file does not drop connections.
        assert db.engine.pool._pre_ping is (backend == "postgresql")
        if backend == "postgresql":
            assert db.engine.pool.size() == PG_POOL_SIZE
            assert db.engine.pool._max_overflow == PG_MAX_OVERFLOW


def test_write_transactions_take_the_write_lock_at_begin(app: Flask) -> None:
    """An immediate transaction holds the lock before its first write: a second writer cannot start."""
    with app.app_context():
        path = sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
        with immediate(), db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))  # a read only, yet the write lock is taken
            other = sqlite3.connect(path, timeout=0)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()
            conn.rollback()
        other = sqlite3.connect(path, timeout=0)
        other.execute("BEGIN IMMEDIATE")  # free again once the transaction ended
        other.rollback()
        other.close()


def test_post_requests_begin_immediate_and_reads_do_not(app: Flask) -> None:
    with app.app_context():
        from roomlog.database import is_write_transaction

        with app.test_request_context("/", method="POST"):
            assert is_write_transaction()
        with app.test_request_context("/", method="GET"):
            assert not is_write_transaction()
        assert not is_write_transaction()
        with immediate():
            assert is_write_transaction()


def test_foreign_keys_are_enforced(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as conn, pytest.raises(Exception, match="FOREIGN KEY"):
        conn.execute(text("INSERT INTO room_memberships (user_id, room_id) VALUES (998, 999)"))


def test_engine_options_by_backend() -> None:
    pg = engine_options("postgresql+psycopg://u@h/db")
    assert pg["pool_pre_ping"] and pg["pool_size"] == PG_POOL_SIZE and pg["connect_args"]["connect_timeout"] > 0
    assert engine_options("sqlite:///x.db")["connect_args"]["timeout"] * 1000 == SQLITE_BUSY_TIMEOUT_MS
    assert "pool_pre_ping" not in engine_options("sqlite:///x.db")
    assert engine_options("sqlite:///x.db", {"pool_pre_ping": True})["pool_pre_ping"] is True
