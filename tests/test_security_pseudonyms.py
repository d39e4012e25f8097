"""The pseudonym key: required in production, never in the database, a dump or the logs."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from roomlog.services.pseudonyms import pseudonym

KEY = "PSEUDOKEY-canary-4f1c9e7a2b"


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, object]:
    return {"PSEUDONYM_KEY": KEY, "LOG_FILE": str(tmp_path / "app.log")}


def test_production_refuses_to_start_without_the_pseudonym_key(tmp_path: Path) -> None:
    env = {
        "ROOMLOG_ENV": "production",
        "ROOMLOG_SECRET_KEY": "s" * 48,
        "ROOMLOG_INSTANCE_PATH": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.run(
        [sys.executable, "-c", "from roomlog import create_app; create_app()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0 and "ROOMLOG_PSEUDONYM_KEY is not set" in proc.stderr
    assert not list(tmp_path.glob("*pseudonym*"))  # nothing generated in production


def test_key_never_lands_in_the_database_or_the_logs(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    assert runner.invoke(args=["demo", "--months", "1"]).exit_code == 0
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    raw = database.read_bytes()
    with sqlite3.connect(database) as conn:
        dump = "\n".join(conn.iterdump())
        stored = {row[0] for row in conn.execute("SELECT pseudonym FROM visitors")}
    assert stored, "the demo created visitors"
    assert KEY.encode() not in raw and KEY not in dump
    log = (tmp_path / "app.log").read_text(encoding="utf-8") if (tmp_path / "app.log").exists() else ""
    assert KEY not in log
    # The stored values are keyed hashes: 64 hex digits, and a different key gives other values.
    assert all(len(p) == 64 and int(p, 16) >= 0 for p in stored)
    assert pseudonym(KEY, "ABCDE01011980M") != pseudonym("another key", "ABCDE01011980M")
