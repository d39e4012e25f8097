"""Login throttling: delays per account and address, never a lockout of a room's tablets; shared by workers.

No test here depends on timing: a delay is ended by moving its time in the database, and the
burst test makes the first delay long enough that no attempt of the burst can outlive it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from limits import parse, strategies
from limits.storage import storage_from_string
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from roomlog.models import LoginThrottle
from roomlog.models.codes import Role
from tests.support.apps import AuthActions
from tests.support.factories import Factory
from tests.support.http import Browser
from tests.support.server import COLD, gunicorn

FREE = 3
PASSWORD = Factory.PASSWORD
WRONG = "wrong password guess"


def test_sqlite_storage_counts_across_instances_and_stores_keyed_hashes(tmp_path: Path) -> None:
    """Two storage objects on one file (as two workers) share one counter; keys are never stored."""
    uri = f"roomlog+sqlite://{tmp_path / 'rl' / 'rl.sqlite3'}"
    first, second = storage_from_string(uri, key_secret="k"), storage_from_string(uri, key_secret="k")
    limit = parse("3 per minute")
    a, b = strategies.FixedWindowRateLimiter(first), strategies.FixedWindowRateLimiter(second)
    assert [a.hit(limit, "address:10.1.2.3"), b.hit(limit, "address:10.1.2.3"), a.hit(limit, "address:10.1.2.3")] == [
        True,
        True,
        True,
    ]
    assert not b.hit(limit, "address:10.1.2.3") and not a.hit(limit, "address:10.1.2.3")
    assert a.hit(limit, "other")
    a.clear(limit, "address:10.1.2.3")
    assert b.hit(limit, "address:10.1.2.3")
    assert first.check() and first.incr("short", 0) == 1 and first.get("short") == 0  # expired at once
    stored = sqlite3.connect(tmp_path / "rl" / "rl.sqlite3").execute("SELECT key FROM counters").fetchall()
    assert stored and all("10.1.2.3" not in key and len(key) == 64 for (key,) in stored)
    assert (tmp_path / "rl").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "rl" / "rl.sqlite3").stat().st_mode & 0o777 == 0o600


@pytest.fixture
def app_config() -> dict[str, object]:
    return {
        "RATELIMIT_ENABLED": True,
        "LOGIN_RATE_LIMIT": f"{FREE} per 5 minutes",
        "LOGIN_IP_RATE_LIMIT": "30 per 5 minutes",
    }


def _end_delays(dbs: Session) -> None:
    """Let the time of every delay pass (instead of sleeping)."""
    past = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    dbs.execute(update(LoginThrottle).where(LoginThrottle.kind != "address").values(next_allowed_at=past))
    dbs.commit()


def _from(client: FlaskClient, address: str, username: str, password: str) -> int:
    response = client.post(
        "/auth/login", data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )
    return response.status_code


@pytest.mark.both_databases
def test_a_throttled_account_waits_then_logs_in_and_others_never_wait(
    app: Flask, make: Factory, auth: AuthActions, dbs: Session
) -> None:
    room = make.room()
    make.user(rooms=[room], username="victim")
    make.user(rooms=[room], username="bystander")
    for _ in range(FREE):
        assert auth.login("victim", WRONG).status_code == 200
    throttled = auth.login("victim")  # the right password waits out the delay too (same address)
    assert throttled.status_code == 429
    assert "For mange mislykkede log ind" in throttled.get_data(as_text=True)
    assert auth.login("VICTIM ").status_code == 429  # same account, other spelling
    assert AuthActions(app.test_client()).login("bystander").status_code == 302
    _end_delays(dbs)
    assert auth.login("victim").status_code == 302  # a delay, not a lockout
    stored = dbs.scalars(select(LoginThrottle.key_hash)).all()
    assert stored and not any("victim" in k or "127.0.0.1" in k for k in stored)


@pytest.mark.both_databases
def test_delays_grow_and_a_known_device_is_not_slowed_by_an_attacker(app: Flask, make: Factory, dbs: Session) -> None:
    make.user(rooms=[make.room()], username="anna")
    tablet = app.test_client()
    assert AuthActions(tablet).login("anna").status_code == 302  # the tablet gets a device cookie
    AuthActions(tablet).logout()
    attacker = app.test_client()
    waits = []
    for _ in range(3):
        for _ in range(FREE + 2):
            _from(attacker, "203.0.113.9", "anna", WRONG)
        waits.append(dbs.scalar(select(LoginThrottle.failures).where(LoginThrottle.kind == "pair")))
        _end_delays(dbs)
    assert waits == sorted(waits)
    assert _from(attacker, "203.0.113.9", "anna", WRONG) == 200
    assert _from(attacker, "203.0.113.9", "anna", PASSWORD) == 429  # this address must wait
    assert _from(tablet, "203.0.113.9", "anna", PASSWORD) == 302  # the known tablet, same address, does not


@pytest.mark.both_databases
def test_a_rooms_ten_tablets_behind_one_address_log_in_during_a_spraying_burst(app: Flask, make: Factory) -> None:
    room = make.room()
    names = [make.user(Role.STAFF, rooms=[room], username=f"tablet{n}").username for n in range(10)]
    router = "198.51.100.7"
    known = [app.test_client() for _ in names]
    for client, name in zip(known[:5], names[:5], strict=True):
        assert _from(client, router, name, PASSWORD) == 302  # five tablets were used before (device cookies)
        AuthActions(client).logout()
    sprayer = app.test_client()
    # Password spraying from the room's own address: many usernames, the tablets' among them.
    sprayed = [_from(sprayer, router, f"guess{n}", WRONG) for n in range(60)]
    assert set(sprayed) == {200}  # each name once: no account or pair limit is reached...
    assert _from(sprayer, router, "guess59", WRONG) == 429  # ...but past 30 failures there are no free ones
    for name in names[:5]:
        assert [_from(sprayer, router, name, WRONG) for _ in range(2)] == [200, 429]
    for client, name in zip(known, names, strict=True):  # every tablet logs in with its own password
        assert _from(client, router, name, PASSWORD) == 302, name


@pytest.mark.both_databases
def test_at_most_100_consecutive_failures_per_account_then_an_admin_clears_it(
    app: Flask, make: Factory, dbs: Session
) -> None:
    victim = make.user(rooms=[make.room()], username="victim")
    make.user(Role.ADMIN, username="admin")
    for n in range(100):  # from 100 addresses: no address or pair limit is reached
        assert _from(app.test_client(), f"10.0.{n // 200}.{n % 200 + 1}", "victim", WRONG) == 200
    assert _from(app.test_client(), "10.9.9.9", "victim", PASSWORD) == 429  # one attempt an hour from now on
    admin = AuthActions(app.test_client())
    admin.login("admin")
    page = admin.client.get("/admin/throttles").get_data(as_text=True)
    assert "victim" in page and "100" in page
    row = dbs.scalars(
        select(LoginThrottle).where(LoginThrottle.kind == "account", LoginThrottle.user_id == victim.id)
    ).one()
    assert admin.client.post(f"/admin/throttles/{row.key_hash}/clear").status_code == 302
    assert _from(app.test_client(), "10.9.9.9", "victim", PASSWORD) == 302


@pytest.mark.slow
def test_burst_across_gunicorn_workers_is_counted_once(tmp_path: Path, app: Flask, make: Factory) -> None:
    """24 wrong passwords at once over 3 workers: exactly FREE are checked, whatever the machine's load."""
    room = make.room()
    make.user(rooms=[room], username="victim")
    make.user(rooms=[room], username="bystander")
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    limits = {
        "ROOMLOG_LOGIN_RATE_LIMIT": f"{FREE} per 5 minutes",
        "ROOMLOG_LOGIN_FIRST_DELAY_S": "3600",  # no attempt of the burst can outlive the first delay
    }
    # wsgi.py without the per-worker warm-up (tests/support/cold_wsgi.py): the count is the login view's.
    with gunicorn(tmp_path, database, workers=3, target=COLD, **limits) as server:

        def attempt(_: int) -> int:
            return Browser(server.base).login("victim", WRONG)

        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(attempt, range(24)))
        assert statuses.count(200) == FREE, statuses  # checked and refused: one shared, atomic count
        assert statuses.count(429) == 24 - FREE, statuses  # refused before the password was looked at
        assert Browser(server.base).login("victim", PASSWORD) == 429
        assert Browser(server.base).login("bystander", PASSWORD) == 302
