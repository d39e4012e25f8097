"""Profile roomlog's anonymous-visit POST in-process (``python -m bench.profile_capture``).

Sets up a migrated SQLite database (or, with ``--url``, a PostgreSQL one: the app role's URL of
an empty database, migrated by the owner of ``--owner-url`` or ``roomlog_owner``) like the
capture benchmark, logs one staff tablet in through the real forms, warms up, then runs
``--requests`` POSTs under cProfile and prints the call count per request and the most
expensive functions (cumulative time). ``--round-trips`` instead lists what one POST sends to
PostgreSQL, one line per round trip (libpq's trace of the pooled connection).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench.servers import PASSWORD, Database, roomlog_env, setup_roomlog

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _database(args: argparse.Namespace, work: Path) -> Database:
    if not args.url:
        url = f"sqlite:///{work / 'profile.sqlite3'}"
        return Database(url, url)
    owner = args.owner_url or make_url(args.url).set(username="roomlog_owner", password=None)
    owner_url = make_url(owner).set(database=make_url(args.url).database)
    return Database(args.url, owner_url.render_as_string(hide_password=False))


def _tablet(args: argparse.Namespace) -> tuple[Any, Callable[[], None]]:
    """Return the app and a function that sends one capture POST of a logged-in tablet."""
    work = Path(tempfile.mkdtemp(prefix="roomlog-profile-"))
    database = _database(args, work)
    setup = setup_roomlog(database, work / "instance")
    os.environ.update(roomlog_env(database.url, work / "instance", work / "roomlog.jsonl"))
    from roomlog import create_app

    app = create_app()
    client = app.test_client()
    token = _CSRF.search(client.get("/auth/login").get_data(as_text=True))
    if token is None:
        raise RuntimeError("no log-in form")
    login = {"username": setup.usernames[0], "password": PASSWORD, "csrf_token": token.group(1)}
    if client.post("/auth/login", data=login).status_code != 302:
        raise RuntimeError("log-in failed")
    token = _CSRF.search(client.get(f"/rooms/{setup.room_id}/check-in").get_data(as_text=True))
    if token is None:
        raise RuntimeError("no capture form")
    csrf = token.group(1)
    path = f"/rooms/{setup.room_id}/visits/anonymous"

    def one() -> None:
        response = client.post(path, data={"csrf_token": csrf, "idempotency_key": uuid.uuid4().hex})
        if response.status_code != 303:
            raise RuntimeError(f"capture POST answered {response.status_code}")

    return app, one


def round_trips(app: Any, one: Callable[[], None], folder: Path) -> list[str]:
    """Return what one POST sends to PostgreSQL, one entry per round trip (after the pool's pre-ping).

    The pool starts afresh and ten POSTs are traced first: their trace names the statements that
    psycopg prepares (a prepared statement's later trace shows its name only).
    """
    from psycopg import pq
    from sqlalchemy import event

    from roomlog.extensions import db

    with app.app_context():
        engine = db.engine
    engine.dispose()
    trace = [folder / "warm-up.trace"]

    def start(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.pgconn.trace(os.open(trace[0], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)

    def stop(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is not None:
            dbapi_connection.pgconn.untrace()

    event.listen(engine, "checkout", start)
    event.listen(engine, "checkin", stop)
    try:
        for _ in range(10):
            one()
        trace.insert(0, folder / "one.trace")
        one()
    finally:
        event.remove(engine, "checkout", start)
        event.remove(engine, "checkin", stop)
    return trips(trace[0].read_text(), trace[1].read_text())


def _messages(trace: str) -> list[list[str]]:
    """Split a libpq trace into messages (direction, length, type, text); a query's later lines join its text."""
    found: list[list[str]] = []
    for line in trace.splitlines():
        parts = line.split("\t", 3)
        if len(parts) == 4 and parts[0] in ("F", "B"):
            found.append(parts)
        elif found:
            found[-1][3] += " " + line
    return found


def trips(trace: str, earlier: str = "") -> list[str]:
    """Group a libpq trace into round trips: what the client sent before each ``ReadyForQuery``.

    A statement sent with the extended protocol (psycopg's pipeline mode, SQLAlchemy's
    parameters) shows as its text: the text of the ``Parse`` before it for an unnamed statement,
    or of the ``Parse`` in ``earlier`` (or ``trace``) that prepared a named one.
    """
    prepared = {}
    for direction, _length, kind, text in _messages(earlier + "\n" + trace):
        if direction == "F" and kind == "Parse":
            name, _space, statement = text.strip().partition(" ")
            if name != '""':
                prepared[name] = _statement_text(statement)
    found: list[str] = []
    sent: list[str] = []
    unnamed = ""
    for direction, _length, kind, text in _messages(trace):
        if direction == "F" and kind == "Query":
            sent.append(text.strip())
        elif direction == "F" and kind == "Parse":
            name, _space, statement = text.strip().partition(" ")
            unnamed = _statement_text(statement) if name == '""' else unnamed
        elif direction == "F" and kind == "Bind":
            name = text.strip().split(" ")[1]
            sent.append(unnamed if name == '""' else prepared.get(name, name))
        elif direction == "B" and kind == "ReadyForQuery":
            found.append(" / ".join(" ".join(text.split())[:110] for text in sent))
            sent = []
    return found


def _statement_text(parse: str) -> str:
    """Return the quoted statement of a traced ``Parse`` message (without the parameter types after it)."""
    return parse.rsplit('" ', 1)[0] + '"' if '" ' in parse else parse


def main(argv: list[str] | None = None) -> int:
    """Profile the capture POST and print the hot spots (or its round trips)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="", help="the app role's URL of an empty PostgreSQL database")
    parser.add_argument("--owner-url", default="", help="the schema owner's URL (default: roomlog_owner)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--round-trips", action="store_true", help="list one POST's round trips (PostgreSQL)")
    parser.add_argument(
        "--cpu", action="store_true", help="profile CPU time, not wall time (waits on the server drop out)"
    )
    args = parser.parse_args(argv)
    app, one = _tablet(args)
    for _ in range(30):
        one()
    if args.round_trips:
        listed = round_trips(app, one, Path(tempfile.mkdtemp(prefix="roomlog-trace-")))
        print("\n".join(f"{n:2d}. {trip}" for n, trip in enumerate(listed, 1)))
        print(f"{len(listed)} round trips per capture POST, after the pool's pre-ping (one more)")
        return 0
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(args.requests):
        one()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    per = 1000 / args.requests
    print(f"without the profiler: {cpu * per:.2f} ms CPU, {wall * per:.2f} ms wall per request")
    if args.no_profile:
        return 0
    profile = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        one()
    profile.disable()
    if os.environ.get("PROFILE_DUMP"):
        profile.dump_stats(os.environ["PROFILE_DUMP"])
    stats = pstats.Stats(profile)
    print(f"function calls per request: {stats.total_calls / args.requests:.0f}")
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats("roomlog/", args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
