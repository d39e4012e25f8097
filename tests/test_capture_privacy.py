"""Privacy canary under gunicorn: a check-in's raw code never reaches the access or error log."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

from roomlog.models.codes import Role
from tests.support.apps import sqlite_path
from tests.support.capture import CODE, CODE_TEXT
from tests.support.factories import Factory
from tests.support.http import Browser
from tests.support.server import gunicorn


def test_gunicorn_logs_never_hold_the_code(app: Flask, make: Factory, tmp_path: Path) -> None:
    room = make.room()
    make.user(Role.STAFF, rooms=[room], username="s")
    database = sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    with gunicorn(tmp_path, database, workers=1, args=("--log-level", "debug")) as server:
        web = Browser(server.base)
        assert web.login("s", Factory.PASSWORD) == 302
        status, form, _headers = web.get(f"/rooms/{room.id}/check-in")
        key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', form)
        assert status == 200 and key
        data = {**CODE, "csrf_token": web.token, "idempotency_key": key.group(1)}
        status, _body, headers = web.request("POST", f"/rooms/{room.id}/check-in", data)
        assert status == 303 and "QXZ" not in headers["Location"]
        bad = web.request("POST", f"/rooms/{room.id}/check-in", {**data, "birth_month": "13"})
        assert bad[0] == 400
    logs = server.access_log.read_text() + server.error_log.read_text()
    assert f"POST /rooms/{room.id}/check-in" in logs
    for needle in (CODE_TEXT, "QXZ", "17031981", "1981-03-17"):
        assert needle not in logs
        assert needle.encode() not in database.read_bytes()
