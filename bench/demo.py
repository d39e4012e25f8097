"""``python -m bench.demo``: the issue's request table on an existing instance, e.g. a copy of a ``roomlog demo``.

The same requests, timing (one gunicorn worker, cold and warm) and bare SQL as ``make bench``, logged
in as the instance's own users (by default the demo's lead, København and national users). Nothing is
generated or published; a national API token is created. Run it on a copy: it writes to the database.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import aggregates
from bench.report import MEASURE_HEADER, markdown_table, measure_cells, percent
from bench.server import roomlog
from bench.setup import facts

#: The demo's users (roomlog.operations.demo.facts.USERS): lead of Skyen and H17, København, national.
DEMO_LOGINS = {
    "lead": ("lead", "quiet-harbour-lamp"),
    "municipality": ("kommune", "paper-river-stone"),
    "national": ("national", "north-window-cloud"),
}


def _login(value: str) -> tuple[str, str]:
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise argparse.ArgumentTypeError("USER:PASSWORD")
    return user, password


def arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line (``--help``)."""
    parser = argparse.ArgumentParser(prog="python -m bench.demo", description=__doc__)
    parser.add_argument("--instance", type=Path, required=True, help="instance folder (roomlog.sqlite3, keys)")
    parser.add_argument("--room", default="H17", help="the lead's room (name; default H17)")
    parser.add_argument("--month", help="the lead's month, YYYY-MM (default: the room's busiest closed month)")
    for role in DEMO_LOGINS:
        parser.add_argument(f"--{role}", type=_login, metavar="USER:PASSWORD", help=f"the {role} user")
    parser.add_argument("--token-user", default="national", help="user of the API token (default national)")
    parser.add_argument("--warm", type=int, default=3, help="warm calls per request (default 3)")
    parser.add_argument("--out", type=Path, help="also write the markdown table here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Time every request of the issue's table on the instance; print (and write) the markdown table."""
    args = arguments(argv)
    instance = args.instance.resolve()
    database = instance / "roomlog.sqlite3"
    if not database.exists():
        raise SystemExit(f"{database}: no such file")
    os.environ["ROOMLOG_INSTANCE_PATH"] = str(instance)  # the instance's own keys (its users' sealed secrets)
    url = f"sqlite:///{database}"
    engine = create_engine(url)
    f = facts(engine)
    with engine.connect() as c:
        room = c.execute(text("SELECT id FROM rooms WHERE name = :n"), {"n": args.room}).scalar()
        if room is None:
            raise SystemExit(f"no room named {args.room!r}")
        if args.month:
            month = dt.date.fromisoformat(args.month + "-01")
        else:
            month = dt.date.fromisoformat(
                str(
                    c.execute(
                        text(
                            "SELECT strftime('%Y-%m', service_day) || '-01' FROM consumptions "
                            "WHERE room_id = :r AND service_day <= :last GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1"
                        ),
                        {"r": room, "last": aggregates.month_end(f.last_closed)},
                    ).scalar()
                )
            )
    f = dataclasses.replace(f, busiest=(int(room), month))
    logins = {role: getattr(args, role) or login for role, login in DEMO_LOGINS.items()}
    token = roomlog(url, "token", "create", "--user", args.token_user, "--name", "bench-demo").stdout
    ctx = aggregates.Context(
        "sqlite",
        0,
        url,
        engine,
        token.strip().splitlines()[-1],
        instance / "bench-gunicorn.log",
        args.warm,
        logins=logins,
    )
    span = f"{f.first:%Y-%m}–{f.last_closed:%Y-%m}"
    print(f"{database}: {len(f.rooms)} rooms, {span} closed, lead {args.room} {month:%Y-%m}", flush=True)
    rows, answers, loads = [], [], []
    for request in aggregates.requests(f):
        started = time.perf_counter()
        measured = aggregates.measure(ctx, request, answers.append)
        load = os.getloadavg()[0]
        loads.append(load)
        cells = measure_cells(measured)
        rows.append(cells[2:])
        print("  " + "  ".join(cells[2:8]) + f"  (load {load:.1f}, {time.perf_counter() - started:.0f} s)", flush=True)
    hidden, headline = aggregates.hidden_shares(answers[-2])
    table = markdown_table(MEASURE_HEADER[2:], rows)
    summary = (
        f"Hidden cells in the API answer by month: {percent(hidden)} of published cells, "
        f"{percent(headline)} of headline totals. Load average (1 min) after each request: "
        + ", ".join(f"{x:.1f}" for x in loads)
        + "."
    )
    print("\n" + table + "\n\n" + summary)
    if args.out:
        args.out.write_text(table + "\n\n" + summary + "\n", encoding="utf-8")
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
