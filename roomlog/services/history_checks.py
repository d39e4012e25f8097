"""Plausibility of imported history: a part never above its whole, a year's visitors never
fewer than a month's, values bounded. Pure functions over the parsed lines.

Values already imported count too (a file may give a month's parts and an earlier file its
total); the error is always reported on a line of the file.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from roomlog.reporting.indicators import BOUNDS, EXCLUSIVE_BREAKDOWNS, INDICATORS, Indicator, Kind

#: At most this many per day in one room (H17, the busiest Danish room, has ~700 visits a day).
MAX_EVENTS_PER_DAY = 2_000
#: At most this many items (syringes, kits …) handed out per day in one room.
MAX_ITEMS_PER_DAY = 20_000
#: At most this many distinct visitors of one room in a month or a year.
MAX_PERSONS = 20_000

#: (room id, first day of the month or year, whole year?) → the values of that period.
Group = tuple[int, dt.date, bool]
#: (room id, first day, whole year?, indicator code) → a value already imported.
StoredKey = tuple[int, dt.date, bool, str]


@dataclass(frozen=True)
class Given:
    """A value of a period: its number and the file line it came from (``None``: already imported)."""

    value: int
    line: int | None

    def where(self) -> str:
        return f"line {self.line}" if self.line is not None else "already imported"


def plausible_max(indicator: Indicator, first: dt.date, yearly: bool) -> int:
    """Return the largest value one room can plausibly have for ``indicator`` in the period."""
    days = 366 if yearly else calendar.monthrange(first.year, first.month)[1]
    if indicator.code == "opening.days":
        return days
    if indicator.kind == Kind.DISTINCT:
        return MAX_PERSONS
    if indicator.kind == Kind.SUM:
        return days * MAX_ITEMS_PER_DAY
    return days * MAX_EVENTS_PER_DAY


def _label(first: dt.date, yearly: bool) -> str:
    return f"{first.year:04d}" if yearly else f"{first.year:04d}-{first.month:02d}"


def _pairs() -> list[tuple[str, str]]:
    return [(i.code, i.parent) for i in INDICATORS if i.parent] + list(BOUNDS)


def _families() -> dict[str, tuple[str, list[str]]]:
    out: dict[str, tuple[str, list[str]]] = {}
    for prefix in EXCLUSIVE_BREAKDOWNS:
        parts = [i for i in INDICATORS if i.code.startswith(prefix + ".")]
        if parts and parts[0].parent:
            out[prefix] = (parts[0].parent, [i.code for i in parts])
    return out


def _file_line(*given: Given | None) -> int | None:
    """Return the first file line among the values (``None`` if all were imported before)."""
    return next((g.line for g in given if g is not None and g.line is not None), None)


def _group_errors(values: Mapping[str, Given], period: str, room: str) -> list[tuple[int, str]]:
    errors: list[tuple[int, str]] = []
    for small, large in _pairs():
        a, b = values.get(small), values.get(large)
        line = _file_line(a, b)
        if a is None or b is None or a.value <= b.value or line is None:
            continue
        other = b if a.line is not None else a
        message = f"{small} = {a.value} is larger than {large} = {b.value} ({other.where()}) for {room} {period}"
        errors.append((line, message + "; it can never be"))
    for prefix, (parent, codes) in _families().items():
        whole, parts = values.get(parent), [values[c] for c in codes if c in values]
        total = sum(p.value for p in parts)
        line = _file_line(*sorted(parts, key=lambda p: p.line or 0), whole)
        if whole is None or total <= whole.value or line is None:
            continue
        where = ", ".join(str(p.line) for p in sorted(parts, key=lambda p: p.line or 0) if p.line is not None)
        errors.append(
            (
                line,
                f"the parts {prefix}.* add up to {total} (lines {where or 'already imported'}), "
                f"more than {parent} = {whole.value} ({whole.where()}) for {room} {period}",
            )
        )
    return errors


def _year_errors(groups: Mapping[Group, Mapping[str, Given]], names: Mapping[int, str]) -> list[tuple[int, str]]:
    """A year's distinct visitors are at least those of any of its months."""
    errors = []
    for (room_id, first, yearly), values in groups.items():
        year_value = values.get("visitors.unique")
        if not yearly or year_value is None:
            continue
        for (other_room, month, other_yearly), months in groups.items():
            month_value = months.get("visitors.unique")
            if other_room != room_id or other_yearly or month.year != first.year or month_value is None:
                continue
            line = _file_line(year_value, month_value)
            if month_value.value > year_value.value and line is not None:
                errors.append(
                    (
                        line,
                        f"visitors.unique for {names.get(room_id, room_id)} {first.year} is {year_value.value}, "
                        f"fewer than {month_value.value} in {_label(month, False)} ({month_value.where()}); "
                        "a year has at least the visitors of each of its months",
                    )
                )
    return errors


def relation_errors(
    lines: Iterable[tuple[int, int, dt.date, bool, str, int]],
    stored: Mapping[StoredKey, int],
    names: Mapping[int, str],
) -> list[tuple[int, str]]:
    """Check parts against wholes over the file's ``(line, room, first day, yearly, code, value)``
    and the values already imported for the same periods (the file's value wins)."""
    groups: dict[Group, dict[str, Given]] = defaultdict(dict)
    for (room_id, first, yearly, code), value in stored.items():
        groups[(room_id, first, yearly)][code] = Given(value, None)
    for line, room_id, first, yearly, code, value in lines:
        groups[(room_id, first, yearly)][code] = Given(value, line)
    errors: list[tuple[int, str]] = []
    for (room_id, first, yearly), values in groups.items():
        if any(g.line is not None for g in values.values()):
            errors += _group_errors(values, _label(first, yearly), names.get(room_id, str(room_id)))
    errors += _year_errors(groups, names)
    return errors
