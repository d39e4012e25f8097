"""``python -m bench.readfirst``: how much of what people read first is ``..``, on the stored cells of an instance.

Reads the stored publications (nothing is written) and prints:

- the hidden share of the stored cells by level (room, municipality, nation) × period kind (month, quarter, year)
  × indicator class: *headline* (the headline totals of the disclosure rules: visits, consumptions,
  emergencies, acute treatments, referrals), *total* (another indicator without a parent) and *breakdown*
  (a category of a parent); over cells with a value above zero (zeros are always shown);
- what the default pages show, as the read side builds them (:func:`~roomlog.reporting.publication.read.table`):
  ``/national/``'s start page (the year to date, or the last whole year) with its headline rows (per room,
  municipality and the nation) and its table of every indicator; ``/municipality/``'s start page (the latest
  published month) for every municipality; ``/national/`` for each whole published year; and since opening by
  year (the since-opening figure through each December); beside a year to date that ends inside a quarter, the
  start page's acute treatments through the last whole quarter and since opening to then. Each line counts the
  figures that are ``..`` among those with a value or ``..`` (unknown and not applicable are not figures), for the
  headline indicators of the national view (``overview.HEADLINE``) and for the rest;
- for every stored (closed) period, whether the national headline totals, opioid overdoses and naloxone are visible,
  and every hidden one with why (a small count, or :mod:`bench.forced`'s tests at the national level).

    ROOMLOG_INSTANCE_PATH=/tmp/copy .venv/bin/python -m bench.readfirst [--years 2025 2026] [--no-lp]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import Counter
from collections.abc import Iterable, Sequence

LEVELS = ("room", "municipality", "national")
KINDS = ("month", "quarter", "year")


def indicator_class(code: str) -> str:
    """``headline``, ``total`` or ``breakdown`` (see the module's docstring)."""
    from roomlog.reporting.indicators import BY_CODE
    from roomlog.reporting.publication.units import HEADLINE_TOTALS

    if code in HEADLINE_TOTALS:
        return "headline"
    return "breakdown" if BY_CODE[code].parent else "total"


def stored_shares(session, rooms, years: Iterable[int]) -> Counter[tuple[str, ...]]:
    """``(level, kind, class, "cells"|"hidden")`` counts of the stored count cells above zero of ``years``."""
    from bench.headline import load_year
    from roomlog.reporting.publication.store import latest
    from roomlog.reporting.publication.units import kind_of_label

    out: Counter[tuple[str, ...]] = Counter()
    for year in years:
        known, _unknown, labels = load_year(session, rooms, year)
        stored = latest(session, labels)
        for (label, unit, code), value in known.items():
            if value <= 0:
                continue
            cell = stored[label].cells.get((unit, code))
            what = (unit[0], kind_of_label(label), indicator_class(code))
            out[(*what, "cells")] += 1
            out[(*what, "hidden")] += bool(cell and cell.hidden)
    return out


#: Stored periods read for :func:`small_block` (label → latest version).
STORED: dict[str, object] = {}


def small_block(session, table, unit, cell) -> bool:
    """Whether a hidden figure of ``table`` has a calendar block that is a small count (1..k−1) for its unit: then
    no protection can show it (a small block has a small part however it is split), unless a later block is shown
    instead. The blocks are the table's (since opening: those from the figure's first month covered)."""
    from roomlog.reporting.publication.coverage import first_month_of_label
    from roomlog.reporting.publication.store import latest

    labels = list(table.blocks)
    if cell.coverage:
        labels = [label for label in labels if first_month_of_label(label) >= cell.coverage]
    missing = [label for label in labels if label not in STORED]
    if missing:
        STORED.update(latest(session, missing))
    for label in labels:
        stored = STORED.get(label)
        found = stored.cells.get((unit, cell.indicator)) if stored is not None else None  # type: ignore[attr-defined]
        if found is not None and found.exact is not None and 0 < found.exact < table.threshold:
            return True
    return False


def counted(
    cells: Iterable[tuple[object, object]], codes: Sequence[str] | None = None, session=None, table=None
) -> Counter[str]:
    """Figures (a value or ``..``) and hidden ones among ``(unit, cell)`` (read-side :class:`Cell`), headline apart;
    with ``session`` and ``table``, the hidden ones with a small block (:func:`small_block`) are counted apart."""
    from roomlog.reporting.overview import HEADLINE

    out: Counter[str] = Counter()
    for unit, cell in cells:
        if codes is not None and cell.indicator not in codes:  # type: ignore[attr-defined]
            continue
        state = cell.state  # type: ignore[attr-defined]
        if state not in ("value", "zero", "hidden"):
            continue
        group = "headline" if cell.indicator in HEADLINE else "other"  # type: ignore[attr-defined]
        out[f"{group} figures"] += 1
        out[f"{group} hidden"] += state == "hidden"
        if state == "hidden" and table is not None and small_block(session, table, unit, cell):
            out[f"{group} small"] += 1
    return out


def share(c: Counter[str], group: str) -> str:
    n, h, small = c[f"{group} figures"], c[f"{group} hidden"], c[f"{group} small"]
    return f"{h}/{n} ({100 * h / max(n, 1):.0f} %; {small} with a small block)"


def page_lines(session, rooms, threshold: int, years: Sequence[int]) -> list[str]:
    """One line per default page (and per unit level of its headline rows): how many figures are ``..``."""
    from roomlog.reporting.indicators import CODES
    from roomlog.reporting.periods import Period
    from roomlog.reporting.publication import read
    from roomlog.reporting.publication.units import NATIONAL, municipalities
    from roomlog.reporting.windows import (
        Window,
        last_year,
        month_window,
        through_last_quarter,
        total_label,
        year_window,
    )

    latest = read.latest_published_month(session)
    if latest is None:
        return ["nothing published"]
    out: list[str] = []

    def three(window: Window) -> tuple[read.Table, read.Table, read.Table]:
        return (
            read.table(session, window, rooms, threshold),
            read.table(session, last_year(window), rooms, threshold),
            read.table(session, read.since_opening(session, window), rooms, threshold, partial=True),
        )

    def national_page(name: str, window: Window) -> None:
        now, before, since = three(window)
        for level in LEVELS:
            units = [u for u in _units(rooms) if u[0] == level]
            for what, t, code in (
                ("consumptions", now, "consumptions.total"),
                ("consumptions last year", before, "consumptions.total"),
                ("acute treatments", now, "emergencies.acute_treatments"),
                ("acute treatments since opening", since, "emergencies.acute_treatments"),
                ("consumptions since opening", since, "consumptions.total"),
            ):
                c = counted(((u, t.cell(u, code)) for u in units), session=session, table=t)
                out.append(f"  {name} {window.label}: headline rows, {level:12} {what:31} {share(c, 'headline')}")
        cut = through_last_quarter(window)
        if cut is not None:
            # What the page shows beside the year to date: through the last whole quarter, since opening to then.
            to_quarter = read.table(session, cut, rooms, threshold)
            since_cut = read.table(session, read.since_opening(session, cut), rooms, threshold, partial=True)
            for level in LEVELS:
                units = [u for u in _units(rooms) if u[0] == level]
                for what, t in (
                    (f"acute treatments {cut.label}", to_quarter),
                    ("acute since opening to then", since_cut),
                ):
                    code = "emergencies.acute_treatments"
                    c = counted(((u, t.cell(u, code)) for u in units), session=session, table=t)
                    out.append(f"  {name} {window.label}: headline rows, {level:12} {what:31} {share(c, 'headline')}")
        units = [("municipality", m) for m in municipalities(rooms)] + [NATIONAL]
        c = counted(((u, now.cell(u, code)) for u in units for code in CODES), session=session, table=now)
        out.append(
            f"  {name} {window.label}: table (municipalities, nation) headline {share(c, 'headline')},"
            f" other {share(c, 'other')}"
        )
        c = counted([(NATIONAL, before.cell(NATIONAL, code)) for code in CODES])
        c += counted([(NATIONAL, since.cell(NATIONAL, code)) for code in CODES])
        out.append(
            f"  {name} {window.label}: nation's last year + since opening, headline {share(c, 'headline')},"
            f" other {share(c, 'other')}"
        )

    if latest.month == 12:
        national_page("/national/ start", year_window(latest.year))
    else:
        to_date = Period(latest.replace(month=1), latest)
        national_page("/national/ start", Window(total_label(to_date), to_date))
    for year in years:
        if year < latest.year or (latest.month == 12 and year == latest.year):
            national_page("/national/ year", year_window(year))
    now, before, since = three(month_window(latest))
    for code, members in municipalities(rooms).items():
        units = [r.unit for r in members] + [("municipality", code)]
        for name, t in (("month", now), ("last year", before), ("since opening", since)):
            c = counted(((u, t.cell(u, ind)) for u in units for ind in CODES), session=session, table=t)
            out.append(
                f"  /municipality/ start {latest:%Y-%m} {code} {name:13}: headline {share(c, 'headline')},"
                f" other {share(c, 'other')}"
            )
    for year in years:
        if year >= latest.year and latest.month != 12:
            continue
        since = read.table(session, read.since_opening(session, year_window(year)), rooms, threshold, partial=True)
        for level in LEVELS:
            units = [u for u in _units(rooms) if u[0] == level]
            c = counted(((u, since.cell(u, code)) for u in units for code in CODES), session=session, table=since)
            out.append(
                f"  since opening through {year}-12, {level:12}: headline {share(c, 'headline')},"
                f" other {share(c, 'other')}"
            )
    return out


def to_date_lines(session, rooms, threshold: int, years: Sequence[int]) -> list[str]:
    """For every published month that ends no quarter (from April on): the acute treatments of the year to date
    through it, and through the last whole quarter before it (what the start page shows beside it), and since
    opening to each, per level: ``..`` / figures (in brackets: with a small block)."""
    from roomlog.reporting.periods import Period
    from roomlog.reporting.publication import read
    from roomlog.reporting.windows import Window, through_last_quarter, total_label

    latest = read.latest_published_month(session)
    code = "emergencies.acute_treatments"
    out = ["acute treatments of the year to date at each month that ends no quarter (`..` / figures, small block):"]
    for year in years:
        for month in (4, 5, 7, 8, 10, 11):
            last = dt.date(year, month, 1)
            if latest is None or last > latest:
                continue
            window = Window(total_label(Period(dt.date(year, 1, 1), last)), Period(dt.date(year, 1, 1), last))
            cut = through_last_quarter(window)
            if cut is None:
                continue
            parts: list[str] = []
            for what, w in (("to date", window), (f"to {cut.label[-7:]}", cut)):
                now = read.table(session, w, rooms, threshold)
                since = read.table(session, read.since_opening(session, w), rooms, threshold, partial=True)
                for level in ("room", "municipality"):
                    units = [u for u in _units(rooms) if u[0] == level]
                    for name, t in (("", now), (" since opening", since)):
                        c = counted(((u, t.cell(u, code)) for u in units), session=session, table=t)
                        parts.append(
                            f"{level[:4]} {what}{name} {c['headline hidden']}/{c['headline figures']}"
                            f" ({c['headline small']})"
                        )
            if not parts[0].endswith(" 0/0 (0)"):  # no room had a figure (not open yet)
                out.append(f"  {window.label}: " + "; ".join(parts))
    return out


#: The national figures checked for every closed period (the issue: "whether national overdoses and consumptions
#: are visible for closed periods"): the headline totals of the disclosure rules, opioid overdoses and naloxone.
NATIONAL_CODES = (
    "visits.total",
    "consumptions.total",
    "emergencies.total",
    "emergencies.acute_treatments",
    "emergencies.type.opioid",
    "emergencies.naloxone",
    "referrals.total",
)
#: Why a hidden national total is hidden (:mod:`bench.forced`'s states, and a small count).
WHY = {
    "small": "a small count (1..k-1)",
    "chain": "forced: a sum of non-zero cells of which one is narrower than k however the rest is hidden (chain)",
    "lp": "forced: showing it alone, with every other non-zero cell hidden, narrows a small count (LP)",
    "national": "forced for the rules: shown beside the visible national headline totals, it narrows a small count",
    "headline": "forced for the rules: shown beside every visible municipal and national headline total and national"
    " figure of this list, it narrows a small count (shown only if another of them is hidden)",
    "not": "not forced by the data: the pattern chosen around it",
    "untested": "not tested (--no-lp)",
}


def national_lines(session, rooms, threshold: int, years: Sequence[int], lp: bool = True) -> list[str]:
    """For every stored (closed) period: whether each national figure of :data:`NATIONAL_CODES` is visible, by
    period kind, and every hidden one with why (:func:`bench.forced.analyse`, at the national level)."""
    from bench.forced import analyse
    from bench.reprotect import stored_year
    from roomlog.reporting.publication.units import NATIONAL, kind_of_label

    shown: Counter[tuple[str, str, str]] = Counter()
    listed: list[str] = []
    for year in years:
        found = stored_year(session, rooms, year)
        if found is None:
            continue
        exact, hidden, rels = found
        keys = sorted((k for k, v in exact.items() if k[1] == NATIONAL and k[2] in NATIONAL_CODES and v > 0), key=repr)
        states: dict = {}
        big = {k for k in keys if k in hidden and exact[k] >= threshold}
        if big:
            analyse(
                exact, hidden, rels, threshold, lp, frozenset({"national"}), frozenset(NATIONAL_CODES), states, True
            )
        for key in keys:
            kind = kind_of_label(key[0])
            shown[(key[2], kind, "figures")] += 1
            if key in hidden:
                shown[(key[2], kind, "hidden")] += 1
                why = "small" if exact[key] < threshold else states.get(key, "untested")
                listed.append(f"    {key[0]:8} {key[2]:30} {exact[key]:6}  {WHY[why]}")
        session.rollback()
    out = [f"national figures of closed periods, {years[0]}–{years[-1]} (hidden / periods with a value above zero):"]
    for code in NATIONAL_CODES:
        parts = [f"{kind} {shown[(code, kind, 'hidden')]}/{shown[(code, kind, 'figures')]}" for kind in KINDS]
        out.append(f"  {code:30} " + ", ".join(parts))
    n = sum(v for k, v in shown.items() if k[2] == "figures")
    h = sum(v for k, v in shown.items() if k[2] == "hidden")
    out.append(f"  all: {h}/{n} hidden; every hidden one:")
    return out + (listed or ["    none"])


def _units(rooms):
    from roomlog.reporting.publication.units import NATIONAL, municipalities

    return [r.unit for r in rooms] + [("municipality", m) for m in municipalities(rooms)] + [NATIONAL]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, nargs="*", help="years (default: every stored year)")
    parser.add_argument("--no-lp", action="store_true", help="hidden national totals: the chain rule only (quick)")
    args = parser.parse_args()
    from bench.setup import national_reading

    with national_reading() as nation:
        years = args.years or nation.years
        shares = stored_shares(nation.session, nation.rooms, years)
        print(f"hidden share of stored cells above zero, years {years[0]}–{years[-1]}:")
        for level in LEVELS:
            for kind in KINDS:
                parts = []
                for what in ("headline", "total", "breakdown"):
                    n, h = shares[(level, kind, what, "cells")], shares[(level, kind, what, "hidden")]
                    parts.append(f"{what} {h}/{n} ({100 * h / max(n, 1):.0f} %)")
                print(f"  {level:12} {kind:7}: " + ", ".join(parts))
        n = sum(v for k, v in shares.items() if k[-1] == "cells")
        h = sum(v for k, v in shares.items() if k[-1] == "hidden")
        print(f"  all: {h}/{n} ({100 * h / max(n, 1):.1f} %)")
        print("default pages (figures `..` / figures):")
        print("\n".join(page_lines(nation.session, nation.rooms, nation.threshold, years)), flush=True)
        print("\n".join(to_date_lines(nation.session, nation.rooms, nation.threshold, years)), flush=True)
        nation.session.rollback()
        print("\n".join(national_lines(nation.session, nation.rooms, nation.threshold, years, not args.no_lp)))


if __name__ == "__main__":
    sys.exit(main())
