"""``python -m bench.summary_cost``: the lead's summary and its PDF in one process, CPU and statements.

Logs nothing in and writes nothing: the request runs as a lead whose login session is built in memory
(the server-side session row is the only thing a login would write), so a read-only SQLite file
(``sqlite:///file:/path/bench.db?mode=ro&uri=true``) or a PostgreSQL bench database can be measured as
it is. For each URL: the first call (cold, in a fresh process) and the median of the next ``--warm``
calls, wall and CPU (``time.process_time``, this process only: the database server's share is not in
it on PostgreSQL), with the number of SQL statements and their summed time. ``--profile FILE`` writes a
cProfile of the warm calls; ``--explain`` prints each statement of one warm call with its time.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select


def arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line (``--help``)."""
    parser = argparse.ArgumentParser(prog="python -m bench.summary_cost", description=__doc__)
    parser.add_argument("--url", required=True, help="the app's database URL (the app role's on PostgreSQL)")
    parser.add_argument("--user", default="bench-reader", help="a lead of the room (default bench-reader)")
    parser.add_argument("paths", nargs="+", help="e.g. /reports/4/2021-08 /reports/4/2021-08.pdf")
    parser.add_argument("--warm", type=int, default=5, help="warm calls per URL (default 5)")
    parser.add_argument("--profile", help="write a cProfile of the warm calls to this file")
    parser.add_argument("--statements", action="store_true", help="list the statements of the last warm call")
    parser.add_argument("--no-warmup", action="store_true", help="skip the worker's warm-up (roomlog.warmup)")
    return parser.parse_args(argv)


@contextmanager
def _statements(engine: Any) -> Iterator[list[tuple[str, float]]]:
    seen: list[tuple[str, float]] = []
    started: list[float] = []

    def before(*_args: object) -> None:
        started.append(time.perf_counter())

    def after(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append((statement, time.perf_counter() - started.pop()))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def main(argv: list[str] | None = None) -> None:
    """Time the URLs in-process; print one line per URL (cold, then warm medians)."""
    args = arguments(argv)
    os.environ.setdefault("ROOMLOG_ENV", "development")
    os.environ.setdefault("ROOMLOG_SECRET_KEY", "bench-secret-key-not-for-production-0123456789")
    os.environ.setdefault("ROOMLOG_PSEUDONYM_KEY", "bench-pseudonym-key-not-for-production-0123456789")
    os.environ["ROOMLOG_DATABASE_URL"] = args.url
    from roomlog import create_app
    from roomlog.auth import sessions
    from roomlog.extensions import db
    from roomlog.models import LoginSession, User

    app = create_app()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == args.user))
        if user is None:
            raise SystemExit(f"no user {args.user!r}")
        user_id = user.id
    if not args.no_warmup:
        from roomlog.warmup import warm_worker

        warm_worker(app)  # what wsgi.py does in every gunicorn worker

    def fake_login() -> LoginSession:
        found = db.session.get(User, user_id)
        login = LoginSession(token_hash="-", user_id=user_id, created_at=dt.datetime.now(dt.UTC))
        login.user = found
        return login

    sessions.current_login_session = fake_login
    client = app.test_client()
    with client.session_transaction() as s:
        s["sid"], s["seen"], s["_user_id"], s["_fresh"] = "in-memory", int(time.time()), str(user_id), True
    with app.app_context():
        engine = db.engine
    profiler = cProfile.Profile() if args.profile else None
    for path in args.paths:
        runs: list[tuple[float, float, int, float]] = []
        last: list[tuple[str, float]] = []
        for n in range(1 + args.warm):
            with _statements(engine) as seen:
                if profiler and n:
                    profiler.enable()
                wall, cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                if profiler and n:
                    profiler.disable()
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}")
            runs.append((wall, cpu, len(seen), sum(t for _, t in seen)))
            last = seen
        cold, warm = runs[0], runs[1:]

        def med(i: int, warm: list[tuple[float, float, int, float]] = warm) -> float:
            return statistics.median(r[i] for r in warm) if warm else float("nan")

        print(
            f"{path}: cold {cold[0] * 1000:.0f} ms wall / {cold[1] * 1000:.0f} ms CPU, {cold[2]} statements "
            f"({cold[3] * 1000:.0f} ms); warm {med(0) * 1000:.0f} ms wall / {med(1) * 1000:.0f} ms CPU, "
            f"{med(2):.0f} statements ({med(3) * 1000:.0f} ms); load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        if args.statements:
            for statement, took in sorted(last, key=lambda x: -x[1]):
                print(f"  {took * 1000:8.1f} ms  {' '.join(statement.split())[:300]}")
    if profiler:
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    main(sys.argv[1:])
