"""The read side: stored cells of calendar periods, and figures derived only from visible stored cells.

Pure apart from :func:`table`, which reads the store. A range that is not a published
calendar period (since opening, year to date, an API total) is the sum of the largest
published calendar blocks covering it (years, then quarters, then months): ``..`` when a
block is hidden, unknown when a block is unknown or not yet published. Distinct counts
over such a range are not derivable and are shown as not available.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from roomlog.reporting.indicators import BY_CODE, CODES, Kind
from roomlog.reporting.periods import Period
from roomlog.reporting.publication import store
from roomlog.reporting.publication.units import NATIONAL, RoomInfo, Unit, municipalities, window_of
from roomlog.reporting.summary import rate
from roomlog.reporting.windows import Window, month_label, quarter_label, total_label
from roomlog.services.service_days import add_months

RATE_CODE = "emergencies.per_1000_consumptions"
Number = int | Decimal


@dataclass(frozen=True)
class Cell:
    """One figure as it may leave the room: ``value`` is ``None`` when hidden or not known."""

    municipality_code: str | None
    room_id: int | None
    room: str | None
    period: str
    indicator: str
    value: Number | None
    suppressed: bool
    #: ``approved`` (published), ``unknown``, ``not_published``, ``not_available`` or ``not_applicable``.
    status: str
    revised: bool = False

    #: Kept for the templates: nothing outside the room is provisional any more.
    provisional: bool = False


@dataclass(frozen=True)
class Table:
    """Every unit × indicator of one period as published (or derived from published blocks)."""

    label: str
    window: Window
    cells: Mapping[tuple[Unit, str], Cell]
    threshold: int
    published: bool
    revised: bool = False
    blocks: tuple[str, ...] = field(default=())

    def cell(self, unit: Unit, code: str) -> Cell:
        return self.cells[(unit, code)]


def all_units(rooms: Sequence[RoomInfo]) -> list[tuple[Unit, list[RoomInfo], str | None, RoomInfo | None]]:
    """``(unit, rooms, municipality code, room)`` for every room, municipality and the nation."""
    out: list[tuple[Unit, list[RoomInfo], str | None, RoomInfo | None]] = []
    for code, members in municipalities(rooms).items():
        out += [(r.unit, [r], code, r) for r in members]
        out.append((("municipality", code), members, code, None))
    out.append((NATIONAL, list(rooms), None, None))
    return out


def blocks(period: Period, published: set[str]) -> list[str]:
    """The largest published calendar blocks covering ``period`` (months when nothing larger is published)."""
    out, month = [], period.first
    while month <= period.last:
        if month.month == 1 and add_months(month, 11) <= period.last and str(month.year) in published:
            out.append(str(month.year))
            month = add_months(month, 12)
        elif (month.month - 1) % 3 == 0 and add_months(month, 2) <= period.last and quarter_label(month) in published:
            out.append(quarter_label(month))
            month = add_months(month, 3)
        else:
            out.append(month_label(month))
            month = add_months(month, 1)
    return out


def _candidates(period: Period) -> list[str]:
    labels, month = [], period.first
    while month <= period.last:
        labels += [month_label(month), quarter_label(month), str(month.year)]
        month = add_months(month, 1)
    return list(dict.fromkeys(labels))


def table(
    session: Session, window: Window, rooms: Sequence[RoomInfo], threshold: int, codes: Sequence[str] = CODES
) -> Table:
    """The published table of a calendar period, or one derived from published blocks for a range."""
    if ".." not in window.label:
        found = store.latest(session, [window.label], [*codes, store.OPEN_MARK])
        stored = found.get(window.label)
        return calendar_table(window, stored, rooms, threshold, codes)
    published = set(store.latest(session, _candidates(window.period), codes=()))
    parts = blocks(window.period, published)
    found = store.latest(session, parts, [*codes, store.OPEN_MARK])
    tables = [calendar_table(window_of(p), found.get(p), rooms, threshold, codes) for p in parts]
    return derived_table(window, tables, rooms, threshold, codes)


def calendar_table(
    window: Window, stored: store.Stored | None, rooms: Sequence[RoomInfo], threshold: int, codes: Sequence[str]
) -> Table:
    """Cells of one calendar period from its stored publication (``not_published`` without one)."""
    cells: dict[tuple[Unit, str], Cell] = {}
    for unit, _members, municipality, room in all_units(rooms):
        is_open = stored is None or (unit, store.OPEN_MARK) in stored.cells
        for code in codes:
            if stored is None or not is_open:
                status = "not_published" if is_open else "not_applicable"
                value, hidden = None, False
            else:
                found = stored.cells.get((unit, code))
                if found is None:
                    value, hidden, status = 0, False, "approved"
                else:
                    value = None if found.value is None else _number(code, found.value)
                    hidden = found.hidden
                    status = "unknown" if found.status == "unknown" and not hidden else "approved"
            cells[(unit, code)] = Cell(
                municipality, room.id if room else None, room.name if room else None, window.label, code, value,
                hidden, status, bool(stored and stored.revised),
            )  # fmt: skip
    return Table(
        window.label, window, cells, threshold, stored is not None, bool(stored and stored.revised), (window.label,)
    )


def _number(code: str, value: Decimal) -> Number:
    return value.quantize(Decimal("0.01")) if BY_CODE[code].kind == Kind.RATE else int(value)


def derived_table(
    window: Window, parts: Sequence[Table], rooms: Sequence[RoomInfo], threshold: int, codes: Sequence[str]
) -> Table:
    """A range from its calendar blocks: sums of visible cells only."""
    cells: dict[tuple[Unit, str], Cell] = {}
    for unit, _members, municipality, room in all_units(rooms):
        for code in codes:
            cells[(unit, code)] = _derive(unit, code, parts, window.label, municipality, room)
        if RATE_CODE in codes:
            cells[(unit, RATE_CODE)] = _derived_rate(unit, parts, window.label, municipality, room)
    return Table(
        window.label, window, cells, threshold, all(p.published for p in parts), any(p.revised for p in parts),
        tuple(p.label for p in parts),
    )  # fmt: skip


def _derive(
    unit: Unit, code: str, parts: Sequence[Table], label: str, municipality: str | None, room: RoomInfo | None
) -> Cell:
    found = [p.cell(unit, code) for p in parts]
    found = [c for c in found if c.status != "not_applicable"]
    value: Number | None = None
    suppressed = False
    if not found:
        status = "not_applicable"
    elif any(c.status in ("not_published", "unknown") for c in found):
        status = "unknown"
    elif any(c.suppressed for c in found):
        status, suppressed = "approved", True
    elif (BY_CODE[code].kind == Kind.DISTINCT and len(found) > 1) or BY_CODE[code].kind == Kind.RATE:
        status = "not_available" if len(found) > 1 else "approved"
        value = found[0].value if len(found) == 1 else None
    else:
        status, value = "approved", sum(int(c.value or 0) for c in found)
    return Cell(
        municipality, room.id if room else None, room.name if room else None, label, code, value, suppressed, status,
        any(c.revised for c in found),
    )  # fmt: skip


def _derived_rate(
    unit: Unit, parts: Sequence[Table], label: str, municipality: str | None, room: RoomInfo | None
) -> Cell:
    num = _derive(unit, "emergencies.total", parts, label, municipality, room)
    den = _derive(unit, "consumptions.total", parts, label, municipality, room)
    if num.status == "not_applicable":
        return num.__class__(**{**num.__dict__, "indicator": RATE_CODE})
    hidden = num.suppressed or den.suppressed
    known = num.value is not None and den.value is not None
    value = rate(num.value, den.value) if known and not hidden else None
    status = "approved" if known or hidden else num.status if num.value is None else den.status
    return Cell(
        municipality, room.id if room else None, room.name if room else None, label, RATE_CODE, value, hidden, status,
        num.revised or den.revised,
    )  # fmt: skip


def since_opening(session: Session, window: Window) -> Window:
    """From the first published month to the end of ``window``."""
    from sqlalchemy import func, select

    from roomlog.models import Publication

    label = session.scalar(select(func.min(Publication.period)).where(Publication.kind == "month"))
    first = (
        window.period.first if label is None else min(window.period.first, dt.date(int(label[:4]), int(label[5:7]), 1))
    )
    whole = Period(first, window.period.last)
    return Window(total_label(whole), whole)


def visible_cells(
    t: Table,
    rooms: Sequence[RoomInfo],
    codes: Sequence[str],
    *,
    municipality: str | None,
    national: bool,
    room_id: int | None = None,
) -> list[Cell]:
    """The cells a reader may see: their municipality's rooms and total (all, and the nation, for a
    national reader), optionally one room only, in a stable order."""
    out: list[Cell] = []
    mine = [r for r in rooms if national or r.municipality_code == municipality]
    for code_of_municipality, members in municipalities(mine).items():
        for room in members:
            if room_id is None or room.id == room_id:
                out.extend(t.cell(room.unit, code) for code in codes)
        if room_id is None:
            out.extend(t.cell(("municipality", code_of_municipality), code) for code in codes)
    if national and room_id is None:
        out.extend(t.cell(NATIONAL, code) for code in codes)
    return out


def latest_published_month(session: Session) -> dt.date | None:
    """The newest month with a publication."""
    from sqlalchemy import func, select

    from roomlog.models import Publication

    label = session.scalar(select(func.max(Publication.period)).where(Publication.kind == "month"))
    return None if label is None else dt.date(int(label[:4]), int(label[5:7]), 1)


def reader_rooms(session: Session) -> list[RoomInfo]:
    """Every room for the read side (rooms and municipalities only: no room-scoped table is read)."""
    from sqlalchemy import select

    from roomlog.models import Municipality, Room

    rows = session.execute(
        select(Room, Municipality.name).join(Municipality).order_by(Room.municipality_code, Room.name, Room.id)
    ).all()
    return [
        RoomInfo(r.id, r.name, r.municipality_code, name, r.opened_on.replace(day=1) if r.opened_on else None)
        for r, name in rows
    ]
