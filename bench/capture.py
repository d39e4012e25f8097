"""The capture benchmark: roomlog's anonymous-visit POST against a bare Flask insert, side by side.

``python -m bench.capture`` (or ``make bench-capture``) serves both apps with gunicorn (same
worker count, same database kind), drives them with the same load generator
(:mod:`bench.load`), and prints throughput and p50/p95/p99 at 10, 50 and 200 simulated
tablets, errors, and whether every acknowledged record exists exactly once; then 200 tablets
paced at one tap every 5 s (40 requests/s) and one run with a gunicorn worker killed mid-way.
The table is also written to ``docs/benchmarks-capture.md``. PostgreSQL runs too when
``ROOMLOG_BENCH_POSTGRES_URL`` (a server URL whose user may create databases) is set.
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
from sqlalchemy.engine import make_url

from bench import capture_report as report
from bench.load import Result, Tablet, closed_loop, paced
from bench.servers import Server, roomlog_tablets, setup_floor, setup_roomlog

TABLET_COUNTS = (10, 50, 200)
ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def scratch_database(backend: str, workdir: Path, tag: str) -> Iterator[str]:
    """Yield an empty database URL: a SQLite file in ``workdir`` or a scratch PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / f'{tag}.sqlite3'}"
        return
    base = make_url(os.environ["ROOMLOG_BENCH_POSTGRES_URL"])
    name = f"bench_{tag}_{os.getpid()}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_settings() -> str:
    """Return the benchmark server's durability settings (the CI test server runs with fsync off)."""
    engine = create_engine(os.environ["ROOMLOG_BENCH_POSTGRES_URL"])
    try:
        with engine.connect() as conn:
            values = {name: conn.execute(text(f"SHOW {name}")).scalar() for name in ("fsync", "synchronous_commit")}
    finally:
        engine.dispose()
    return ", ".join(f"`{k}={v}`" for k, v in values.items())


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
    with scratch_database(backend, workdir, "roomlog") as rurl, scratch_database(backend, workdir, "floor") as furl:
        setup_floor(furl)
        setup = setup_roomlog(rurl, workdir / "instance")
        floor = Server("floor", workdir, furl, workers).start()
        app = Server("roomlog", workdir, rurl, workers).start()
        try:
            made = roomlog_tablets(app, setup, max(TABLET_COUNTS))
            floor_tablets = [Tablet("/events") for _ in range(max(TABLET_COUNTS))]
            for count in TABLET_COUNTS:
                for name, server, tablets, url, table in (
                    ("floor", floor, floor_tablets, furl, "floor_events"),
                    ("roomlog", app, made, rurl, "visits"),
                ):
                    result = closed_loop(server.port, tablets[:count], seconds)
                    rows.append(
                        report.row(
                            backend,
                            name,
                            f"{count} tablets, saturation",
                            result,
                            exactly_once(url, table, result.acked),
                        )
                    )
            for name, server, tablets, url, table in (
                ("floor", floor, floor_tablets, furl, "floor_events"),
                ("roomlog", app, made, rurl, "visits"),
            ):
                result = paced(server.port, tablets[:200], max(seconds * 2, 20.0))
                rows.append(
                    report.row(
                        backend, name, "200 tablets, 1 tap / 5 s", result, exactly_once(url, table, result.acked)
                    )
                )
            result, victim = kill_midway(app, made[:50], seconds)
            label = f"50 tablets, worker {victim or '?'} killed"
            rows.append(
                report.row(
                    backend, "roomlog", label, result, exactly_once(rurl, "visits", result.acked) and bool(victim)
                )
            )
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
