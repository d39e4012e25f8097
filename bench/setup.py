"""Bench databases (a fresh SQLite file, a fresh PostgreSQL database), users, token, and facts."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from bench.server import roomlog

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from roomlog.reporting.publication.sources import RoomInfo

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-reader-password-2026"
LEAD, MUNICIPALITY, NATIONAL = "bench-reader", "bench-kommune", "bench-national"


@contextmanager
def sqlite_database(directory: Path, keep: bool = False) -> Iterator[str]:
    """A fresh SQLite file in ``directory`` (or the one an earlier run left, with ``keep``)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        if not keep:
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    yield f"sqlite:///{path}"


#: The app role's URL of a bench database given by its owner URL (PostgreSQL).
APP_URLS: dict[str, str] = {}


def database_name() -> str:
    """The PostgreSQL bench database: ``BENCH_PGDATABASE`` (letters, digits, _), default ``roomlog_bench``."""
    name = os.environ.get("BENCH_PGDATABASE", "roomlog_bench")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise SystemExit(f"BENCH_PGDATABASE: {name!r} is not a plain lower-case database name")
    return name


@contextmanager
def postgresql_database(port: int, keep: bool = False, suffix: str = "") -> Iterator[str]:
    """A fresh database ``roomlog_bench`` + ``suffix`` (or ``BENCH_PGDATABASE``; kept from an earlier run with
    ``keep``) on the test server, or on a throwaway server started here."""
    given = os.environ.get("ROOMLOG_TEST_POSTGRES_OWNER_URL")
    app = os.environ.get("ROOMLOG_TEST_POSTGRES_URL")
    started = False
    if not given:
        env = dict(os.environ, PGPORT=str(port), PGDATA_DIR=f"/tmp/roomlog-bench-pg-{port}")
        out = subprocess.run(
            [str(ROOT / ".ci/postgres.sh"), "start"], env=env, check=True, stdout=subprocess.PIPE, text=True
        ).stdout
        given, app = out.strip().splitlines()[-2:]
        started = True
    url = make_url(given)
    name = database_name() + suffix
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if exists and not keep:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        if not exists or not keep:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    owner_url = url.set(database=name).render_as_string(hide_password=False)
    if app:
        # The app serves as the app role (row-level security applies); the CLI and the bare SQL run as the owner.
        APP_URLS[owner_url] = make_url(app).set(database=name).render_as_string(hide_password=False)
    try:
        yield owner_url
    finally:
        if started:
            env = dict(os.environ, PGPORT=str(port), PGDATA_DIR=f"/tmp/roomlog-bench-pg-{port}")
            subprocess.run([str(ROOT / ".ci/postgres.sh"), "stop"], env=env, check=False)


def ensure_users(url: str, room_names: list[str]) -> str:
    """Create the bench's lead, municipality and national users if missing; return a fresh national token."""
    rooms = [arg for name in room_names for arg in ("--room", name)]
    for username, extra in (
        (LEAD, ["--role", "lead", *rooms]),
        (MUNICIPALITY, ["--role", "municipality", "--municipality", "101"]),
        (NATIONAL, ["--role", "national"]),
    ):
        roomlog(
            url,
            "user",
            "create",
            "--username",
            username,
            *extra,
            "--password-stdin",
            stdin=PASSWORD + "\n",
            check=False,
            quiet=True,  # "the username is taken" on every stage after the first
        )
    out = roomlog(url, "token", "create", "--user", NATIONAL, "--name", "bench").stdout
    return out.strip().splitlines()[-1]


@dataclass(frozen=True)
class Facts:
    """What the requests of one stage are about."""

    rooms: tuple[tuple[int, str, str], ...]  # id, name, municipality code
    first: dt.date
    last_closed: dt.date
    busiest: tuple[int, dt.date]
    events: int


def _date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def facts(engine: Engine) -> Facts:
    """Read the rooms, the months and the busiest closed room-month of the bench database."""
    month = (
        "to_char(service_day, 'YYYY-MM')" if engine.dialect.name == "postgresql" else "strftime('%Y-%m', service_day)"
    )
    with engine.connect() as c:
        rooms = tuple(c.execute(text("SELECT id, name, municipality_code FROM rooms ORDER BY id")).all())
        first = _date(c.execute(text("SELECT MIN(month) FROM period_status")).scalar())
        last = _date(
            c.execute(text("SELECT MAX(month) FROM period_status WHERE state IN ('approved', 'accepted')")).scalar()
        )
        end = (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        row = c.execute(
            text(
                f"SELECT room_id, {month} FROM consumptions WHERE service_day BETWEEN :a AND :b "  # nosec B608
                "GROUP BY 1, 2 ORDER BY COUNT(*) DESC, 1, 2 LIMIT 1"
            ),
            {"a": first, "b": end},
        ).one()
        events = sum(
            c.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() or 0  # nosec B608
            for table in ("visits", "consumptions", "emergencies", "emergency_actions", "referrals", "services")
        )
    return Facts(rooms, first, last, (int(row[0]), _date(row[1] + "-01")), events)


@dataclass
class Nation:
    """What the publication benches read a stored instance with: its session in the nation's scope."""

    session: Session
    threshold: int
    rooms: list[RoomInfo]
    #: From the year the first room opened to this year (Copenhagen).
    years: list[int]


@contextmanager
def national_reading() -> Iterator[Nation]:
    """The instance's app (``ROOMLOG_INSTANCE_PATH``) in a request context with the nation's scope, as the
    publication reads it: no log-in, every room. Roomlog is imported here, not when a bench module is."""
    from flask import g

    from roomlog import create_app
    from roomlog.auth.national_scope import national_scope
    from roomlog.calendar import today_local
    from roomlog.extensions import db
    from roomlog.reporting.publication import sources

    app = create_app()
    with app.test_request_context():
        g.scope_room_ids, g.scope_decided = None, True
        session = db.session
        with national_scope(session):
            rooms = sources.room_infos(session)
            first = min(r.first_month.year for r in rooms if r.first_month is not None)
            threshold = int(app.config.get("SUPPRESSION_THRESHOLD", 5))
            yield Nation(session, threshold, rooms, list(range(first, today_local().year + 1)))
