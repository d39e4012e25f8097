"""Login throttling per account and per address, shared by several gunicorn workers."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask
from limits import parse, strategies
from limits.storage import storage_from_string

from tests.conftest import AuthActions
from tests.factories import Factory
from tests.security_server import Browser, gunicorn

ACCOUNT_LIMIT, ADDRESS_LIMIT = 5, 30


def test_sqlite_storage_counts_across_instances(tmp_path: Path) -> None:
    """Two storage objects on one file (as two workers) share one counter; windows expire."""
    uri = f"roomlog+sqlite://{tmp_path / 'rl.sqlite3'}"
    first, second = storage_from_string(uri), storage_from_string(uri)
    limit = parse("3 per minute")
    a, b = strategies.FixedWindowRateLimiter(first), strategies.FixedWindowRateLimiter(second)
    assert [a.hit(limit, "k"), b.hit(limit, "k"), a.hit(limit, "k")] == [True, True, True]
    assert not b.hit(limit, "k") and not a.hit(limit, "k")
    assert a.hit(limit, "other")
    a.clear(limit, "k")
    assert b.hit(limit, "k")
    assert first.check() and first.incr("short", 0) == 1 and first.get("short") == 0  # expired at once


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, object]:
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": f"roomlog+sqlite://{tmp_path / 'ratelimit.sqlite3'}",
        "LOGIN_RATE_LIMIT": "3 per 5 minutes",
        "LOGIN_IP_RATE_LIMIT": "100 per minute",
    }


def test_throttled_account_gets_a_clear_message_and_others_still_log_in(
    app: Flask, make: Factory, auth: AuthActions
) -> None:
    room = make.room()
    make.user(rooms=[room], username="victim")
    make.user(rooms=[room], username="bystander")
    for _ in range(3):
        assert auth.login("victim", "wrong password guess").status_code == 200
    throttled = auth.login("victim")  # even the right password waits
    assert throttled.status_code == 429
    assert "For mange mislykkede log ind" in throttled.get_data(as_text=True)
    assert auth.login("VICTIM ").status_code == 429  # same account, other spelling
    assert auth.login("bystander").status_code == 302


@pytest.mark.slow
def test_burst_across_gunicorn_workers_is_counted_once(tmp_path: Path, app: Flask, make: Factory) -> None:
    room = make.room()
    make.user(rooms=[room], username="victim")
    make.user(rooms=[room], username="bystander")
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    limits = {
        "ROOMLOG_LOGIN_RATE_LIMIT": f"{ACCOUNT_LIMIT} per 5 minutes",
        "ROOMLOG_LOGIN_IP_RATE_LIMIT": f"{ADDRESS_LIMIT} per 5 minutes",
    }
    with gunicorn(tmp_path, database, workers=3, **limits) as server:

        def attempt(_: int) -> int:
            return Browser(server.base).login("victim", "wrong password guess")

        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(attempt, range(24)))
        refused = statuses.count(200)
        # One shared counter: about ACCOUNT_LIMIT refusals (a few more can slip through while
        # concurrent requests are in flight). Per-worker memory counters would allow 3 × 5.
        assert ACCOUNT_LIMIT <= refused <= ACCOUNT_LIMIT + 5, statuses
        assert statuses.count(429) == 24 - refused, statuses
        pids = {
            entry["pid"]
            for entry in map(json.loads, server.app_log.read_text().splitlines())
            if entry["event"] in {"login.failed", "throttled"}
        }
        # Failures and refusals were answered by several workers, yet counted once.
        assert len(pids) >= 2, "the burst should have reached several workers"
        assert Browser(server.base).login("victim", "correct horse battery staple") == 429
        assert Browser(server.base).login("bystander", "correct horse battery staple") == 302
        # Per address: spraying many usernames from one address stops too.
        spray = [Browser(server.base).login(f"guess{n}", "wrong password guess") for n in range(ADDRESS_LIMIT)]
        assert spray[-1] == 429 and 200 in spray
