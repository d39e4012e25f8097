"""Privacy canary under gunicorn: a check-in's raw code never reaches the access or error log."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask

from roomlog.models.codes import Role
from tests.capture_helpers import CODE, CODE_TEXT
from tests.conftest import sqlite_path
from tests.factories import Factory

requests = pytest.importorskip("requests")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(100):
        if proc.poll() is not None:
            raise AssertionError("gunicorn exited early")
        try:
            requests.get(url, timeout=10)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not start")


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_gunicorn_logs_never_hold_the_code(app: Flask, make: Factory, tmp_path: Path) -> None:
    room = make.room()
    make.user(Role.STAFF, rooms=[room], username="s")
    database = sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    port, access, errors = _free_port(), tmp_path / "access.log", tmp_path / "error.log"
    env = {
        **os.environ,
        "ROOMLOG_DATABASE_URL": f"sqlite:///{database}",
        "ROOMLOG_SECRET_KEY": "privacy-test-secret",
        "ROOMLOG_PSEUDONYM_KEY": "test-pseudonym-key-for-tests-only-0123",
        "ROOMLOG_INSTANCE_PATH": str(tmp_path / "instance"),
        "ROOMLOG_ENV": "development",
    }
    command = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
        "--access-logfile", str(access), "--error-logfile", str(errors), "--log-level", "debug", "wsgi:app",
    ]  # fmt: skip
    proc = subprocess.Popen(command, env=env, cwd=Path(__file__).resolve().parents[1])
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{base}/auth/login", proc)
        web = requests.Session()
        token = _csrf(web.get(f"{base}/auth/login").text)
        web.post(f"{base}/auth/login", data={"username": "s", "password": Factory.PASSWORD, "csrf_token": token})
        form = web.get(f"{base}/rooms/{room.id}/check-in").text
        key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', form)
        assert key
        data = {**CODE, "csrf_token": _csrf(form), "idempotency_key": key.group(1)}
        response = web.post(f"{base}/rooms/{room.id}/check-in", data=data, allow_redirects=False)
        assert response.status_code == 303 and "QXZ" not in response.headers["Location"]
        bad = web.post(f"{base}/rooms/{room.id}/check-in", data={**data, "birth_month": "13"}, allow_redirects=False)
        assert bad.status_code == 400
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    logs = access.read_text() + errors.read_text()
    assert f"POST /rooms/{room.id}/check-in" in logs
    for needle in (CODE_TEXT, "QXZ", "17031981", "1981-03-17"):
        assert needle not in logs
        assert needle.encode() not in database.read_bytes()
