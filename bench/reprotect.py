"""``python -m bench.reprotect``: publish every closed period of an instance again and count what is hidden.

Deletes the stored publications of the instance (work on a copy of a demo instance), runs
``publish_due`` once (every closed month, quarter and year, one protection per calendar year),
times it, and prints: the share of hidden cells, the municipal and national headline totals of
k or more that are hidden (by period kind; "forced" ones counted apart), national consumptions,
overdoses, naloxone and acute treatments, and the hidden small counts the LP audit can pin to a
range narrower than k (leaks; must be 0).

    cp -r /tmp/demo24-orig /tmp/demo24-copy
    ROOMLOG_INSTANCE_PATH=/tmp/demo24-copy .venv/bin/python -m bench.reprotect [--keep] [--only-count]

``--keep`` commits the new publications (default: roll back, so the copy can be run again);
``--only-count`` counts what is stored without publishing; ``--no-count`` only publishes and times it
(wall and CPU seconds of ``publish_due``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Mapping

from roomlog.reporting.publication.units import Key, Relation

NATIONAL_SHOWN = (
    "consumptions.total",
    "emergencies.total",
    "emergencies.type.opioid",
    "emergencies.naloxone",
    "emergencies.acute_treatments",
)


def forced(key: Key, exact: Mapping[Key, int], relations: list[Relation], threshold: int) -> bool:
    """Whether showing ``key`` pins a small part of it whatever else is hidden.

    A total T of n non-zero parts, one of them 1..k−1, with all parts hidden leaves that part in
    [1, T − (n − 1)]: narrower than k when T − n < k.
    """
    for relation in relations:
        if not relation.exact or (key, -1) not in relation.terms:
            continue
        parts = [k for k, c in relation.terms if c > 0 and exact.get(k, 0) > 0]
        if any(0 < exact[k] < threshold for k in parts) and exact[key] - len(parts) < threshold:
            return True
    return False


def year_stats(exact: Mapping[Key, int], hidden: set[Key], rels: list[Relation], threshold: int) -> Counter[str]:
    """Counts of one protected year: cells, hidden cells, headline totals, national watch list, leaks."""
    from roomlog.reporting.publication.audit import TOLERANCE, Showing, ranges
    from roomlog.reporting.publication.units import EXEMPT_CODES, HEADLINE_TOTALS, NATIONAL, kind_of_label

    out: Counter[str] = Counter()
    for key, value in exact.items():
        label, unit, code = key
        out[f"cells {unit[0]}"] += 1
        out[f"hidden {unit[0]}"] += key in hidden
        if unit[0] != "room" and code in HEADLINE_TOTALS and value >= threshold:
            state = "shown" if key not in hidden else ("forced" if forced(key, exact, rels, threshold) else "hidden")
            out[f"head {unit[0]} {kind_of_label(label)} {state}"] += 1
            out[f"head {state}"] += 1
        if unit == NATIONAL and code in NATIONAL_SHOWN and value >= threshold:
            out[f"national {code} {'hidden' if key in hidden else 'shown'}"] += 1
        if key in hidden:
            small = 0 < value < threshold and code not in EXEMPT_CODES
            out["kind primary" if small else "kind secondary"] += 1
            kind = kind_of_label(label)
            out[f"by {unit[0]} {kind} {'primary' if small else 'secondary'}"] += 1
            if code in HEADLINE_TOTALS and value >= threshold:
                out[f"by {unit[0]} {kind} headline"] += 1
    found = ranges(exact, rels, hidden, {k for k in hidden if 0 < exact.get(k, 0) < threshold})
    out["leaks"] = sum(1 for lo, hi in found.values() if hi - lo < threshold - 1e-6)
    # Every hidden cell (any value) a reader can narrow below k, and those pinned to one value.
    index: dict[Key, list[Relation]] = {}
    for relation in rels:
        for key, _c in relation.terms:
            index.setdefault(key, []).append(relation)
    spans = Showing(exact, hidden, threshold, index).spans(hidden, threshold)
    for key, (lo, hi) in spans.items():
        small = 0 < exact.get(key, 0) < threshold and key[2] not in EXEMPT_CODES
        if hi - lo <= TOLERANCE:
            out["pinned small" if small else "pinned"] += 1
        elif not small:
            out["narrow"] += 1
    return out


def stored_year(session, rooms, year: int) -> tuple[dict[Key, int], set[Key], list[Relation]] | None:
    """The stored counts of one calendar year, its hidden cells and the relations between them (None: none stored)."""
    from roomlog.reporting.publication.exact import COUNTS, units_of
    from roomlog.reporting.publication.store import exact_counts, latest
    from roomlog.reporting.publication.units import relations, year_labels

    months, quarters, whole = year_labels(year)
    stored = latest(session, [*months, *quarters, whole])
    if not stored:
        return None
    exact: dict[Key, int] = {}
    hidden: set[Key] = set()
    for label, pub in stored.items():
        keys = [(unit, code) for unit, _m in units_of(rooms, label) for code in COUNTS]
        exact |= {k: v for k, v in exact_counts(pub, keys).items() if v is not None}
        hidden |= {(label, u, c) for (u, c), cell in pub.cells.items() if cell.hidden and c in COUNTS}
    return exact, hidden, relations(list(stored), rooms, set(exact))


def count(session, rooms, threshold: int) -> tuple[Counter[str], list[str]]:
    """Sum :func:`year_stats` over every stored year; one line per year."""
    from roomlog.calendar import today_local

    first = min(r.first_month.year for r in rooms if r.first_month is not None)
    total: Counter[str] = Counter()
    lines = []
    for year in range(first, today_local().year + 1):
        found = stored_year(session, rooms, year)
        if found is None:
            continue
        stats = year_stats(*found, threshold)
        total += stats
        lines.append(year_line(year, stats))
    return total, lines


def year_line(year: int, s: Counter[str]) -> str:
    cells = sum(v for k, v in s.items() if k.startswith("cells "))
    hidden = sum(v for k, v in s.items() if k.startswith("hidden "))
    by_level = " ".join(
        f"{level[:4]} {'/'.join(str(s[f'head {level} {kind} hidden']) for kind in ('month', 'quarter', 'year'))}"
        for level in ("municipality", "national")
    )
    watch = " ".join(
        f"{code.split('.')[-1]} "
        f"{s[f'national {code} hidden']}/{s[f'national {code} hidden'] + s[f'national {code} shown']}"
        for code in NATIONAL_SHOWN
        if s[f"national {code} hidden"]
    )
    return (
        f"  {year}: {hidden}/{cells} hidden; headline ≥k hidden {s['head hidden']} forced {s['head forced']}"
        f" shown {s['head shown']} (m/q/y: {by_level}); national hidden: {watch or 'none'}; leaks {s['leaks']};"
        f" primary {s['kind primary']} secondary {s['kind secondary']}; ≥k hidden pinned {s['pinned']}"
        f" narrow {s['narrow']}"
    )


def report(s: Counter[str], lines: list[str]) -> None:
    """Print the summed counts."""
    cells = sum(v for k, v in s.items() if k.startswith("cells "))
    hidden = sum(v for k, v in s.items() if k.startswith("hidden "))
    print(f"cells {cells}, hidden {hidden} ({100 * hidden / max(cells, 1):.1f} %)")
    for level in ("room", "municipality", "national"):
        n, h = s[f"cells {level}"], s[f"hidden {level}"]
        print(f"  {level}: {h}/{n} hidden ({100 * h / max(n, 1):.1f} %)")
    print("headline totals ≥ k (hidden / forced / shown):")
    for level in ("municipality", "national"):
        for kind in ("month", "quarter", "year"):
            h, f, v = (s[f"head {level} {kind} {st}"] for st in ("hidden", "forced", "shown"))
            print(f"  {level:12} {kind:7}: {h:4} / {f:4} / {v:4}")
    print(
        "national ≥ k hidden/all: "
        + ", ".join(
            f"{c} {s[f'national {c} hidden']}/{s[f'national {c} hidden'] + s[f'national {c} shown']}"
            for c in NATIONAL_SHOWN
        )
    )
    print(f"LP audit leaks (hidden small counts narrower than k): {s['leaks']}")
    print(f"hidden primary (1..k-1) {s['kind primary']}, secondary {s['kind secondary']}")
    print("hidden by level and period kind, month / quarter / year (headline totals of k or more hidden):")
    for level in ("room", "municipality", "national"):
        for what in ("primary", "secondary", "headline"):
            counts = " / ".join(str(s[f"by {level} {kind} {what}"]) for kind in ("month", "quarter", "year"))
            print(f"  {level:12} {what:9}: {counts}")
    print(
        f"hidden cells of k or more a reader pins to one value: {s['pinned']}, narrows below k (not pinned):"
        f" {s['narrow']}; small counts pinned: {s['pinned small']}"
    )
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="commit the new publications")
    parser.add_argument("--only-count", action="store_true", help="count what is stored, publish nothing")
    parser.add_argument("--no-count", action="store_true", help="publish and time only, count nothing")
    args = parser.parse_args()
    from flask import g
    from sqlalchemy import delete

    from roomlog import create_app
    from roomlog.auth.national_scope import national_scope
    from roomlog.calendar import today_local
    from roomlog.extensions import db
    from roomlog.models import Publication, PublishedCell
    from roomlog.reporting.publication import publish_due, sources

    app = create_app()
    with app.test_request_context():
        g.scope_room_ids, g.scope_decided = None, True
        session = db.session
        threshold = app.config.get("SUPPRESSION_THRESHOLD", 5)
        lock = app.config.get("LOCK_AFTER_DAYS", 15)
        with national_scope(session):
            if not args.only_count:
                session.execute(delete(PublishedCell))
                session.execute(delete(Publication))
                session.flush()
                started, cpu = time.perf_counter(), time.process_time()
                out = publish_due(
                    session, today_local(), threshold=threshold, lock_after_days=lock, national_scope=national_scope
                )
                print(
                    f"publish_due: {time.perf_counter() - started:.1f} s, {time.process_time() - cpu:.1f} CPU-s,"
                    f" {len(out.periods)} periods"
                )
            if not args.no_count:
                rooms = sources.room_infos(session)
                report(*count(session, rooms, threshold))
        if args.keep:
            session.commit()
        else:
            session.rollback()


if __name__ == "__main__":
    sys.exit(main())
