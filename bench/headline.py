"""``python -m bench.headline``: protect stored years again in memory and explain hidden headline totals.

Reads the exact values of the stored publications of an instance (nothing is written), runs
``protect_year`` on each chosen year as ``publish_due`` would on a fresh republish (nothing fixed),
and prints the counts of ``bench.reprotect``. With ``--explain``, each hidden municipal or national
headline total of k or more is shown again on its own and the LP audit says which small counts it
would pin (the cell it protects), grouped by headline code, small code and how they are related;
"unneeded" ones pin nothing (the heuristic hid more than the audit needs).

    ROOMLOG_INSTANCE_PATH=/tmp/demo-copy .venv/bin/python -m bench.headline --years 2022 --explain
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Mapping

from bench.reprotect import NATIONAL_SHOWN, forced, year_line
from roomlog.reporting.publication.units import HEADLINE_TOTALS, NATIONAL, Key, Relation, kind_of_label


def load_year(session, rooms, year: int) -> tuple[dict[Key, int], set[Key], list[str]]:
    """The known and unknown cells of a stored year, and its labels."""
    from roomlog.reporting.publication.exact import COUNTS, units_of
    from roomlog.reporting.publication.store import exact_counts, latest
    from roomlog.reporting.publication.units import year_labels

    months, quarters, whole = year_labels(year)
    stored = latest(session, [*months, *quarters, whole])
    known: dict[Key, int] = {}
    unknown: set[Key] = set()
    for label, pub in stored.items():
        keys = [(unit, code) for unit, _m in units_of(rooms, label) for code in COUNTS]
        for key, value in exact_counts(pub, keys).items():
            if value is None:
                unknown.add(key)
            else:
                known[key] = value
    return known, unknown, [label for label in [*months, *quarters, whole] if label in stored]


def relation_of(a: Key, b: Key) -> str:
    """How two cells differ: unit level, period kind, code."""
    parts = []
    if a[1] != b[1]:
        parts.append(f"{b[1][0]}" if a[1][0] != b[1][0] else f"other {b[1][0]}")
    if a[0] != b[0]:
        parts.append(f"{kind_of_label(b[0])}" if kind_of_label(a[0]) != kind_of_label(b[0]) else "other period")
    return ", ".join(parts) or "same unit+period"


def explain(
    exact: Mapping[Key, int], rels: list[Relation], hidden: set[Key], threshold: int
) -> tuple[Counter[str], list[str]]:
    """Why each hidden headline total of k or more is hidden: the small counts showing it alone would pin."""
    from roomlog.reporting.publication.audit import ranges

    by_key: dict[Key, list[Relation]] = {}
    for relation in rels:
        for key, _c in relation.terms:
            by_key.setdefault(key, []).append(relation)
    out: Counter[str] = Counter()
    examples: list[str] = []
    for key in sorted(hidden, key=repr):
        watched = key[2] in HEADLINE_TOTALS or (key[1] == NATIONAL and key[2] in NATIONAL_SHOWN)
        if key[1][0] == "room" or not watched or exact[key] < threshold:
            continue
        if forced(key, exact, rels, threshold):
            out[f"{key[2]} ({key[1][0]}): forced (T - n < k)"] += 1
            continue
        near = {k for r in by_key.get(key, []) for k, _c in r.terms}
        near |= {k for n in list(near) if n in hidden for r in by_key.get(n, []) for k, _c in r.terms}
        targets = {k for k in near if k in hidden and 0 < exact.get(k, 0) < threshold}
        found = {
            k: r
            for k, r in ranges(exact, rels, hidden - {key}, targets, {key}, by_key).items()
            if r[1] - r[0] < threshold - 1e-6
        }
        if not found:
            out[f"{key[2]} ({key[1][0]}): pins no small count near it"] += 1
            if len(examples) < 24:
                examples.append(f"    {key} = {exact[key]} pins no small count near it")
            continue
        small = min(found, key=lambda k: (k[1] != key[1], k[0] != key[0], repr(k)))
        out[f"{key[2]} ({key[1][0]}) <- {small[2]} ({relation_of(key, small)})"] += 1
        if len(examples) < 12:
            examples.append(f"    {key} = {exact[key]} pins {small} = {exact[small]} to {found[small]}")
    return out, examples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, nargs="*", help="years to protect (default: every stored year)")
    parser.add_argument("--explain", action="store_true", help="say why each hidden headline total is hidden")
    parser.add_argument(
        "--release-solves", type=int, help="HiGHS solves of the release pass per year (0: none, as before session 7)"
    )
    parser.add_argument(
        "--secondary-solves",
        type=int,
        help="HiGHS solves of the second release pass per year (0: none, as before session 9)",
    )
    args = parser.parse_args()
    from bench.reprotect import report, year_stats
    from bench.setup import national_reading
    from roomlog.reporting.publication import protect
    from roomlog.reporting.publication.protect import protect_year
    from roomlog.reporting.publication.units import relations

    if args.release_solves is not None:
        protect.RELEASE_SOLVES = args.release_solves
    if args.secondary_solves is not None:
        protect.SECONDARY_SOLVES = args.secondary_solves
    with national_reading() as nation:
        session, threshold, rooms = nation.session, nation.threshold, nation.rooms
        years = args.years or nation.years
        total: Counter[str] = Counter()
        lines = []
        why: Counter[str] = Counter()
        for year in years:
            exact, unknown, labels = load_year(session, rooms, year)
            if not labels:
                continue
            rels = relations(labels, rooms, set(exact), unknown)
            started, cpu = time.perf_counter(), time.process_time()
            hidden = protect_year(exact, rels, threshold, {})
            took, cpu = time.perf_counter() - started, time.process_time() - cpu
            stats = year_stats(exact, hidden, rels, threshold)
            total += stats
            lines.append(f"{year_line(year, stats)}; protect {took:.0f} s, {cpu:.1f} CPU-s")
            print(lines[-1], flush=True)
            if args.explain:
                found, examples = explain(exact, rels, hidden, threshold)
                why += found
                print("\n".join(examples), flush=True)
        session.rollback()
    report(total, lines)
    if args.explain:
        print("why hidden (headline total ≥ k <- the small count it would pin):")
        for reason, n in why.most_common():
            print(f"  {n:4}  {reason}")


if __name__ == "__main__":
    sys.exit(main())
