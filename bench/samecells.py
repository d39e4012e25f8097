"""``python -m bench.samecells A B``: compare the stored publications of two databases cell by cell.

Each argument is a SQLAlchemy URL or a path to a SQLite file (an instance's ``roomlog.sqlite3``).
Every publication (period, version, kind, threshold, revised, note, source mark) and every stored
cell of it (unit, indicator, value, hidden, status, exact) must be the same; ids and publishing
times are not compared. Used to prove that a faster publisher (``bench.reprotect --keep`` with the
old and the new code on copies of one instance) stores exactly the same cells:

    python -m bench.samecells /tmp/copy-old/roomlog.sqlite3 /tmp/copy-new/roomlog.sqlite3

Prints the number of publications and cells compared and every difference (at most ``--show``);
exits 1 when there is any.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

from sqlalchemy import create_engine, select

from roomlog.models import Publication
from roomlog.reporting.publication.store import CELL_COLUMNS

Row = tuple[object, ...]


def _url(arg: str) -> str:
    return arg if "://" in arg else f"sqlite:///{arg}"


def cells(url: str) -> tuple[dict[tuple[str, int], Row], dict[tuple[str, int, str, str, str], Row]]:
    """``(period, version) → publication fields`` and ``(period, version, unit kind, unit key, code) → cell``."""
    engine = create_engine(_url(url))
    with engine.connect() as conn:
        pubs: dict[int, tuple[str, int]] = {}
        meta: dict[tuple[str, int], Row] = {}
        for row in conn.execute(
            select(
                Publication.id,
                Publication.period,
                Publication.version,
                Publication.kind,
                Publication.threshold,
                Publication.revised,
                Publication.revision_note,
                Publication.source_mark,
            )
        ):
            pubs[row[0]] = (row[1], row[2])
            meta[(row[1], row[2])] = tuple(row[3:])
        out: dict[tuple[str, int, str, str, str], Row] = {}
        for pid, kind, key, code, value, hidden, status, exact in conn.execute(select(*CELL_COLUMNS)):
            period, version = pubs[pid]
            out[(period, version, kind, key, code)] = (value, bool(hidden), status, exact)
    engine.dispose()
    return meta, out


def differences(a: dict[object, Row], b: dict[object, Row]) -> Iterator[str]:
    """One line per key missing on either side or with different fields."""
    for key in sorted(a.keys() | b.keys(), key=repr):
        left, right = a.get(key), b.get(key)
        if left != right:
            yield f"{key!r}: {left!r} != {right!r}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="database URL or SQLite file")
    parser.add_argument("b", help="database URL or SQLite file")
    parser.add_argument("--show", type=int, default=20, help="differences to print (default 20)")
    args = parser.parse_args(argv)
    meta_a, cells_a = cells(args.a)
    meta_b, cells_b = cells(args.b)
    found = [*differences(meta_a, meta_b), *differences(cells_a, cells_b)]
    print(f"publications: {len(meta_a)} vs {len(meta_b)}; cells: {len(cells_a)} vs {len(cells_b)}")
    hidden = sum(1 for row in cells_a.values() if row[1])
    print(f"hidden cells: {hidden} vs {sum(1 for row in cells_b.values() if row[1])}")
    print(f"differences: {len(found)}")
    for line in found[: args.show]:
        print(f"  {line}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
