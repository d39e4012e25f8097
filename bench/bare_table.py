"""``python -m bench.bare_table URL``: the bare SQL time of every request of the issue's table on a bench database.

The same queries as the bench's "bare SQL" column (``bench.bare``), over the rooms and days each request
covers (``bench.aggregates.requests``). They read only the event tables, so they can run while the
history is still being published (``BENCH_BARE=0`` then spares the bench from running them again).
"""

from __future__ import annotations

import os
import sys

from sqlalchemy import create_engine

from bench import aggregates, bare
from bench.report import seconds
from bench.setup import facts


def main(argv: list[str]) -> None:
    """Print one line per request: label, bare SQL seconds, load average after it."""
    if len(argv) != 1:
        raise SystemExit("usage: python -m bench.bare_table URL")
    url = argv[0] if "://" in argv[0] else f"sqlite:///{argv[0]}"
    engine = create_engine(url)
    f = facts(engine)
    print(f"busiest room-month {f.busiest[0]} {f.busiest[1]:%Y-%m}, last closed {f.last_closed:%Y-%m}", flush=True)
    for request in aggregates.requests(f):
        taken = bare.bare_seconds(engine, request.rooms, request.first, request.last)
        print(f"{request.label}\t{seconds(taken)}\t{taken:.3f}\tload {os.getloadavg()[0]:.1f}", flush=True)
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
