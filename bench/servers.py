"""Set up and serve the two apps of the capture benchmark (roomlog and the bare floor)."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from bench.load import Tablet

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-capture-secret-key-not-for-production"
PSEUDONYM = "bench-capture-pseudonym-key-not-for-production"
DATA_KEY = "bench-capture-data-key-not-for-production-use"
PASSWORD = "tablet-kettle-river-harbour-7"
LOGINS = 10  # distinct staff logins; the simulated tablets share them
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class RoomlogSetup:
    """The migrated roomlog database: one room and its staff."""

    url: str
    instance: Path
    room_id: int
    usernames: list[str]


def setup_floor(url: str) -> None:
    """Create the floor app's one table."""
    from bench.floor_app import events, make_engine

    engine = make_engine(url)
    events.metadata.create_all(engine)
    engine.dispose()


def setup_roomlog(url: str, instance: Path) -> RoomlogSetup:
    """Migrate a roomlog database and add a room with staff (cheap password hashes, so log-in is quick)."""
    instance.mkdir(parents=True, exist_ok=True)
    os.environ["ROOMLOG_INSTANCE_PATH"] = str(instance)
    from flask_migrate import upgrade

    from roomlog import create_app
    from roomlog.extensions import db
    from roomlog.models.codes import PermitStatus, Role
    from roomlog.services import accounts, rooms

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
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
            accounts.create_user(db.session, username=name, password=PASSWORD, role=Role.STAFF, rooms=[room])
        db.session.commit()
        room_id = room.id
        db.session.remove()
        db.engine.dispose()
    return RoomlogSetup(url, instance, room_id, names)


class Server:
    """A gunicorn master with sync workers on 127.0.0.1, for roomlog or the floor app."""

    def __init__(self, kind: str, workdir: Path, url: str, workers: int) -> None:
        self.kind, self.workers = kind, workers
        with contextlib.closing(__import__("socket").socket()) as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMLOG_")}
        env.update(PYTHONUNBUFFERED="1", FLOOR_DATABASE_URL=url)
        if kind == "roomlog":
            env.update(
                ROOMLOG_ENV="production",
                ROOMLOG_DATABASE_URL=url,
                ROOMLOG_SECRET_KEY=SECRET,
                ROOMLOG_PSEUDONYM_KEY=PSEUDONYM,
                ROOMLOG_DATA_KEY=DATA_KEY,
                ROOMLOG_SECURE_COOKIES="0",
                ROOMLOG_INSTANCE_PATH=str(workdir / "instance"),
                ROOMLOG_LOGIN_RATE_LIMIT="10000 per minute",
                ROOMLOG_LOG_FILE=str(workdir / f"roomlog-{self.port}.jsonl"),
            )
        self.env = env
        self.log = workdir / f"{kind}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        target = "wsgi:app" if self.kind == "roomlog" else "bench.floor_app:app_factory()"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--timeout",
            "60",
            "--graceful-timeout",
            "3",
            target,
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 240  # four workers importing everything on a loaded machine
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if request(self.port, "GET", "/healthz")[0] == 200:
                    return self
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.3)
        raise RuntimeError(f"{self.kind} did not become healthy")

    def kill_worker(self) -> int:
        """SIGKILL the first worker (gunicorn's master starts another); return its pid."""
        if self.process is None:
            return 0
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if not children:
            return 0
        victim = int(children[0])
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
        return victim

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        self.process = None


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
    token = _CSRF.search(page)
    if status != 200 or token is None:
        raise RuntimeError(f"no form for the benchmark tablet: {status}")
    status, _body, cookie = request(
        port, "POST", "/auth/login", {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}, cookie
    )
    if status != 302:
        raise RuntimeError(f"log-in of {username} failed: {status}")
    status, page, cookie = request(port, "GET", f"/rooms/{room_id}/check-in", cookie=cookie)
    token = _CSRF.search(page)
    if status != 200 or token is None:
        raise RuntimeError(f"no form for the benchmark tablet: {status}")
    return Tablet(f"/rooms/{room_id}/visits/anonymous", {"csrf_token": token.group(1)}, cookie)


def roomlog_tablets(server: Server, setup: RoomlogSetup, count: int) -> list[Tablet]:
    """Log the staff in and return ``count`` tablets sharing those logins."""
    logins = [_login(server.port, setup.room_id, name) for name in setup.usernames]
    return [
        Tablet(logins[n % len(logins)].path, dict(logins[n % len(logins)].fields), logins[n % len(logins)].cookie)
        for n in range(count)
    ]
