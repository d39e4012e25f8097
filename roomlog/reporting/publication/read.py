"""The read side: stored cells of calendar periods, and figures derived only from visible stored cells.

Pure apart from :func:`table`, which reads the store. A range that is not a published
calendar period (since opening, year to date, an API total) is the sum of the largest
published calendar blocks covering it (years, then quarters, then months): ``..`` when a
block is hidden, unless other visible calendar figures of its years give the sum exactly
(April..May = Q2 − June: :mod:`.intervals`); unknown when a block is unknown or not yet
published. Distinct counts over such a range are not derivable and are shown as not available.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roomlog.calendar import add_months, month_of_key
from roomlog.models import Municipality, Publication, Room
from roomlog.reporting.indicators import BY_CODE, CODES, Kind
from roomlog.reporting.periods import Period
from roomlog.reporting.publication import store
from roomlog.reporting.publication.coverage import closure
from roomlog.reporting.publication.intervals import range_sum
from roomlog.reporting.publication.units import NATIONAL, RoomInfo, Unit, kind_of_label, municipalities, window_of
from roomlog.reporting.summary import rate
from roomlog.reporting.windows import Window, month_label, quarter_label, total_label

RATE_CODE = "emergencies.per_1000_consumptions"
Number = int | Decimal
#: The states of a cell without a figure.
MISSING = ("unknown", "not_applicable", "not_published", "not_available")


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
    #: The first month (``2021-01``) a partial range figure covers, to its range's end: stated
    #: beside it ("since 2021-01"). ``None`` for calendar periods and complete ranges.
    coverage: str | None = None

    @property
    def state(self) -> str:
        """``value``, ``zero``, ``hidden``, ``unknown``, ``not_applicable``, ``not_published`` or ``not_available``.

        The one distinction every output renders: a known zero is a figure; unknown, not
        applicable (before opening, a rate without a denominator) and the rest are not.
        """
        if self.suppressed:
            return "hidden"
        if self.value is None:
            return self.status if self.status in MISSING else "unknown"
        return "zero" if self.value == 0 else "value"

    @property
    def known(self) -> bool:
        """A visible figure (a known zero included)."""
        return self.value is not None and not self.suppressed

    @property
    def missing(self) -> str | None:
        """Why no figure is shown, when neither a value nor ``..`` is: the :attr:`state`."""
        return None if self.known or self.suppressed else self.state


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

    #: A range the reader chose as a partial figure (since opening): each cell covers the known
    #: months from its :attr:`Cell.coverage` to the end; ``False``: a cell is known only when all is.
    partial: bool = False

    def cell(self, unit: Unit, code: str) -> Cell:
        return self.cells[(unit, code)]

    def coverage(self, unit: Unit, code: str) -> Coverage | None:
        """What one figure of the table covers (``None``: no figure)."""
        c = self.cells[(unit, code)]
        if c.value is None and not c.suppressed:
            return None
        first = c.coverage or month_label(self.window.period.first)
        return Coverage(first, month_label(self.window.period.last), first == month_label(self.window.period.first))


@dataclass(frozen=True)
class Coverage:
    """The months a figure covers: ``first``..``last`` (``complete``: the whole range chosen)."""

    first: str
    last: str
    complete: bool


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
    session: Session,
    window: Window,
    rooms: Sequence[RoomInfo],
    threshold: int,
    codes: Sequence[str] = CODES,
    cache: store.CellCache | None = None,
    *,
    partial: bool = False,
) -> Table:
    """The published table of a calendar period, or one derived from published blocks for a range.

    ``cache`` (the app's) keeps the cells of publications already read. ``partial`` (since
    opening): each figure covers its known months up to the end, with that coverage stated.
    """
    if ".." not in window.label:
        found = store.latest(session, [window.label], [*codes, store.OPEN_MARK], cache)
        return _calendar(window, found.get(window.label), rooms, threshold, codes, cache)
    published = set(store.latest(session, _candidates(window.period), codes=()))
    parts = blocks(window.period, published)
    # A partial figure's coverage follows its parent's and a rate's its numerator's and denominator's.
    wanted = closure(codes) if partial else codes
    found = store.latest(session, parts, [*wanted, store.OPEN_MARK], cache)
    stored = [found.get(p) for p in parts]
    # The calendar figures of every year in which a month or quarter block of the range is hidden: they may give
    # the range anyway (a hidden year block is given by nothing else: a year its parts pin is shown when published).
    around = _year_labels(stored)
    found_around = store.latest(session, around, [*codes, store.OPEN_MARK], cache)
    others = [found_around[label] for label in around if label in found_around]

    def build() -> Table:
        return derived_table(window, stored, rooms, threshold, codes, labels=parts, partial=partial, others=others)

    if cache is None:
        return build()
    key = ("derived", window, tuple(parts), tuple(rooms), threshold, tuple(codes), partial, len(stored))
    return cache.built([*stored, *others], key, build)


def _year_labels(parts: Sequence[store.Stored | None]) -> list[str]:
    """Every calendar label (months, quarters, year) of the years in which a month or quarter of ``parts`` hides a
    cell."""
    years = sorted(
        {
            window_of(p.label).period.first.year
            for p in parts
            if p is not None and kind_of_label(p.label) != "year" and p.hides
        }
    )
    return [
        label
        for year in years
        for label in (
            *(f"{year}-{month:02d}" for month in range(1, 13)),
            *(f"{year}-Q{quarter}" for quarter in range(1, 5)),
            str(year),
        )
    ]


def tables(
    session: Session,
    windows: Sequence[Window],
    rooms: Sequence[RoomInfo],
    threshold: int,
    codes: Sequence[str] = CODES,
    cache: store.CellCache | None = None,
) -> list[Table]:
    """Several periods at once: the calendar ones read in one query, ranges one by one."""
    labels = [w.label for w in windows if ".." not in w.label]
    found = store.latest(session, labels, [*codes, store.OPEN_MARK], cache) if labels else {}
    return [
        _calendar(w, found.get(w.label), rooms, threshold, codes, cache)
        if ".." not in w.label
        else table(session, w, rooms, threshold, codes, cache)
        for w in windows
    ]


def _calendar(
    window: Window,
    stored: store.Stored | None,
    rooms: Sequence[RoomInfo],
    threshold: int,
    codes: Sequence[str],
    cache: store.CellCache | None,
) -> Table:
    """:func:`calendar_table`, built once per stored version, rooms, threshold and codes when a cache is given."""
    if cache is None or stored is None:
        return calendar_table(window, stored, rooms, threshold, codes)
    key = ("calendar", window, tuple(rooms), threshold, tuple(codes))
    return cache.built([stored], key, lambda: calendar_table(window, stored, rooms, threshold, codes))


def calendar_table(
    window: Window, stored: store.Stored | None, rooms: Sequence[RoomInfo], threshold: int, codes: Sequence[str]
) -> Table:
    """Cells of one calendar period from its stored publication (``not_published`` without one)."""
    cells: dict[tuple[Unit, str], Cell] = {}
    for unit, _members, municipality, room in all_units(rooms):
        is_open = stored is None or (unit, store.OPEN_MARK) in stored.cells
        for code in codes:
            value: Number | None
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
                    if value is None and not hidden and status == "approved":
                        status = "not_applicable"  # a rate without a denominator
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
    window: Window,
    parts: Sequence[store.Stored | None],
    rooms: Sequence[RoomInfo],
    threshold: int,
    codes: Sequence[str],
    *,
    labels: Sequence[str] | None = None,
    partial: bool = False,
    others: Sequence[store.Stored] = (),
) -> Table:
    """A range from its calendar blocks (``None``: not published): sums of visible cells only.

    ``partial`` needs the blocks' ``labels``: see :func:`roomlog.reporting.publication.coverage.partial_cells`.
    ``others``: more published calendar periods; a sum that a hidden block leaves ``..`` is shown when visible
    figures of these and of the blocks give it exactly (:mod:`.intervals`: April..May = Q2 - June).
    """
    cells: dict[tuple[Unit, str], Cell] = {}
    revised = any(p is not None and p.revised for p in parts)
    if partial:
        from roomlog.reporting.publication.coverage import partial_cells

        for unit, _members, municipality, room in all_units(rooms):
            where = (municipality, room.id if room else None, room.name if room else None, window.label)
            for code, (value, hidden, status, first) in partial_cells(unit, codes, parts, labels or []).items():
                period = window.label if first is None else f"{first}..{month_label(window.period.last)}"
                if hidden and first is not None and BY_CODE[code].kind in (Kind.COUNT, Kind.SUM):
                    # The figure's own months, as the same range asked for directly gives them (one value everywhere).
                    covered = Window(period, Period(month_of_key(first), window.period.last))
                    found = _through_others(code, unit, covered, [p for p in parts if p is not None], others)
                    if found is not None:
                        value, hidden = found[0], False
                cells[(unit, code)] = Cell(
                    *where[:3], period, code, value, hidden, status, revised, coverage=first
                )  # fmt: skip
        return Table(
            window.label, window, cells, threshold, all(p is not None for p in parts), revised,
            tuple(p.label for p in parts if p is not None), partial=True,
        )  # fmt: skip
    for unit, _members, municipality, room in all_units(rooms):
        where = (municipality, room.id if room else None, room.name if room else None, window.label)
        open_parts = [p for p in parts if p is None or (unit, store.OPEN_MARK) in p.cells]
        for code in codes:
            derived = _derive(code, unit, open_parts)
            if derived[1] and BY_CODE[code].kind in (Kind.COUNT, Kind.SUM):
                derived = _through_others(code, unit, window, [p for p in parts if p is not None], others) or derived
            cells[(unit, code)] = Cell(*where, code, *derived, revised)
        if RATE_CODE in codes:
            num, den = (
                cells.get((unit, c)) or Cell(*where, c, *_derive(c, unit, open_parts), revised)
                for c in ("emergencies.total", "consumptions.total")
            )
            cells[(unit, RATE_CODE)] = _derived_rate(num, den)
    return Table(
        window.label, window, cells, threshold, all(p is not None for p in parts), revised,
        tuple(p.label for p in parts if p is not None),
    )  # fmt: skip


def _derive(code: str, unit: Unit, parts: Sequence[store.Stored | None]) -> tuple[Number | None, bool, str]:
    """``(value, suppressed, status)`` of a range from its open calendar blocks."""
    if not parts:
        return None, False, "not_applicable"
    known = [p for p in parts if p is not None]
    if len(known) < len(parts):
        return None, False, "unknown"
    found = [p.cells.get((unit, code)) for p in known]
    if any(c is not None and c.status == "unknown" and not c.hidden for c in found):
        return None, False, "unknown"
    if any(c is not None and c.hidden for c in found):
        return None, True, "approved"
    kind = BY_CODE[code].kind
    if kind in (Kind.DISTINCT, Kind.RATE):
        if len(found) > 1:
            return None, False, "not_available"
        one = found[0]
        if one is None:
            return 0, False, "approved"
        if one.value is None:  # a rate of nothing: not applicable, as on the calendar table
            return None, False, "not_applicable"
        return _number(code, one.value), False, "approved"
    return sum(0 if c is None else int(c.value or 0) for c in found), False, "approved"


def _through_others(
    code: str, unit: Unit, window: Window, parts: Sequence[store.Stored], others: Sequence[store.Stored]
) -> tuple[Number, bool, str] | None:
    """The sum of a range with a hidden block, when visible figures of ``parts`` and ``others`` give it exactly."""
    figures = []
    for stored in {s.label: s for s in (*parts, *others)}.values():
        if (unit, store.OPEN_MARK) in stored.cells:
            cell = stored.cells.get((unit, code))
            if cell is not None and (cell.hidden or cell.status == "unknown" or cell.value is None):
                continue
            value = 0 if cell is None else int(cell.value or 0)
        else:
            value = 0  # before the unit opened: nothing, as the blocks' sum counts it
        period = window_of(stored.label).period
        figures.append((period.first, period.last, value))
    found = range_sum(figures, window.period.first, window.period.last)
    return None if found is None else (found, False, "approved")


def _derived_rate(num: Cell, den: Cell) -> Cell:
    """The rate of a range from its visible derived totals."""
    if num.status == "not_applicable":
        return Cell(**{**num.__dict__, "indicator": RATE_CODE})
    hidden = num.suppressed or den.suppressed
    known = num.value is not None and den.value is not None
    value = rate(num.value, den.value) if known and not hidden else None
    status = "approved" if known or hidden else (num.status if num.value is None else den.status)
    if known and not hidden and value is None:
        status = "not_applicable"  # no consumptions: no rate
    return Cell(**{**num.__dict__, "indicator": RATE_CODE, "value": value, "suppressed": hidden, "status": status})


def since_opening(session: Session, window: Window) -> Window:
    """From the first published month to the end of ``window``."""
    published = published_months(session)
    first = window.period.first if published is None else min(window.period.first, published[0])
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


def published_months(session: Session) -> tuple[dt.date, dt.date] | None:
    """The first and the newest month with a publication (``None``: nothing is published yet)."""
    first, last = session.execute(
        select(func.min(Publication.period), func.max(Publication.period)).where(Publication.kind == "month")
    ).one()
    return None if first is None or last is None else (month_of_key(first), month_of_key(last))


def latest_published_month(session: Session) -> dt.date | None:
    """The newest month with a publication."""
    published = published_months(session)
    return None if published is None else published[1]


def reader_rooms(session: Session) -> list[RoomInfo]:
    """Every room for the read side (rooms and municipalities only: no room-scoped table is read)."""
    rows = session.execute(
        select(Room, Municipality.name).join(Municipality).order_by(Room.municipality_code, Room.name, Room.id)
    ).all()
    return [
        RoomInfo(r.id, r.name, r.municipality_code, name, r.opened_on.replace(day=1) if r.opened_on else None)
        for r, name in rows
    ]
