"""``python -m bench`` (``make bench``): generate, measure; print and write docs/benchmarks.md.

Each history length gets a database of its own, generated fresh (extending a kept database back in
time would republish its later months as revised versions, which no real room's history does).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from bench import aggregates, report
from bench.report import Results, Stage, console, markdown
from bench.server import environment, has_command, roomlog
from bench.setup import ROOT, ensure_users, facts, postgresql_database, sqlite_database
from bench.usage import usage


def _list(name: str, default: str) -> list[str]:
    return [x.strip() for x in os.environ.get(name, default).split(",") if x.strip()]


def _git(*args: str) -> str:
    found = subprocess.run(["git", *args], cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)  # nosec
    return found.stdout.strip()


def machine() -> dict[str, str]:
    """Facts about the machine and the code measured."""
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else ""
    )
    dirty = " (with uncommitted changes)" if _git("status", "--porcelain", "--untracked-files=no") else ""
    return {
        "date (UTC)": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "commit measured": _git("rev-parse", "--short", "HEAD") + dirty + " — " + _git("log", "-1", "--format=%s"),
        "cores": f"{os.cpu_count()} ({cpu})" if cpu else str(os.cpu_count()),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "OS": platform.platform(),
    }


@contextmanager
def database(kind: str, directory: Path, keep: bool, years: int) -> Iterator[str]:
    """A fresh bench database of that kind for one history length (or the one of an earlier run, with ``keep``)."""
    if kind == "sqlite":
        with sqlite_database(directory / f"{years}y", keep) as url:
            yield url
    elif kind == "postgresql":
        with postgresql_database(int(os.environ.get("BENCH_PGPORT", "54340")), keep, suffix=f"_{years}y") as url:
            yield url
    else:
        raise SystemExit(f"BENCH_DB: unknown database {kind!r} (sqlite or postgresql)")


def run_stage(
    kind: str, years: int, url: str, engine: Engine, results: Results, directory: Path, save: Callable[[], None]
) -> Stage:
    """Extend the history to ``years``, publish if the app can, then time every request and closing a month."""
    print(f"\n== {kind}: {report.years(years)} of history ==", flush=True)
    started = time.perf_counter()
    generate = os.environ.get("BENCH_GENERATE", "1") not in ("", "0")
    notes = ["BENCH_KEEP: an earlier run's data was kept; generate counts only what was added now"] if _keep() else []
    if generate:
        with usage() as used:
            args = ("--rooms", os.environ.get("BENCH_ROOMS", "10"), "--years", str(years))
            out = roomlog(url, "bench-data", *args).stdout
        notes += [f"bench-data: {line}" for line in out.splitlines() if line.startswith(("Added", "Time:"))]
        notes.append(f"bench-data used {used.cpu:.0f} CPU-seconds (its processes, user + system), {used.load_text()}")
        print("\n".join(notes), flush=True)
    generated = time.perf_counter() - started
    if not generate:
        notes.append("BENCH_GENERATE=0: measured on the kept database as it was (nothing generated)")
    if has_command(url, "publish"):
        started = time.perf_counter()
        jobs = int(os.environ.get("BENCH_PUBLISH_JOBS", "1") or "1")
        with usage() as used:
            if jobs > 1:
                how = f"the years side by side in {jobs} processes (bench.publish_years)"
                out = publish_years(url, jobs)
            else:
                how = "`roomlog publish`, a year after the other"
                out = roomlog(url, "publish").stdout
        notes.append(
            f"publishing every closed month ({how}) took {time.perf_counter() - started:.1f} s "
            f"({used.cpu:.0f} CPU-s, {used.load_text()}): {out.strip().splitlines()[-1][:160] if out.strip() else ''}"
        )
        print(notes[-1], flush=True)
    if kind == "postgresql":
        with engine.connect() as c:
            c.execute(text("ANALYZE"))
            c.commit()
    notes.append("load average before measuring: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    f = facts(engine)
    token = ensure_users(url, [r[1] for r in f.rooms])
    warm, slow = int(os.environ.get("BENCH_WARM", "3")), float(os.environ.get("BENCH_SLOW", "60"))
    bare = os.environ.get("BENCH_BARE", "1") not in ("", "0")
    ctx = aggregates.Context(kind, years, url, engine, token, directory / "gunicorn.log", warm, slow, bare=bare)
    answers: list[list[bytes]] = []
    for request in aggregates.requests(f):
        measured = aggregates.measure(ctx, request, answers.append)
        print("  " + "  ".join(report.measure_cells(measured)[2:]), flush=True)
        results.measures.append(measured)
        save()
    hidden, headline = aggregates.hidden_shares(answers[-2])  # the API answer by month
    approve, publish, close_notes = aggregates.close_month(ctx, f)
    return Stage(kind, years, generated, f.events, approve, publish, hidden, headline, tuple(notes + close_notes))


def publish_years(url: str, jobs: int) -> str:
    """Publish a fresh history's years side by side (``python -m bench.publish_years``); its output."""
    where = url.removeprefix("sqlite:///") if url.startswith("sqlite") else url
    command = [sys.executable, "-m", "bench.publish_years", where, "--jobs", str(jobs)]
    env = environment(url)  # PostgreSQL: the workers connect as `roomlog publish` would
    return subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, check=True).stdout  # nosec B603


def _keep() -> bool:
    return os.environ.get("BENCH_KEEP", "") not in ("", "0")


def run_database(kind: str, results: Results, directory: Path, save: Callable[[], None]) -> None:
    """Every stage (history length) on a fresh database of that kind; ``save`` after each."""
    for years in sorted(int(y) for y in _list("BENCH_YEARS", "1,3,10")):
        with database(kind, directory, _keep(), years) as url:
            roomlog(url, "db", "upgrade")
            engine = create_engine(url)
            if kind == "postgresql":
                with engine.connect() as c:
                    results.machine["PostgreSQL"] = str(c.execute(text("SHOW server_version")).scalar())
            results.stages.append(run_stage(kind, years, url, engine, results, directory, save))
            save()
            engine.dispose()


KNOBS = """\
Each knob is also an environment variable (the option wins):
  BENCH_DB        sqlite,postgresql  databases to measure
  BENCH_YEARS     1,3,10             history lengths; each on a database generated fresh
  BENCH_ROOMS     10                 bench rooms (the first ones of roomlog.operations.scale.ROOMS)
  BENCH_DIR       instance/bench     SQLite files (<dir>/<N>y/bench.db) and gunicorn logs
  BENCH_OUT       docs/benchmarks.md the markdown written after every request
  BENCH_KEEP      0                  1: reuse the databases an earlier run left
  BENCH_GENERATE  1                  0 (with BENCH_KEEP=1): measure the kept databases as they are
  BENCH_WARM      3                  warm calls per request (one when a call takes over BENCH_SLOW s, 60)
  BENCH_PUBLISH_JOBS 1               publish the history's years side by side in N processes (bench.publish_years)
  BENCH_BARE      1                  0: no bare SQL beside the requests (time it apart: python -m bench.bare_table)
  BENCH_PGPORT    54340              port of a throwaway PostgreSQL (without ROOMLOG_TEST_POSTGRES_OWNER_URL)
  BENCH_PGDATABASE roomlog_bench     PostgreSQL database name (<name>_<N>y per history length)
"""


def arguments(argv: list[str] | None = None) -> None:
    """Read the command line into the environment knobs (``--help`` lists them)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Generate bench data (roomlog bench-data) and time every report request of issue #10 "
        "against the bare SQL computing the same numbers; writes docs/benchmarks.md. Takes long: "
        "minutes per history length and room count (see docs/benchmarks.md for measured times).",
        epilog=KNOBS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for flag, knob in (("--db", "BENCH_DB"), ("--years", "BENCH_YEARS"), ("--rooms", "BENCH_ROOMS")):
        parser.add_argument(flag, dest=knob, metavar=knob, help=f"sets {knob}")
    for flag, knob in (("--dir", "BENCH_DIR"), ("--out", "BENCH_OUT")):
        parser.add_argument(flag, dest=knob, metavar="PATH", help=f"sets {knob}")
    parser.add_argument("--keep", dest="BENCH_KEEP", action="store_const", const="1", help="sets BENCH_KEEP=1")
    options = vars(parser.parse_args(argv))
    os.environ.update({knob: value for knob, value in options.items() if value is not None})


def main(argv: list[str] | None = None) -> None:
    """Run the whole bench; the markdown is written after every request (a long run can be cut short)."""
    arguments(argv)
    directory = Path(os.environ.get("BENCH_DIR", ROOT / "instance" / "bench"))
    out = Path(os.environ.get("BENCH_OUT", ROOT / "docs" / "benchmarks.md"))
    directory.mkdir(parents=True, exist_ok=True)
    results = Results(machine=machine())
    started = time.perf_counter()

    def save() -> None:
        results.machine["bench run time"] = f"{(time.perf_counter() - started) / 60:.0f} min"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(markdown(results), encoding="utf-8")

    for kind in _list("BENCH_DB", "sqlite,postgresql"):
        run_database(kind, results, directory, save)
    print("\n" + console(results))
    print(f"\nWritten to {out}.")


if __name__ == "__main__":
    sys.exit(main())
