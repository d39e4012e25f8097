"""What leaves the room: one period's table of rooms, municipality totals and a national total,
disclosure-controlled as a whole. Pure functions over plain values.

The table is always protected in full (every room, every municipality, every indicator) and
only then cut down to what a reader may see, so every user, token, filter and format gets
the same pattern of hidden cells for a period — combining two outputs gives nothing away.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from roomlog.reporting.indicators import INDICATORS, Kind
from roomlog.reporting.suppression import Equation, Protection, Rate, protect

Number = int | Decimal
Unit = tuple[str, object]  # ("room", id) · ("municipality", code) · ("national", None)
NATIONAL: Unit = ("national", None)
RATE_CODE = "emergencies.per_1000_consumptions"
#: Not a count of persons or events: never hidden for being small.
EXEMPT_CODES = frozenset({"opening.days"})
LEVEL = {"room": 0, "municipality": 1, "national": 2}


@dataclass(frozen=True)
class RoomInfo:
    """A room as the published table needs it."""

    id: int
    name: str
    municipality_code: str
    municipality_name: str
    opened_on: dt.date | None = None


@dataclass(frozen=True)
class PeriodValues:
    """Exact values of one period per room, per municipality and nationally (from the engine)."""

    label: str
    per_room: Mapping[int, Mapping[str, Number | None]]
    per_municipality: Mapping[str, Mapping[str, Number | None]]
    national: Mapping[str, Number | None]
    #: Rooms with at least one month in the period that is not approved (foreløbig).
    provisional_rooms: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Cell:
    """One published value: ``value`` is ``None`` when hidden (or not computable)."""

    municipality_code: str | None
    room_id: int | None
    room: str | None
    period: str
    indicator: str
    value: Number | None
    suppressed: bool
    reason: str | None
    provisional: bool

    @property
    def status(self) -> str:
        return "provisional" if self.provisional else "approved"


@dataclass(frozen=True)
class PublishedPeriod:
    """A protected period table: every cell, looked up by unit and indicator."""

    label: str
    cells: Mapping[tuple[Unit, str], Cell]
    protection: Protection
    #: Exact counts, kept only so that longer periods can be protected consistently with this one.
    exact: Mapping[tuple[Unit, str], int]

    def cell(self, unit: Unit, code: str) -> Cell:
        return self.cells[(unit, code)]


def _units(rooms: Sequence[RoomInfo]) -> dict[str, list[int]]:
    by_municipality: dict[str, list[int]] = {}
    for room in rooms:
        by_municipality.setdefault(room.municipality_code, []).append(room.id)
    return by_municipality


def _exact(data: PeriodValues, rooms: Sequence[RoomInfo]) -> dict[tuple[Unit, str], Number | None]:
    values: dict[tuple[Unit, str], Number | None] = {}
    for indicator in INDICATORS:
        code = indicator.code
        for room in rooms:
            values[(("room", room.id), code)] = data.per_room.get(room.id, {}).get(code)
        for municipality in _units(rooms):
            values[(("municipality", municipality), code)] = data.per_municipality.get(municipality, {}).get(code)
        values[(NATIONAL, code)] = data.national.get(code)
    return values


def _families() -> dict[tuple[str, str], list[str]]:
    """Breakdowns of a parent indicator: ``(parent, prefix) → child codes``."""
    out: dict[tuple[str, str], list[str]] = {}
    for indicator in INDICATORS:
        if indicator.parent:
            out.setdefault((indicator.parent, indicator.code.rsplit(".", 1)[0]), []).append(indicator.code)
    return out


def equations(values: Mapping[tuple[Unit, str], Number | None], rooms: Sequence[RoomInfo]) -> list[Equation]:
    """Every additive relation a reader of the table can use."""
    out: list[Equation] = []
    by_municipality = _units(rooms)
    units: list[Unit] = [("room", r.id) for r in rooms] + [("municipality", m) for m in by_municipality] + [NATIONAL]

    def usable(keys: Iterable[tuple[Unit, str]]) -> bool:
        return all(values.get(key) is not None for key in keys)

    for indicator in INDICATORS:
        if not indicator.additive:
            continue
        code = indicator.code
        for municipality, room_ids in by_municipality.items():
            eq = Equation((("municipality", municipality), code), tuple((("room", r), code) for r in room_ids))
            if usable(eq.members):
                out.append(eq)
        eq = Equation((NATIONAL, code), tuple((("municipality", m), code) for m in by_municipality))
        if usable(eq.members):
            out.append(eq)
    for (parent, _prefix), children in _families().items():
        for unit in units:
            eq = Equation((unit, parent), tuple((unit, child) for child in children))
            # A breakdown is a relation only where it adds up exactly (a consumption can have
            # several substances, an emergency several actions); where it does not, it only
            # bounds the parts from above, which never pins a hidden count down.
            if usable(eq.members) and values[eq.total] == sum(values[p] for p in eq.parts):  # type: ignore[misc]
                out.append(eq)
    return out


def _time_equations(
    links: Sequence[tuple[str, Sequence[str]]], exact: Mapping[str, Mapping[tuple[Unit, str], int]]
) -> list[Equation]:
    """``period = sum of its parts`` for every unit and additive indicator, for each link."""
    additive = {i.code for i in INDICATORS if i.additive}
    out = []
    for whole, parts in links:
        for key in exact[whole]:
            if key[1] in additive and all(key in exact[part] for part in parts):
                out.append(Equation((whole, *key), tuple((part, *key) for part in parts)))
    return out


def _counts(exact: Mapping[tuple[Unit, str], Number | None]) -> dict[tuple[Unit, str], int]:
    return {key: int(v) for key, v in exact.items() if v is not None and key[1] != RATE_CODE}  # type: ignore[arg-type]


def protect_tables(
    new: Sequence[PeriodValues],
    rooms: Sequence[RoomInfo],
    threshold: int,
    fixed: Sequence[PublishedPeriod] = (),
    links: Sequence[tuple[str, Sequence[str]]] = (),
) -> list[PublishedPeriod]:
    """Protect the tables of ``new`` together and return every cell as it may be published.

    ``fixed`` tables are already published and keep their state; ``links`` say which period is
    the sum of which (by label): the quarters of a year (the year fixed), the months of a
    quarter (the quarter fixed), or a range of fixed calendar blocks. Cells of the new tables
    are hidden as needed so that adding or subtracting periods gives nothing away.
    """
    exact = {data.label: _exact(data, rooms) for data in new}
    counts_by = {label: _counts(values) for label, values in exact.items()}
    counts_by.update({table.label: dict(table.exact) for table in fixed})
    counts = {(label, *key): v for label, table in counts_by.items() for key, v in table.items()}
    pinned = {(t.label, *key): t.protection.reasons.get(key) for t in fixed for key in t.exact}
    eqs = [
        Equation((label, *eq.total), tuple((label, *p) for p in eq.parts))
        for label, values in exact.items()
        for eq in equations(values, rooms)
    ]
    eqs += _time_equations(links, counts_by)
    parents = {eq.total for eq in eqs}

    def cost(key: tuple[object, ...]) -> tuple[float, ...]:
        unit = key[1]
        return (float(LEVEL[unit[0]]), 1.0 if key in parents else 0.0, float(counts[key]))  # type: ignore[index]

    rates = [
        Rate((label, u, RATE_CODE), (label, u, "emergencies.total"), (label, u, "consumptions.total"))
        for label, values in exact.items()
        for u in {key[0] for key in values}
    ]
    found = protect(
        counts,
        eqs,
        threshold,
        rates=rates,
        exempt={key for key in counts if key[2] in EXEMPT_CODES},
        fixed=pinned,
        cost=cost,
    )
    out = []
    for data in new:
        reasons = {key[1:]: r for key, r in found.reasons.items() if key[0] == data.label}
        out.append(_published(data, rooms, exact[data.label], Protection(threshold, reasons)))
    return out


def protect_period(
    data: PeriodValues, rooms: Sequence[RoomInfo], threshold: int, parts: Sequence[PublishedPeriod] = ()
) -> PublishedPeriod:
    """Protect one period's table; with ``parts``, as the sum of those published tables."""
    links = [(data.label, [p.label for p in parts])] if parts else []
    return protect_tables([data], rooms, threshold, parts, links)[0]


def _published(
    data: PeriodValues,
    rooms: Sequence[RoomInfo],
    exact: Mapping[tuple[Unit, str], Number | None],
    protection: Protection,
) -> PublishedPeriod:
    rooms_by_id = {room.id: room for room in rooms}
    provisional_municipalities = {rooms_by_id[r].municipality_code for r in data.provisional_rooms if r in rooms_by_id}
    cells: dict[tuple[Unit, str], Cell] = {}
    for key, value in exact.items():
        (kind, ident), code = key
        room = rooms_by_id.get(ident) if kind == "room" else None  # type: ignore[arg-type]
        if kind == "room":
            municipality, provisional = room.municipality_code, ident in data.provisional_rooms  # type: ignore[union-attr]
        elif kind == "municipality":
            municipality, provisional = str(ident), ident in provisional_municipalities
        else:
            municipality, provisional = None, bool(data.provisional_rooms)
        hidden = protection.reasons.get(key)
        cells[key] = Cell(
            municipality_code=municipality,
            room_id=room.id if room else None,
            room=room.name if room else None,
            period=data.label,
            indicator=code,
            value=None if hidden else value,
            suppressed=hidden is not None,
            reason=str(hidden) if hidden else None,
            provisional=provisional,
        )
    return PublishedPeriod(data.label, cells, protection, _counts(exact))


def change_pct(now: Cell, before: Cell) -> Decimal | None:
    """Change on the same period last year in %, only from published values (one decimal)."""
    if now.value is None or before.value is None or before.value == 0:
        return None
    change = (Decimal(now.value) - Decimal(before.value)) * 100 / Decimal(before.value)
    return change.quantize(Decimal("0.1"))


def is_rate(code: str) -> bool:
    """Whether the indicator is a rate (shown with decimals)."""
    return any(i.code == code and i.kind == Kind.RATE for i in INDICATORS)


def visible_cells(
    table: PublishedPeriod,
    rooms: Sequence[RoomInfo],
    codes: Sequence[str],
    *,
    municipality: str | None,
    national: bool,
    room_id: int | None = None,
) -> list[Cell]:
    """The cells a reader may see: their municipality's rooms and total (all, and the national
    total, for a national reader), optionally one room only, in a stable order."""
    out: list[Cell] = []
    mine = [r for r in rooms if national or r.municipality_code == municipality]
    for code_of_municipality in dict.fromkeys(r.municipality_code for r in mine):
        members = [r for r in mine if r.municipality_code == code_of_municipality]
        for room in members:
            if room_id is None or room.id == room_id:
                out.extend(table.cell(("room", room.id), code) for code in codes)
        if room_id is None:
            out.extend(table.cell(("municipality", code_of_municipality), code) for code in codes)
    if national and room_id is None:
        out.extend(table.cell(NATIONAL, code) for code in codes)
    return out
