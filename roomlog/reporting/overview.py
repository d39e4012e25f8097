"""The municipality and national tables: published cells arranged for a page. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from roomlog.reporting.indicators import INDICATORS
from roomlog.reporting.publication.read import Cell, Table
from roomlog.reporting.publication.units import NATIONAL, RoomInfo, Unit

#: The headline indicators of the national view and of the annual report to the ministry.
HEADLINE = (
    "visits.total",
    "visitors.unique",
    "consumptions.total",
    "consumptions.assisted",
    "emergencies.total",
    "emergencies.acute_treatments",
    "emergencies.naloxone",
    "emergencies.ambulance_called",
    "emergencies.hospital_transfers",
    "emergencies.deaths",
    "emergencies.per_1000_consumptions",
    "referrals.total",
    "opening.days",
)


@dataclass(frozen=True)
class Column:
    """A room, a municipality total or the national total."""

    unit: Unit
    title: str
    is_total: bool


@dataclass(frozen=True)
class Line:
    """One indicator across the columns, with last year, change and since opening for the total."""

    code: str
    label: str
    section: str
    cells: tuple[Cell, ...]
    last_year: Cell
    change: Decimal | None
    since_opening: Cell


def municipality_columns(rooms: Sequence[RoomInfo], municipality: str, total_title: str) -> list[Column]:
    """The municipality's rooms, then its total."""
    cols = [Column(r.unit, r.name, False) for r in rooms if r.municipality_code == municipality]
    return [*cols, Column(("municipality", municipality), total_title, True)]


def national_columns(rooms: Sequence[RoomInfo], total_title: str) -> list[Column]:
    """Every municipality with a room, then the national total."""
    names = dict((r.municipality_code, r.municipality_name) for r in rooms)
    return [
        *(Column(("municipality", c), f"{n} ({c})", False) for c, n in names.items()),
        Column(NATIONAL, total_title, True),
    ]


def lines(
    now: Table,
    before: Table,
    since: Table,
    columns: Sequence[Column],
    language: str,
    codes: Sequence[str] | None = None,
) -> list[Line]:
    """Every (or the given) indicator as a line of the table; the last column is the total."""
    total = columns[-1].unit
    wanted = set(codes) if codes is not None else None
    out = []
    for indicator in INDICATORS:
        if wanted is not None and indicator.code not in wanted:
            continue
        code = indicator.code
        current = now.cell(total, code)
        previous = before.cell(total, code)
        out.append(
            Line(
                code=code,
                label=indicator.label(language),
                section=indicator.section,
                cells=tuple(now.cell(c.unit, code) for c in columns),
                last_year=previous,
                change=change_pct(current, previous),
                since_opening=since.cell(total, code),
            )
        )
    return out


def change_pct(now: Cell, before: Cell) -> Decimal | None:
    """Change on the same period last year in %, only from visible published values (one decimal)."""
    if now.value is None or before.value is None or before.value == 0 or now.suppressed or before.suppressed:
        return None
    change = (Decimal(now.value) - Decimal(before.value)) * 100 / Decimal(before.value)
    return change.quantize(Decimal("0.1"))


@dataclass(frozen=True)
class RoomLine:
    """One room (or total) in the national overview."""

    title: str
    municipality_code: str | None
    is_total: bool
    consumptions: Cell
    consumptions_last_year: Cell
    change: Decimal | None
    acute: Cell
    acute_since_opening: Cell
    consumptions_since_opening: Cell
    #: Acute treatments through the last whole quarter, and since opening to then (a year to date inside a quarter).
    acute_to_quarter: Cell | None = None
    acute_since_opening_to_quarter: Cell | None = None


def headline_rows(
    now: Table,
    before: Table,
    since: Table,
    rooms: Sequence[RoomInfo],
    total_title: str,
    to_quarter: Table | None = None,
    to_quarter_since: Table | None = None,
) -> list[RoomLine]:
    """Per room, per municipality and nationally: the figures a ministry quotes.

    ``to_quarter`` and ``to_quarter_since`` (a year to date that ends inside a quarter): the acute treatments through
    the last whole quarter and since opening to then, sums of published quarters that a small month of the quarter
    not yet complete does not hide."""
    units: list[tuple[Unit, str, str | None, bool]] = []
    for code in dict.fromkeys(r.municipality_code for r in rooms):
        members = [r for r in rooms if r.municipality_code == code]
        units += [(r.unit, r.name, code, False) for r in members]
        units.append((("municipality", code), f"{members[0].municipality_name} ({code})", code, True))
    units.append((NATIONAL, total_title, None, True))
    out = []
    for unit, title, municipality, is_total in units:
        c_now, c_before = now.cell(unit, "consumptions.total"), before.cell(unit, "consumptions.total")
        out.append(
            RoomLine(
                title,
                municipality,
                is_total,
                c_now,
                c_before,
                change_pct(c_now, c_before),
                now.cell(unit, "emergencies.acute_treatments"),
                since.cell(unit, "emergencies.acute_treatments"),
                since.cell(unit, "consumptions.total"),
                None if to_quarter is None else to_quarter.cell(unit, "emergencies.acute_treatments"),
                None if to_quarter_since is None else to_quarter_since.cell(unit, "emergencies.acute_treatments"),
            )
        )
    return out
