"""The pseudonym key: required in production, never in the database, a dump or the logs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from roomlog.services.pseudonyms import pseudonym
from tests.support.apps import start_in_a_new_process
from tests.support.demo_db import DEMO_PSEUDONYM_KEY, SqliteDemo

KEY = DEMO_PSEUDONYM_KEY  # the run's one demo (conftest ``sqlite_demo``) is loaded with this key


def test_production_refuses_to_start_without_the_pseudonym_key(tmp_path: Path) -> None:
    env = {
        "ROOMLOG_ENV": "production",
        "ROOMLOG_SECRET_KEY": "s" * 48,
        "ROOMLOG_INSTANCE_PATH": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    proc = start_in_a_new_process(env)
    assert proc.returncode != 0 and "ROOMLOG_PSEUDONYM_KEY is not set" in proc.stderr
    assert not list(tmp_path.glob("*pseudonym*"))  # nothing generated in production


def test_key_never_lands_in_the_database_or_the_logs(sqlite_demo: SqliteDemo, tmp_path: Path) -> None:
    """The run's one ``roomlog demo --months 3`` ran with KEY and a log file: neither its database nor log holds it."""
    assert sqlite_demo.exit_code == 0, sqlite_demo.output
    database = Path(str(sqlite_demo.config(tmp_path)["SQLALCHEMY_DATABASE_URI"]).removeprefix("sqlite:///"))
    raw = database.read_bytes()
    with sqlite3.connect(database) as conn:
        dump = "\n".join(conn.iterdump())
        stored = {row[0] for row in conn.execute("SELECT pseudonym FROM visitors")}
    assert stored, "the demo created visitors"
    assert KEY.encode() not in raw and KEY not in dump
    assert sqlite_demo.log, "the demo logged to its LOG_FILE"
    assert KEY not in sqlite_demo.log
    # The stored values are keyed hashes: 64 hex digits, and a different key gives other values.
    assert all(len(p) == 64 and int(p, 16) >= 0 for p in stored)
    assert pseudonym(KEY, "ABCDE01011980M") != pseudonym("another key", "ABCDE01011980M")
