"""Partial range figures (since opening) from complete published blocks only, with their coverage. Pure.

Unknown is not zero: a since-opening figure is the sum of the known blocks from the end of
the range back to the first block that is unknown, not published or before the unit opened;
it states the first month it covers ("since 2021-01"). A sub-indicator never starts before
its parent (nor a smaller indicator before the larger one of :data:`BOUNDS`), and a rate
covers the months both its numerator and its denominator cover, so no sub-indicator
exceeds its parent and no rate mixes coverages.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from decimal import Decimal

from roomlog.reporting.indicators import BOUNDS, BY_CODE, Kind
from roomlog.reporting.publication.store import OPEN_MARK, Stored
from roomlog.reporting.publication.units import Unit, window_of
from roomlog.reporting.summary import rate
from roomlog.reporting.windows import month_label

RATE_CODE = "emergencies.per_1000_consumptions"
RATE_PARTS = ("emergencies.total", "consumptions.total")
#: ``(value, suppressed, status, first month covered)``.
Figure = tuple[int | Decimal | None, bool, str, str | None]


def _larger() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for indicator in BY_CODE.values():
        if indicator.parent:
            out.setdefault(indicator.code, []).append(indicator.parent)
    for small, big in BOUNDS:
        out.setdefault(small, []).append(big)
    return {code: tuple(dict.fromkeys(bigs)) for code, bigs in out.items()}


#: The indicators each indicator can never exceed (its parent and :data:`BOUNDS`).
LARGER = _larger()


def closure(codes: Collection[str]) -> list[str]:
    """``codes`` with every indicator their coverage depends on (parents, bounds, a rate's parts)."""
    out, todo = list(dict.fromkeys(codes)), list(codes)
    while todo:
        code = todo.pop()
        for other in (*LARGER.get(code, ()), *(RATE_PARTS if code == RATE_CODE else ())):
            if other not in out:
                out.append(other)
                todo.append(other)
    return out


def first_month_of_label(label: str) -> str:
    """The first month of a calendar label (``2021`` → ``2021-01``)."""
    return month_label(window_of(label).period.first)


def walk(unit: Unit, code: str, parts: Sequence[Stored | None], floor: int = 0) -> tuple[int, bool, int | None]:
    """``(sum, hidden, first block index)`` of the known blocks from the last back, not before ``floor``."""
    total, hidden, start = 0, False, None
    for index in range(len(parts) - 1, floor - 1, -1):
        part = parts[index]
        if part is None or (unit, OPEN_MARK) not in part.cells:
            break
        cell = part.cells.get((unit, code))
        if cell is not None and cell.hidden:
            hidden = True
        elif cell is not None and (cell.status == "unknown" or cell.value is None):
            break
        else:
            total += 0 if cell is None else int(cell.value or 0)
        start = index
    return total, hidden, start


def partial_cells(
    unit: Unit, codes: Sequence[str], parts: Sequence[Stored | None], labels: Sequence[str]
) -> dict[str, Figure]:
    """Every code's partial figure for one unit over the blocks ``parts`` (named ``labels``)."""
    starts: dict[str, int | None] = {}
    sums: dict[str, tuple[int, bool, int | None]] = {}

    def figure(code: str) -> tuple[int, bool, int | None]:
        if code in sums:
            return sums[code]
        floor = 0
        for big in LARGER.get(code, ()):
            big_start = figure(big)[2]
            if big_start is not None:
                floor = max(floor, big_start)
        sums[code] = walk(unit, code, parts, floor)
        starts[code] = sums[code][2]
        return sums[code]

    ever_open = any(p is not None and (unit, OPEN_MARK) in p.cells for p in parts)
    out: dict[str, Figure] = {}
    for code in codes:
        if not ever_open:
            out[code] = (None, False, "not_applicable" if all(p is not None for p in parts) else "not_published", None)
            continue
        if code == RATE_CODE:
            out[code] = _rate(unit, parts, labels, figure)
            continue
        total, hidden, start = figure(code)
        if start is None:
            out[code] = (None, False, "unknown", None)
        elif BY_CODE[code].kind == Kind.DISTINCT and start < len(parts) - 1:
            out[code] = (None, False, "not_available", None)
        elif BY_CODE[code].kind == Kind.DISTINCT:
            cell = parts[start].cells.get((unit, code))  # type: ignore[union-attr]  # figure() found a part at start
            value = None if hidden else (0 if cell is None else int(cell.value or 0))
            out[code] = (value, hidden, "approved", first_month_of_label(labels[start]))
        else:
            out[code] = (None if hidden else total, hidden, "approved", first_month_of_label(labels[start]))
    return out


def _rate(
    unit: Unit,
    parts: Sequence[Stored | None],
    labels: Sequence[str],
    figure: Callable[[str], tuple[int, bool, int | None]],
) -> Figure:
    """The rate over the months its numerator and denominator both cover."""
    starts = [f[2] for f in (figure(c) for c in RATE_PARTS) if f[2] is not None]
    if len(starts) < len(RATE_PARTS):
        return None, False, "unknown", None
    floor = max(starts)
    (num, num_hidden, _), (den, den_hidden, _) = (walk(unit, c, parts, floor) for c in RATE_PARTS)
    first = first_month_of_label(labels[floor])
    if num_hidden or den_hidden:
        return None, True, "approved", first
    value = rate(num, den)
    return value, False, ("approved" if value is not None else "not_applicable"), (first if value is not None else None)


def span(label: str) -> tuple[str, str]:
    """The first and last month of a calendar label or a range ``2021-01..2026-01``."""
    first, _, last = label.partition("..")
    return first_month_of_label(first), month_label(window_of(last or first).period.last)
