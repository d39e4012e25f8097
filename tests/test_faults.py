"""Faults fail closed and recover: PostgreSQL restarted, a full disk, an SQLite writer killed.

Each test is bounded in time and count, uses only 127.0.0.1 and removes what it started.
"""

from __future__ import annotations

import os
import random
import resource
import signal
import sqlite3
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from roomlog.models.codes import Role
from tests.support.apps import dispose, migrated_app
from tests.support.factories import Factory
from tests.support.http import REQUEST_TIMEOUT_S
from tests.support.net import csrf_token
from tests.support.postgres import throwaway_postgres
from tests.support.server import COLD, Server, running
from tests.support.writers import acknowledged_ids, forkserver, write_forever

pytestmark = pytest.mark.slow

# The servers here serve tests/support/cold_wsgi.py (wsgi.py without the per-worker warm-up, which these
# faults do not touch): their workers start in a third of the time.


def _staff(tmp_path: Path, url: str, count: int = 1) -> list[str]:
    """Migrate the database and add a room (id 1) with ``count`` staff users; return their usernames."""
    application = migrated_app(tmp_path, url)
    with application.app_context():
        from roomlog.extensions import db

        session = db.session
        make = Factory(session, application)
        room = make.room("Skyen")
        names = [make.user(Role.STAFF, rooms=[room], username=f"tablet{n}").username for n in range(count)]
        db.session.remove()
    dispose(application)
    return names


def _wait_for(predicate, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)  # a short idle step: the bound is the timeout, not the number of polls
    return False


def test_postgres_restart_gives_503_then_recovers_without_restarting_gunicorn(tmp_path: Path) -> None:
    with throwaway_postgres() as pg:
        url = pg.url  # the app role's, on a database the owner migrates
        (username,) = _staff(tmp_path, url)
        with running(tmp_path, url, workers=2, target=COLD) as server:
            tablet = server.login(username, Factory.PASSWORD)
            assert tablet.get(f"{server.base}/", timeout=REQUEST_TIMEOUT_S).status_code == 200
            master = server.process.pid
            token = csrf_token(tablet.get(f"{server.base}/rooms/1/check-in", timeout=REQUEST_TIMEOUT_S).text)

            def visit(key: str) -> int:
                data = {"csrf_token": token, "idempotency_key": key}
                target = f"{server.base}/rooms/1/visits/anonymous"
                return tablet.post(target, data=data, allow_redirects=False, timeout=REQUEST_TIMEOUT_S).status_code

            assert visit("before-the-restart-0001") == 303

            pg.stop("fast")
            health = requests.get(f"{server.base}/healthz", timeout=REQUEST_TIMEOUT_S)
            assert health.status_code == 503 and health.json() == {"status": "unavailable"}
            page = tablet.get(f"{server.base}/?lang=en", timeout=REQUEST_TIMEOUT_S)
            assert page.status_code == 503  # the user load before the view already fails
            assert "text/html" in page.headers["Content-Type"] and "<h1>" in page.text
            assert "Traceback" not in page.text and "psycopg" not in page.text
            api = tablet.get(f"{server.base}/", headers={"Accept": "application/json"}, timeout=REQUEST_TIMEOUT_S)
            assert api.status_code == 503 and "error" in api.json() and api.json()["request_id"]

            assert visit("during-the-restart-0002") == 503  # fails closed: nothing saved

            pg.start()
            assert _wait_for(lambda: requests.get(f"{server.base}/healthz", timeout=5).status_code == 200)
            assert tablet.get(f"{server.base}/", timeout=REQUEST_TIMEOUT_S).status_code == 200  # same login
            assert server.process.pid == master and server.process.poll() is None
            assert visit("during-the-restart-0002") == 303  # the tablet's retry goes through
            engine = create_engine(pg.owner_url)  # the app role outside the app has no room scope: it sees nothing
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM visits")).scalar_one() == 2
            engine.dispose()


def _limit_file_size(limit: int):
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))  # soft: can be lifted

    return preexec


def _login_status(server: Server, username: str) -> tuple[int, str]:
    session = requests.Session()
    token = csrf_token(session.get(f"{server.base}/auth/login", timeout=REQUEST_TIMEOUT_S).text)
    response = session.post(
        f"{server.base}/auth/login?lang=en",
        data={"username": username, "password": Factory.PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT_S,
    )
    return response.status_code, response.text


def test_full_disk_fails_closed_and_writes_resume(tmp_path: Path) -> None:
    """The disk is 'full' through RLIMIT_FSIZE in the server (portable, needs no mount privileges)."""
    path = tmp_path / "full.sqlite3"
    (username,) = _staff(tmp_path, f"sqlite:///{path}")
    sqlite3.connect(path).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    limit = path.stat().st_size + 96 * 1024
    server = Server(tmp_path, f"sqlite:///{path}", workers=2, preexec=_limit_file_size(limit), target=COLD)
    try:
        server.start()
        statuses = []
        for _ in range(200):  # bounded: each login writes a session row until the file cannot grow
            status, body = _login_status(server, username)
            statuses.append(status)
            if status != 302:
                break
        assert status == 503, statuses
        assert "disk" in body and "Nothing was saved" in body
        acknowledged = statuses.count(302)
        assert acknowledged >= 1

        for pid in (server.process.pid, *server.worker_pids()):
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        assert _login_status(server, username)[0] == 302
        acknowledged += 1
    finally:
        server.stop()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM login_sessions").fetchone()[0] == acknowledged  # no partial record
    db.close()


def _audit_rows(path: Path) -> int:
    with sqlite3.connect(path, timeout=30) as db:
        count = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    db.close()
    return int(count)


def test_sqlite_writers_killed_repeatedly_lose_no_acknowledged_write(tmp_path: Path) -> None:
    path = tmp_path / "killed.sqlite3"
    url = f"sqlite:///{path}"
    dispose(migrated_app(tmp_path, url))
    rng = random.Random(7)
    acknowledged: set[int] = set()
    env = {**os.environ, "ROOMLOG_INSTANCE_PATH": str(tmp_path / "instance"), "ROOMLOG_ENV": "development"}
    with forkserver() as processes:  # each writer a process of its own, forked with roomlog already imported
        for round_ in range(5):
            files = [tmp_path / f"acknowledged-{round_}{w}" for w in range(2)]
            writers = [
                processes.Process(target=write_forever, args=(url, f"{round_}{w}", str(files[w]), env))
                for w in range(2)
            ]
            for writer in writers:
                writer.start()
            start = _audit_rows(path)
            assert _wait_for(lambda start=start: _audit_rows(path) >= start + 10, timeout=60)  # writing
            time.sleep(rng.random() / 2)
            for writer in writers:
                writer.kill()  # SIGKILL
            for writer in writers:
                writer.join(timeout=30)
                assert writer.exitcode == -signal.SIGKILL
            for file in files:
                acknowledged.update(acknowledged_ids(file))
    assert len(acknowledged) >= 50
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {row[0] for row in db.execute("SELECT id FROM audit_log")}
    db.close()
    assert acknowledged <= stored
    application = migrated_app(tmp_path, url)
    result = application.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    dispose(application)
