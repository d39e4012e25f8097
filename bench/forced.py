"""``python -m bench.forced``: which hidden municipal and national headline totals of k or more the data force hidden.

Reads the stored publications of an instance (nothing is written) and, per calendar year, tests every hidden
municipal or national headline total of k or more two ways:

- *chain*: :func:`~roomlog.reporting.publication.protect.unshowable_national` at both levels (a total T that is the
  sum of n non-zero cells down its chains of sums leaves each in [1, T − (n − 1)]);
- *LP*: HiGHS (:class:`~roomlog.reporting.publication.audit.Showing`) with every other non-zero cell hidden and
  the zeros shown: does showing the total alone leave a hidden small count narrower than k?
- *national*: the same LP with the national headline totals of k or more that are visible shown too (the
  protection never hides those for another cell): forced for a swap that keeps them.

- *headline* (only with ``--watch``): the same LP with every municipal and national headline total of k or more
  that is visible shown too, and the visible national watch cells (the swap of a watch cell may hide none of
  those): forced for the watch swap; the small count it narrows is printed.

With ``--watch`` the hidden national overdoses and naloxone (``protect.NATIONAL_WATCH``) of k or more are tested
instead of the headline totals. A total no test forces is hidden because of the pattern chosen around it, not the
data. With ``--reprotect``
the year is protected again in memory with this tree's code (``protect_year``, nothing fixed, as a fresh
republish does) and that hidden set is tested instead; it also prints the protection's CPU seconds, the hidden
share, and the hidden cells a fresh LP finds narrower than k (small counts: leaks; others: narrow).

    ROOMLOG_INSTANCE_PATH=/tmp/copy .venv/bin/python -m bench.forced [--reprotect] [--no-lp] [--watch] [2025 2026]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Mapping

from roomlog.reporting.publication.units import Key, Relation

LEVELS = frozenset({"municipality", "national"})


def analyse(
    exact: Mapping[Key, int],
    hidden: set[Key],
    rels: list[Relation],
    threshold: int,
    lp: bool,
    levels: frozenset[str] = LEVELS,
    codes: frozenset[str] | None = None,
    states: dict[Key, str] | None = None,
    headline: bool = False,
    why: dict[Key, dict[Key, tuple[float, float]]] | None = None,
) -> tuple[Counter[tuple[str, ...]], list[tuple[Key, int, str]]]:
    """Per (level, period kind, indicator): hidden, chain-forced, LP-forced, not forced; and the not forced ones.

    ``levels`` and ``codes`` (default: the headline totals) choose the hidden totals of k or more tested; ``states``
    gets each one's state (one of :data:`STATES` but ``hidden``). With ``headline``, a total neither test forces is
    tested once more with every visible municipal or national headline total of k or more shown, and every visible
    cell of ``codes`` at the levels asked (state ``headline`` when a small count then narrows); ``why`` gets the
    small counts each forced one narrows (the LP tests)."""
    from roomlog.reporting.publication.audit import Showing
    from roomlog.reporting.publication.protect import _equations, unshowable_national
    from roomlog.reporting.publication.units import (
        EXEMPT_CODES,
        HEADLINE_TOTALS,
        NATIONAL,
        kind_of_label,
        relations_by_key,
    )

    heads = sorted(
        (
            k
            for k, v in exact.items()
            if k[1][0] in levels and k[2] in (codes or HEADLINE_TOTALS) and v >= threshold and k in hidden
        ),
        key=repr,
    )
    if not heads:
        return Counter(), []
    chain = unshowable_national(exact, _equations(rels), threshold, levels)
    by_lp: set[Key] = set()
    by_national: set[Key] = set()
    by_heads: set[Key] = set()
    if lp:
        everything = {k for k, v in exact.items() if v > 0}
        index = relations_by_key(rels)
        audit = Showing(exact, everything, threshold, index)
        small = {k for k in everything if exact[k] < threshold and k[2] not in EXEMPT_CODES}
        # The same with the national headline totals of k or more that are visible now shown too: the swap step
        # may not hide them, so a total showing which narrows a small count then is forced for it.
        kept = sorted(
            (k for k in everything if k[1] == NATIONAL and k[2] in HEADLINE_TOTALS and exact[k] >= threshold),
            key=repr,
        )
        with_national = Showing(exact, everything, threshold, index)
        with_national.show([k for k in kept if k not in hidden])

        with_heads = Showing(exact, everything, threshold, index)
        if headline:
            visible = [
                k
                for k in everything
                if k not in hidden
                and exact[k] >= threshold
                and (
                    (k[1][0] != "room" and k[2] in HEADLINE_TOTALS)
                    or (k[1][0] in levels and k[2] in (codes or HEADLINE_TOTALS))
                )
            ]
            with_heads.show(sorted(visible, key=repr))

        def pins(showing: Showing, key: Key) -> bool:
            """Whether showing ``key`` on top of ``showing``'s hidden set narrows a small count below k."""
            showing.show([key])
            narrow = showing.narrow([key], small, first=True)
            showing.hide([key])
            if narrow and why is not None:
                why[key] = narrow
            return bool(narrow)

        for key in heads:
            if key in chain:
                continue
            if pins(audit, key):
                by_lp.add(key)
            elif pins(with_national, key):
                by_national.add(key)
            elif headline and pins(with_heads, key):
                by_heads.add(key)
    table: Counter[tuple[str, ...]] = Counter()
    free: list[tuple[Key, int, str]] = []
    for key in heads:
        row = (key[1][0], kind_of_label(key[0]), key[2])
        table[(*row, "hidden")] += 1
        state = "chain" if key in chain else ("lp" if key in by_lp else ("not" if lp else "untested"))
        if key in by_national:
            state = "national"
        if key in by_heads:
            state = "headline"
        table[(*row, state)] += 1
        if states is not None:
            states[key] = state
        if state in ("not", "untested"):
            free.append((key, exact[key], state))
    return table, free


def reprotect(exact: Mapping[Key, int], rels: list[Relation], threshold: int) -> tuple[set[Key], float, dict[str, int]]:
    """This tree's protection of the year in memory: the hidden set, its CPU seconds, leaks and narrow cells."""
    from roomlog.reporting.publication.audit import TOLERANCE, Showing, ranges
    from roomlog.reporting.publication.protect import protect_year
    from roomlog.reporting.publication.units import EXEMPT_CODES, relations_by_key

    cpu = time.process_time()
    hidden = protect_year(exact, rels, threshold, {})
    cpu = time.process_time() - cpu
    small = {k for k in hidden if 0 < exact.get(k, 0) < threshold and k[2] not in EXEMPT_CODES}
    found = ranges(exact, rels, hidden, small)
    leaks = sum(1 for lo, hi in found.values() if hi - lo < threshold - 1e-6)
    spans = Showing(exact, hidden, threshold, relations_by_key(rels)).spans(hidden - small, threshold)
    pinned = sum(1 for lo, hi in spans.values() if hi - lo <= TOLERANCE)
    return hidden, cpu, {"leaks": leaks, "narrow": len(spans) - pinned, "pinned": pinned}


def year_cells(hidden: set[Key], year: int) -> tuple[int, int, int]:
    """Hidden cells of the calendar year ``year`` itself: rooms, municipalities, the nation."""
    found = Counter(k[1][0] for k in hidden if k[0] == str(year))
    return found["room"], found["municipality"], found["national"]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("years", nargs="*", type=int, help="calendar years (default: every stored one)")
    parser.add_argument("--reprotect", action="store_true", help="protect each year again in memory first")
    parser.add_argument("--no-lp", action="store_true", help="the chain rule only")
    parser.add_argument(
        "--watch", action="store_true", help="test the hidden national watch cells (overdoses, naloxone) instead"
    )
    parser.add_argument("--debug", action="store_true", help="log the protection's debug lines (swap refusals)")
    args = parser.parse_args()
    import logging

    from bench.reprotect import stored_year
    from bench.setup import national_reading

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("roomlog").setLevel(logging.INFO)
    if args.debug:
        logging.getLogger("roomlog.reporting.publication.protect").setLevel(logging.DEBUG)
    total: Counter[tuple[str, ...]] = Counter()
    with national_reading() as nation:
        session, threshold, rooms = nation.session, nation.threshold, nation.rooms
        for year in args.years or nation.years:
            found = stored_year(session, rooms, year)
            if found is None:
                continue
            exact, hidden, rels = found
            if args.reprotect:
                before, stored_years = len(hidden), year_cells(hidden, year)
                hidden, cpu, audit = reprotect(exact, rels, threshold)
                print(
                    f"{year}: protect_year {cpu:.1f} CPU-s; hidden {len(hidden)}/{len(exact)}"
                    f" ({100 * len(hidden) / len(exact):.1f} %; stored {before}); leaks {audit['leaks']},"
                    f" narrow {audit['narrow']}, pinned {audit['pinned']}; hidden year cells (room, municipality,"
                    f" nation) {year_cells(hidden, year)} (stored {stored_years})",
                    flush=True,
                )
            why: dict[Key, dict[Key, tuple[float, float]]] = {}
            states: dict[Key, str] = {}
            if args.watch:
                from roomlog.reporting.publication.protect import NATIONAL_WATCH

                table, free = analyse(
                    exact,
                    hidden,
                    rels,
                    threshold,
                    not args.no_lp,
                    frozenset({"national"}),
                    NATIONAL_WATCH,
                    states,
                    headline=True,
                    why=why,
                )
            else:
                table, free = analyse(exact, hidden, rels, threshold, not args.no_lp, states=states, why=why)
            for row in sorted({k[:3] for k in table}):
                print(f"  {year} {' '.join(row)}: " + ", ".join(f"{s} {table[(*row, s)]}" for s in STATES))
            for key, value, state in free:
                print(f"    {state}: {key} = {value}")
            for key, found in sorted(why.items(), key=lambda item: repr(item[0])):
                cell, (lo, hi) = min(found.items(), key=lambda item: repr(item[0]))
                print(f"    {states[key]}: {key} = {exact[key]} narrows {cell} = {exact[cell]} to [{lo:.2f}, {hi:.2f}]")
            total += table
            session.rollback()
    print("all: " + ", ".join(f"{s} {sum(v for k, v in total.items() if k[3] == s)}" for s in STATES))
    print(
        "national: "
        + ", ".join(f"{s} {sum(v for k, v in total.items() if k[3] == s and k[0] == 'national')}" for s in STATES)
    )


STATES = ("hidden", "chain", "lp", "national", "headline", "not", "untested")

if __name__ == "__main__":
    sys.exit(main())
