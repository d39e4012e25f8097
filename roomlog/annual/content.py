"""The annual report's figures per room, municipality and the nation, read from the stored publication only.

Pure apart from reading the store. Every figure is a published cell (or a range derived from
visible published cells by :mod:`roomlog.reporting.publication.read`); the change on last year is
computed only where both years are visible and known.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy.orm import Session

from roomlog.messages import C_, in_danish, month_name
from roomlog.models import Room
from roomlog.reporting.compare import change_pct
from roomlog.reporting.indicators import BY_CODE, Indicator
from roomlog.reporting.periods import Period
from roomlog.reporting.publication import NATIONAL, Cell, Table, Unit, since_opening, store, table
from roomlog.reporting.publication.units import RoomInfo
from roomlog.reporting.windows import Window, last_year, month_label, total_label, year_window

#: The routes shown together as «anden indtagelse» when every one of them is visible.
OTHER_ROUTES = ("consumptions.route.sniff", "consumptions.route.oral", "consumptions.route.other")
OTHER_CODE = "consumptions.route.sniff+oral+other"
OTHER_LABEL = in_danish(C_("annual report", "other consumption (sniffing, oral, other)"))
CODES = (
    "consumptions.total",
    "consumptions.route.inject",
    "consumptions.route.smoke",
    *OTHER_ROUTES,
    "emergencies.acute_treatments",
    "emergencies.naloxone_doses",
    "emergencies.oxygen",
    "emergencies.oxygen_administrations",
    "emergencies.hospital_transfers",
    "emergencies.deaths",
    "referrals.total",
    "referrals.kind.health",
    "referrals.kind.social",
    "referrals.kind.treatment",
    "referrals.kind.other",
    "visitors.unique",
    "visitors.new",
    "opening.days",
)


@dataclass(frozen=True)
class Line:
    """One indicator of one unit: the year, last year, the change and since opening."""

    code: str
    label: str
    now: Cell
    before: Cell
    change: Decimal | None
    since: Cell


@dataclass(frozen=True)
class Block:
    """The figures of one room, municipality or the nation."""

    key: str
    title: str
    kind: str
    lines: tuple[Line, ...]
    places_injection: int
    places_smoking: int


@dataclass(frozen=True)
class Content:
    """Every block of the report with the periods it covers."""

    year: int
    blocks: tuple[Block, ...]
    window: Window
    last_year: Window
    since: Window
    #: Months of the year not yet published (empty when the year is).
    missing: tuple[dt.date, ...]
    combined_other: bool
    indicators: tuple[Indicator, ...]

    @property
    def unfinished(self) -> bool:
        return bool(self.missing)

    @property
    def coverage(self) -> str:
        """``siden 2021-01``."""
        return in_danish(C_("annual report", "since %(month)s"), month=month_label(self.since.period.first))

    @property
    def covered(self) -> str:
        """``januar–juni 2026`` or ``2022``."""
        if not self.missing:
            return str(self.year)
        if self.window.period.first.year != self.year or ".." not in self.window.label:
            return in_danish(C_("annual report", "no months"))
        first, last = month_name(1), month_name(self.window.period.last.month)
        return f"{last} {self.year}" if last == first else f"{first}–{last} {self.year}"

    def hidden(self) -> list[tuple[Block, Line, str]]:
        """Every hidden figure as ``(block, line, column)`` (never why)."""
        return [
            (b, line, col)
            for b in self.blocks
            for line in b.lines
            for col, cell in (
                (in_danish(C_("annual report", "year")), line.now),
                (in_danish(C_("annual report", "last year")), line.before),
                (in_danish(C_("annual report", "since opening")), line.since),
            )
            if cell.suppressed
        ]


def _published_months(session: Session, year: int) -> list[dt.date]:
    months = [dt.date(year, m, 1) for m in range(1, 13)]
    found = store.latest(session, [month_label(m) for m in months], codes=())
    return [m for m in months if month_label(m) in found]


def windows(session: Session, year: int) -> tuple[Window, tuple[dt.date, ...]]:
    """The year if published, else its published months from January (and the months still missing)."""
    whole = year_window(year)
    if store.latest(session, [whole.label], codes=()):
        return whole, ()
    published = _published_months(session, year)
    prefix: list[dt.date] = []
    for month in whole.period.months:
        if month not in published:
            break
        prefix.append(month)
    missing = tuple(m for m in whole.period.months if m not in published)
    if not prefix:
        return whole, missing
    part = Period(prefix[0], prefix[-1])
    return Window(total_label(part), part), missing


def _combined(cells: Sequence[Cell]) -> Cell:
    """The sum of the other routes (only called when none of them is hidden)."""
    first = cells[0]
    unknown = [c for c in cells if c.value is None]
    if unknown:
        return replace(first, indicator=OTHER_CODE, value=None, status=unknown[0].status, coverage=None)
    if len({c.coverage for c in cells}) > 1:  # partial figures over different months do not add up
        return replace(first, indicator=OTHER_CODE, value=None, status="unknown", coverage=None)
    return replace(first, indicator=OTHER_CODE, value=sum(int(c.value or 0) for c in cells))


def _can_combine(tables: Sequence[Table], units: Sequence[Unit]) -> bool:
    return not any(t.cell(u, c).suppressed for t in tables for u in units for c in OTHER_ROUTES)


def _line(code: str, label: str, now: Cell, before: Cell, since: Cell) -> Line:
    visible = not (now.suppressed or before.suppressed)
    change = change_pct(now.value, before.value) if visible else None
    return Line(code, label, now, before, change, since)


def _lines(tables: Sequence[Table], unit: Unit, combine: bool) -> tuple[Line, ...]:
    out: list[Line] = []
    for code in CODES:
        if code in OTHER_ROUTES and combine:
            if code == OTHER_ROUTES[0]:
                parts = [[t.cell(unit, c) for c in OTHER_ROUTES] for t in tables]
                out.append(_line(OTHER_CODE, OTHER_LABEL, *(_combined(p) for p in parts)))
            continue
        cells = [t.cell(unit, code) for t in tables]
        out.append(_line(code, BY_CODE[code].label_da, *cells))
    return tuple(out)


def build_content(
    session: Session,
    year: int,
    infos: Sequence[RoomInfo],
    units: Sequence[tuple[Unit, str, str, Sequence[Room]]],
    threshold: int,
) -> Content:
    """The report's blocks for ``units`` (``(unit, title, kind, rooms)``), every figure from the store."""
    window, missing = windows(session, year)
    before = last_year(window)
    since = since_opening(session, window)
    tables = [table(session, w, infos, threshold, CODES, partial=w is since) for w in (window, before, since)]
    units = [u for u in units if (u[0], CODES[0]) in tables[0].cells]
    combine = _can_combine(tables, [u for u, *_ in units])
    blocks = tuple(
        Block(
            "national" if unit == NATIONAL else f"{unit[0]}-{unit[1]}",
            title,
            kind,
            _lines(tables, unit, combine),
            sum(r.places_injection or 0 for r in rooms),
            sum(r.places_smoking or 0 for r in rooms),
        )
        for unit, title, kind, rooms in units
    )
    return Content(year, blocks, window, before, since, missing, combine, tuple(BY_CODE[c] for c in CODES))
