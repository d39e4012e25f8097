"""What one capture POST costs in CPU, roomlog against the floor (``python -m bench.capture_cost``).

Throughput on a shared machine says more about the neighbours than about the code; CPU time
does not (much). Both apps are served as in :mod:`bench.capture` (gunicorn, the same workers,
one database, the app role) and driven by a few tablets, in turns: floor, roomlog, floor,
roomlog… For each turn the CPU time (user + system, from ``/proc/<pid>/stat``) of the app's
gunicorn workers and of every process of the PostgreSQL server (its backends and its own
writers) is read before and after, and divided by the acknowledged requests. The ratio of
the floor's cost to roomlog's is about the ratio of their saturation throughputs on a quiet
machine (both saturate the same cores). Needs ``ROOMLOG_BENCH_POSTGRES_URL`` for PostgreSQL;
without it SQLite only (no server processes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.capture import scratch_database
from bench.load import Tablet, closed_loop
from bench.servers import Server, roomlog_tablets, setup_floor, setup_roomlog

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """Return the CPU time (user + system) the processes have used so far, in seconds."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / _TICKS


def children(pid: int) -> list[int]:
    """Return the child processes of ``pid``."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def postgres_processes(url: str) -> Callable[[], list[int]]:
    """Return a function listing the processes of the PostgreSQL server of ``url`` (the postmaster's children)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:  # the backend's parent, read while the backend lives
            backend = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
            postmaster = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
    finally:
        engine.dispose()
    return lambda: [postmaster, *children(postmaster)]


def measure(
    server: Server, tablets: list[Tablet], seconds: float, server_pids: Callable[[], list[int]]
) -> tuple[float, float, int]:
    """Run the tablets for ``seconds``; return app and database CPU ms per acknowledged request, and the count."""
    app_pids, db_pids = server.worker_pids(), server_pids()
    app_before, db_before = cpu_seconds(app_pids), cpu_seconds(db_pids)
    result = closed_loop(server.port, tablets, seconds)
    app_cost, db_cost = cpu_seconds(app_pids) - app_before, cpu_seconds(db_pids) - db_before
    n = len(result.acked)
    if result.errors or not n:
        raise RuntimeError(f"{server.kind}: {result.errors} errors, {n} acknowledged")
    return app_cost * 1000 / n, db_cost * 1000 / n, n


def run(backend: str, workdir: Path, args: argparse.Namespace) -> str:
    """Measure one database kind in turns; return a Markdown table of the medians."""
    with scratch_database(backend, workdir) as database:
        setup = setup_roomlog(database, workdir / "instance")
        setup_floor(database)
        server_pids = postgres_processes(database.url) if backend == "postgresql" else list
        floor = Server("floor", workdir, database.url, args.workers).start()
        app = Server("roomlog", workdir, database.url, args.workers).start()
        try:
            both = {
                "floor": (floor, [Tablet("/events") for _ in range(args.tablets)]),
                "roomlog": (app, roomlog_tablets(app, setup, args.tablets)),
            }
            for server, tablets in both.values():  # warm up: imports, pools, prepared statements
                closed_loop(server.port, tablets, args.seconds / 2)
            seen: dict[str, list[tuple[float, float, int]]] = {name: [] for name in both}
            for turn in range(args.turns):
                for name, (server, tablets) in both.items():
                    seen[name].append(measure(server, tablets, args.seconds, server_pids))
                    app_ms, db_ms, n = seen[name][-1]
                    print(f"{backend} turn {turn + 1} {name}: app {app_ms:.2f} + db {db_ms:.2f} ms CPU ({n} requests)")
        finally:
            app.stop()
            floor.stop()
    lines = [
        f"| {backend} | app | app CPU ms/request | database CPU ms/request | total | requests |",
        "|---|---|---:|---:|---:|---:|",
    ]
    totals = {}
    for name, values in seen.items():
        app_ms = statistics.median(v[0] for v in values)
        db_ms = statistics.median(v[1] for v in values)
        totals[name] = statistics.median(v[0] + v[1] for v in values)
        lines.append(f"| | {name} | {app_ms:.2f} | {db_ms:.2f} | {totals[name]:.2f} | {sum(v[2] for v in values)} |")
    lines.append(f"\nfloor / roomlog cost ({backend}): **{totals['floor'] / totals['roomlog']:.0%}**")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure CPU per capture POST of roomlog and the floor, in turns, and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per turn and app")
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--tablets", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not os.environ.get("ROOMLOG_BENCH_POSTGRES_URL"):
        backends.remove("postgresql")
    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="roomlog-capture-cost-"))
    try:
        tables = [run(backend, workdir, args) for backend in backends]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nload average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n")
    print("\n\n".join(tables))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
