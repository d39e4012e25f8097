"""The capture benchmark: roomlog's anonymous-visit POST against a bare Flask insert, side by side.

``python -m bench.capture`` (or ``make bench-capture``) serves both apps with gunicorn (same
worker count, same database kind), drives them with the same load generator
(:mod:`bench.load`), and prints throughput and p50/p95/p99 at 10, 50 and 200 simulated
tablets, errors, and whether every acknowledged record exists exactly once; then 200 tablets
paced at one tap every 5 s (40 requests/s) and one run with a gunicorn worker killed mid-way.
The table is also written to ``docs/benchmarks-capture.md``. PostgreSQL runs too when
``ROOMLOG_BENCH_POSTGRES_URL`` is set: the app role's URL on a server with the README's two
roles (the last line of ``.ci/postgres.sh start``). The schema owner, who may create databases,
is ``ROOMLOG_BENCH_POSTGRES_OWNER_URL`` or, by default, ``roomlog_owner`` on the same server:
it creates a scratch database, migrates it and creates the floor's table there, and both apps
serve from it as the app role.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from bench import capture_report as report
from bench.load import Result, Tablet, closed_loop, paced
from bench.servers import Database, Server, roomlog_tablets, setup_floor, setup_roomlog

TABLET_COUNTS = (10, 50, 200)
#: The schema owner of the README's deployment (and of .ci/postgres.sh).
OWNER_ROLE = "roomlog_owner"
ROOT = Path(__file__).resolve().parent.parent


def _on_server(owner: URL, statement: str) -> None:
    """Run one statement as the owner on the server's maintenance database (outside a transaction)."""
    engine = create_engine(owner.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def postgres_urls() -> tuple[URL, URL]:
    """Return the app role's and the owner's URL of the benchmark server; refuse an app that owns the schema."""
    app = make_url(os.environ["ROOMLOG_BENCH_POSTGRES_URL"])
    given = os.environ.get("ROOMLOG_BENCH_POSTGRES_OWNER_URL")
    owner = make_url(given) if given else app.set(username=OWNER_ROLE, password=None)
    if owner.username == app.username:
        raise SystemExit("ROOMLOG_BENCH_POSTGRES_URL must name the app role, not the schema owner")
    return app, owner


@contextmanager
def scratch_database(backend: str, workdir: Path) -> Iterator[Database]:
    """Yield an empty database for both apps: a SQLite file in ``workdir`` or a scratch PostgreSQL database."""
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'capture.sqlite3'}"
        yield Database(url, url)
        return
    app, owner = postgres_urls()
    name = f"roomlog_capture_{os.getpid()}"
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    _on_server(owner, drop)
    _on_server(owner, f'CREATE DATABASE "{name}"')
    try:
        yield Database(*(u.set(database=name).render_as_string(hide_password=False) for u in (app, owner)))
    finally:
        _on_server(owner, drop)


def postgres_settings() -> str:
    """Return the benchmark server's durability settings (the CI test server runs with fsync off) and the roles."""
    app, owner = postgres_urls()
    engine = create_engine(app)
    try:
        with engine.connect() as conn:
            values = {name: conn.execute(text(f"SHOW {name}")).scalar() for name in ("fsync", "synchronous_commit")}
    finally:
        engine.dispose()
    settings = ", ".join(f"`{k}={v}`" for k, v in values.items())
    return f"{settings}; both apps serve as the app role `{app.username}`, the owner `{owner.username}` migrates"


def exactly_once(url: str, table: str, acked: list[str]) -> bool:
    """Return whether every acknowledged key is stored exactly once."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(f"SELECT idempotency_key, count(*) FROM {table} GROUP BY idempotency_key"))
            counts = dict(rows.all())
    finally:
        engine.dispose()
    return all(counts.get(key) == 1 for key in acked) and all(n == 1 for n in counts.values())


def kill_midway(server: Server, tablets: list[Tablet], seconds: float) -> tuple[Result, int]:
    """Run a closed loop and SIGKILL one worker half-way; return the result and the victim pid."""
    victim: list[int] = []
    timer = threading.Timer(seconds / 2, lambda: victim.append(server.kill_worker()))
    timer.start()
    result = closed_loop(server.port, tablets, seconds)
    timer.join()
    return result, (victim[0] if victim else 0)


def run_backend(backend: str, workdir: Path, seconds: float, workers: int) -> list[report.Row]:
    """Measure one database kind; return the table rows."""
    rows: list[report.Row] = []
    with scratch_database(backend, workdir) as database:
        setup = setup_roomlog(database, workdir / "instance")
        setup_floor(database)  # after the migrations: the app role gets the owner's default grants
        floor = Server("floor", workdir, database.url, workers).start()
        app = Server("roomlog", workdir, database.url, workers).start()
        try:
            made = roomlog_tablets(app, setup, max(TABLET_COUNTS))
            both = (
                ("floor", floor, [Tablet("/events") for _ in range(max(TABLET_COUNTS))], "floor_events"),
                ("roomlog", app, made, "visits"),
            )

            def add(name: str, load: str, table: str, result: Result, ok: bool = True) -> None:
                # Counted as the owner: row-level security shows the app role no rows outside a request.
                once = ok and exactly_once(database.owner_url, table, result.acked)
                rows.append(report.row(backend, name, load, result, once))

            for count in TABLET_COUNTS:
                for name, server, tablets, table in both:
                    add(name, f"{count} tablets, saturation", table, closed_loop(server.port, tablets[:count], seconds))
            for name, server, tablets, table in both:
                add(name, "200 tablets, 1 tap / 5 s", table, paced(server.port, tablets[:200], max(seconds * 2, 20.0)))
            result, victim = kill_midway(app, made[:50], seconds)
            add("roomlog", f"50 tablets, worker {victim or '?'} killed", "visits", result, bool(victim))
        finally:
            app.stop()
            floor.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the capture benchmark and write docs/benchmarks-capture.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", "10")))
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks-capture.md")
    args = parser.parse_args(argv)
    backends = ["sqlite"] + (["postgresql"] if os.environ.get("ROOMLOG_BENCH_POSTGRES_URL") else [])
    load_before = os.getloadavg()
    started = time.time()
    workdir = Path(tempfile.mkdtemp(prefix="roomlog-bench-capture-", dir=os.environ.get("BENCH_TMPDIR")))
    try:
        rows = [row for backend in backends for row in run_backend(backend, workdir, args.seconds, args.workers)]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    pg = postgres_settings() if "postgresql" in backends else ""
    text_out = report.render(rows, args, load_before, os.getloadavg(), time.time() - started, pg)
    print(text_out)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text_out, encoding="utf-8")
    return 0 if all(r.exactly_once for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
