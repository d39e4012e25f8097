"""``python -m bench.publish_years``: publish a fresh bench history's calendar years side by side.

``roomlog publish`` publishes one calendar year after the other in one process: on a fresh bench database
every year is protected on its own (nothing of another year is stored yet, so no year reads another's
cells), and ten years of ten rooms take tens of CPU-minutes. Here each of ``--jobs`` processes runs the
product's own ``publish`` on a copy of the database, with ``_publish_year`` skipping the years that are not
its own; the publications (and their cells) of every copy are then inserted into the database, with new
ids. The result is what ``roomlog publish`` stores, except the audit entry of the run (one per copy, left
in the copies). The database must be quiet (nothing else writing) while this runs.

PostgreSQL (a ``postgresql`` URL instead of a file): no copies. The workers publish into the one database
side by side, each in a transaction of its own committed at its end: they write different periods (the
publications' unique keys never meet), ids come from the sequences, the audit chain is locked for each
run's entry (so each worker leaves its own entry, chained one after the other), and no year reads the
cells of another on a fresh history. The workers connect as ``roomlog publish`` would (the environment's
``ROOMLOG_DATABASE_URL`` and ``ROOMLOG_OWNER_DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.server import environment


def split(years: Sequence[int], jobs: int) -> list[list[int]]:
    """Years dealt round-robin to at most ``jobs`` processes (neighbouring years cost about the same)."""
    ordered = sorted(years)
    return [part for part in (ordered[i::jobs] for i in range(jobs)) if part]


def only(years: set[int], publish_year: Callable[..., list[str]]) -> Callable[..., list[str]]:
    """``_publish_year`` for the wanted years; nothing for the others."""

    def wrapped(session: object, rooms: object, year: int, *args: object, **kwargs: object) -> list[str]:
        return publish_year(session, rooms, year, *args, **kwargs) if year in years else []

    return wrapped


def worker(years: set[int]) -> None:
    """Publish the wanted years of the database of ``ROOMLOG_DATABASE_URL`` with the product's ``publish``."""
    from roomlog import create_app
    from roomlog.extensions import db, publishing
    from roomlog.reporting.publication import service
    from roomlog.services.publication import publish

    started = time.perf_counter()
    service._publish_year = only(years, service._publish_year)
    app = create_app({"DATABASE_AS_OWNER": True})  # as the `roomlog` command connects (the owner on PostgreSQL)
    with app.app_context():
        published = publish(db.session, publishing=publishing())
        db.session.commit()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"years {','.join(map(str, sorted(years)))}: {len(published)} periods, "
        f"{time.perf_counter() - started:.0f} s, {cpu.ru_utime + cpu.ru_stime:.0f} CPU-s",
        flush=True,
    )


_DUE = (
    "SELECT {year}, {month} FROM period_status WHERE state IN ('approved', 'accepted') "
    "GROUP BY 1, 2 HAVING COUNT(*) = {n}"
)


def due_years_postgresql(url: str) -> list[int]:
    """:func:`due_years` of a PostgreSQL database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as c:
        rooms = c.execute(text("SELECT COUNT(*) FROM rooms")).scalar()
        sql = _DUE.format(year="to_char(month, 'YYYY')", month="to_char(month, 'YYYY-MM')", n=":n")
        rows = c.execute(text(sql), {"n": rooms}).all()
        published = {r[0] for r in c.execute(text("SELECT DISTINCT substr(period, 1, 4) FROM publications"))}
    engine.dispose()
    return sorted({int(year) for year, _month in rows if year not in published})


def publish_postgresql(url: str, jobs: int) -> None:
    """The workers side by side in the one PostgreSQL database (see the module's docstring)."""
    years = due_years_postgresql(url)
    if not years:
        print("nothing due")
        return
    started = time.perf_counter()
    env = dict(os.environ)
    env.setdefault("ROOMLOG_DATABASE_URL", url)
    processes = []
    for part in split(years, jobs):
        command = [sys.executable, "-m", "bench.publish_years", url, "--worker", ",".join(map(str, part))]
        # A session of its own each (autogroup scheduling: see main).
        processes.append(subprocess.Popen(command, env=env, start_new_session=True))  # nosec B603
    failed = [p.args for p in processes if p.wait() != 0]
    if failed:
        raise SystemExit(f"publishing failed in {failed}")
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"published {len(years)} years in {time.perf_counter() - started:.0f} s, "
        f"{cpu.ru_utime + cpu.ru_stime:.0f} CPU-s in the {len(processes)} processes; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )


def due_years(database: Path) -> list[int]:
    """The calendar years with a closed month (every room approved it) and no publication yet."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as c:
        rooms = c.execute("SELECT COUNT(*) FROM rooms").fetchone()[0]
        rows = c.execute(
            "SELECT substr(month, 1, 4), substr(month, 1, 7) FROM period_status "
            "WHERE state IN ('approved', 'accepted') GROUP BY 1, 2 HAVING COUNT(*) = ?",
            (rooms,),
        ).fetchall()
        published = {row[0] for row in c.execute("SELECT DISTINCT substr(period, 1, 4) FROM publications")}
    return sorted({int(year) for year, _month in rows if year not in published})


def merge(database: Path, copy: Path) -> int:
    """Insert the publications and cells of ``copy`` into ``database`` with new ids; return the publications."""
    with sqlite3.connect(database) as c:
        c.execute("ATTACH DATABASE ? AS copy", (f"file:{copy}?mode=ro",))
        pub_columns = [r[1] for r in c.execute("PRAGMA main.table_info(publications)") if r[1] != "id"]
        cell_columns = [r[1] for r in c.execute("PRAGMA main.table_info(published_cells)") if r[1] != "id"]
        others = [col for col in cell_columns if col != "publication_id"]
        count = 0
        for (old,) in c.execute("SELECT id FROM copy.publications ORDER BY id").fetchall():
            new = c.execute(
                f"INSERT INTO main.publications ({', '.join(pub_columns)}) "  # nosec B608 (column names)
                f"SELECT {', '.join(pub_columns)} FROM copy.publications WHERE id = ?",
                (old,),
            ).lastrowid
            c.execute(
                f"INSERT INTO main.published_cells (publication_id, {', '.join(others)}) "  # nosec B608
                f"SELECT ?, {', '.join(others)} FROM copy.published_cells WHERE publication_id = ?",
                (new, old),
            )
            count += 1
        c.commit()
        c.execute("DETACH DATABASE copy")
    return count


def main(argv: list[str] | None = None) -> None:
    """Copy, publish the years side by side, merge; print wall and CPU seconds."""
    parser = argparse.ArgumentParser(prog="python -m bench.publish_years", description=__doc__)
    parser.add_argument(
        "database", help="the SQLite bench file (e.g. instance/bench/10y/bench.db), or a PostgreSQL owner URL"
    )
    parser.add_argument("--jobs", type=int, default=4, help="processes side by side (default 4)")
    parser.add_argument("--work", type=Path, help="where the copies go (default: beside the database)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # years of one worker process
    args = parser.parse_args(argv)
    if args.worker:
        worker({int(y) for y in args.worker.split(",")})
        return
    if args.database.startswith("postgresql"):
        publish_postgresql(args.database, args.jobs)
        return
    database = Path(args.database).resolve()
    years = due_years(database)
    if not years:
        print("nothing due")
        return
    work = (args.work or database.parent / "publish-years").resolve()
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with sqlite3.connect(database) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    processes = []
    for part in split(years, args.jobs):
        copy = work / f"{part[0]}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(database, copy)
        command = [sys.executable, "-m", "bench.publish_years", str(copy), "--worker", ",".join(map(str, part))]
        # A session of its own: with the kernel's autogroup scheduling the processes of one session share one
        # group's CPU, so workers started in the caller's session would run one after the other in effect.
        process = subprocess.Popen(command, env=environment(f"sqlite:///{copy}"), start_new_session=True)  # nosec B603
        processes.append((copy, process))
    print(f"copied and started {len(processes)} processes in {time.perf_counter() - started:.0f} s", flush=True)
    failed = [copy for copy, process in processes if process.wait() != 0]
    if failed:
        raise SystemExit(f"publishing failed in {', '.join(map(str, failed))}")
    published = time.perf_counter() - started
    merged = sum(merge(database, copy) for copy, _process in processes)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"published {merged} periods of {len(years)} years in {published:.0f} s "
        f"(merged in {time.perf_counter() - started - published:.0f} s), "
        f"{cpu.ru_utime + cpu.ru_stime:.0f} CPU-s in the {len(processes)} processes; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    for copy, _process in processes:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main(sys.argv[1:])
