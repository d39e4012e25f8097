"""Set up and serve the two apps of the capture benchmark (roomlog and the bare floor).

Both apps share one database. On PostgreSQL the schema owner migrates it and creates the
floor's table, and both apps serve as the app role (no owner, row-level security applies).
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import random
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from bench.load import Tablet
from tests.support.net import find_csrf_token, free_port
from tests.support.server import Gunicorn, clean_env

SECRET = "bench-capture-secret-key-not-for-production"
PSEUDONYM = "bench-capture-pseudonym-key-not-for-production"
DATA_KEY = "bench-capture-data-key-not-for-production-use"
PASSWORD = "tablet-kettle-river-harbour-7"
LOGINS = 10  # distinct staff logins; the simulated tablets share them


@dataclass
class RoomlogSetup:
    """The migrated roomlog database: one room and its staff."""

    url: str
    instance: Path
    room_id: int
    usernames: list[str]


@dataclass(frozen=True)
class Database:
    """One benchmark database: the app role's URL and the schema owner's (the same URL on SQLite)."""

    url: str
    owner_url: str


def roomlog_env(url: str, instance: Path, log_file: Path) -> dict[str, str]:
    """Return the ``ROOMLOG_*`` settings of a production-like roomlog on ``url`` (plain HTTP on loopback)."""
    return {
        "ROOMLOG_ENV": "production",
        "ROOMLOG_DATABASE_URL": url,
        "ROOMLOG_SECRET_KEY": SECRET,
        "ROOMLOG_PSEUDONYM_KEY": PSEUDONYM,
        "ROOMLOG_DATA_KEY": DATA_KEY,
        "ROOMLOG_SECURE_COOKIES": "0",
        "ROOMLOG_INSTANCE_PATH": str(instance),
        "ROOMLOG_LOG_FILE": str(log_file),
    }


def setup_floor(database: Database) -> None:
    """Create the floor app's one table, as the owner (the app role gets the migrations' default grants)."""
    from sqlalchemy import create_engine

    from bench.floor_app import events

    engine = create_engine(database.owner_url)
    events.metadata.create_all(engine)
    engine.dispose()


def setup_roomlog(database: Database, instance: Path) -> RoomlogSetup:
    """Migrate a roomlog database as its owner and add a room with staff (cheap password hashes: quick log-in)."""
    instance.mkdir(parents=True, exist_ok=True)
    os.environ["ROOMLOG_INSTANCE_PATH"] = str(instance)
    from flask_migrate import upgrade

    from roomlog import create_app
    from roomlog.extensions import db
    from roomlog.models.codes import PermitStatus, Role
    from roomlog.services import accounts, rooms

    separate = database.owner_url != database.url
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database.url,
            **({"OWNER_DATABASE_URL": database.owner_url, "DATABASE_AS_OWNER": True} if separate else {}),
            "SECRET_KEY": SECRET,
            "PSEUDONYM_KEY": PSEUDONYM,
            "DATA_KEY": DATA_KEY,
            "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
            "LOG_FILE": str(instance / "setup.log"),
        }
    )
    with app.app_context():
        upgrade()
        room = rooms.create_room(
            db.session,
            name="Benchrum",
            municipality_code="101",
            permit_status=PermitStatus.GRANTED,
            permit_date=dt.date(2020, 1, 1),
            opened_on=None,
            places_injection=10,
            places_smoking=4,
        )
        names = [f"bench-tablet-{n}" for n in range(LOGINS)]
        for name in names:
            accounts.create_user(
                db.session, username=name, password=PASSWORD, role=Role.STAFF, rooms=[room],
                hashing=app.config["ARGON2_PARAMS"],
            )  # fmt: skip
        db.session.commit()
        room_id = room.id
        db.session.remove()
        db.engine.dispose()
    return RoomlogSetup(database.url, instance, room_id, names)


class Server(Gunicorn):
    """A gunicorn master with sync workers on 127.0.0.1, for roomlog or the floor app (the tests' launcher)."""

    def __init__(self, kind: str, workdir: Path, url: str, workers: int) -> None:
        self.kind = kind
        port = free_port()
        env = clean_env(FLOOR_DATABASE_URL=url)
        if kind == "roomlog":
            env.update(roomlog_env(url, workdir / "instance", workdir / f"roomlog-{port}.jsonl"))
            env.update(ROOMLOG_LOGIN_RATE_LIMIT="10000 per minute")
        target = "wsgi:app" if kind == "roomlog" else "bench.floor_app:app_factory()"
        super().__init__(workdir, env, target=target, workers=workers, port=port, log_name=kind)

    def kill_worker(self, rng: random.Random | None = None) -> int:
        """SIGKILL the first worker (gunicorn's master starts another); return its pid (0 when there is none)."""
        return super().kill_worker(rng) or 0


def request(
    port: int, method: str, path: str, fields: dict[str, str] | None = None, cookie: str = ""
) -> tuple[int, str, str]:
    """Send one request; return the status, the body and the session cookie (new or unchanged)."""
    headers = {"Connection": "close"}
    body = None
    if fields is not None:
        body = urllib.parse.urlencode(fields)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if cookie:
        headers["Cookie"] = cookie
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        # Log-in also sets a device cookie (path /auth/): keep the session cookie only.
        sessions = [v.split(";", 1)[0] for k, v in response.getheaders() if k.lower() == "set-cookie"]
        new = [c for c in sessions if c.split("=", 1)[0].endswith("session")]
        return response.status, text, new[-1] if new else cookie
    finally:
        conn.close()


def _login(port: int, room_id: int, username: str) -> Tablet:
    status, page, cookie = request(port, "GET", "/auth/login")
    token = find_csrf_token(page)
    if status != 200 or token is None:
        raise RuntimeError(f"no form for the benchmark tablet: {status}")
    status, _body, cookie = request(
        port, "POST", "/auth/login", {"username": username, "password": PASSWORD, "csrf_token": token}, cookie
    )
    if status != 302:
        raise RuntimeError(f"log-in of {username} failed: {status}")
    status, page, cookie = request(port, "GET", f"/rooms/{room_id}/check-in", cookie=cookie)
    token = find_csrf_token(page)
    if status != 200 or token is None:
        raise RuntimeError(f"no form for the benchmark tablet: {status}")
    return Tablet(f"/rooms/{room_id}/visits/anonymous", {"csrf_token": token}, cookie)


def roomlog_tablets(server: Server, setup: RoomlogSetup, count: int) -> list[Tablet]:
    """Log the staff in and return ``count`` tablets sharing those logins."""
    logins = [_login(server.port, setup.room_id, name) for name in setup.usernames]
    return [
        Tablet(logins[n % len(logins)].path, dict(logins[n % len(logins)].fields), logins[n % len(logins)].cookie)
        for n in range(count)
    ]
