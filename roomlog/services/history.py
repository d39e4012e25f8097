"""Import totals from before a room used roomlog (``room,month,indicator,value`` CSV).

Every line is validated first; if any line is wrong nothing is applied and every error is
reported with its line number. A line is refused when its month lies before the room opened
or in the future, when its value is not plausible for one room, or when a part would exceed
its whole (``history_checks``). ``month`` may be a year (``YYYY``) for the distinct-visitor
indicators (``visitors.*``), whose yearly figure months cannot give. Re-importing a key
replaces its value. The engine treats history months (months without events) as approved.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.calendar import FIRST_YEAR, LAST_YEAR, format_month, month_start, parse_month, today_local
from roomlog.models import MonthlyHistory, Room, YearlyHistory
from roomlog.models.base import utcnow
from roomlog.reporting.indicators import BY_CODE, Kind
from roomlog.services import DomainError, audit
from roomlog.services.history_checks import Group, StoredKey, plausible_max, relation_errors

HEADER = ("room", "month", "indicator", "value")
MAX_DIGITS = 13


@dataclass(frozen=True)
class HistoryLine:
    """One valid line of the file (``yearly``: ``month`` is 1 January of a whole year)."""

    line: int
    room_id: int
    month: dt.date
    indicator: str
    value: int
    yearly: bool = False


class HistoryImportError(DomainError):
    """The file has errors; ``errors`` holds ``(line number, message)`` pairs."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(f"line {n}: {message}" for n, message in self.errors)


@dataclass(frozen=True)
class ImportResult:
    added: int
    replaced: int
    months: int
    years: int = 0


def _room(value: str, by_id: dict[int, Room], by_name: dict[str, Room]) -> Room | None:
    text = value.strip()
    if text.isdigit():
        return by_id.get(int(text))
    return by_name.get(text.casefold())


def _period(text: str, errors: list[str]) -> tuple[dt.date | None, bool]:
    """Parse ``YYYY-MM`` (a month) or ``YYYY`` (a whole year)."""
    if len(text) == 4 and text.isdigit():
        if FIRST_YEAR <= int(text) <= LAST_YEAR:
            return dt.date(int(text), 1, 1), True
    else:
        try:
            return parse_month(text), False
        except ValueError:
            pass
    errors.append(f"month {text!r} is not YYYY-MM (or YYYY for a yearly visitors.* figure)")
    return None, False


def _check_period(room: Room | None, first: dt.date, yearly: bool, text: str, code: str, current: dt.date) -> list[str]:
    errors = []
    indicator = BY_CODE.get(code)
    if yearly and indicator is not None and indicator.kind != Kind.DISTINCT:
        errors.append(f"{code} is given per month; only visitors.* indicators take a whole year ({text})")
    if (yearly and first.year >= current.year) or (not yearly and first > current):
        errors.append(f"{'year' if yearly else 'month'} {text} is not over yet" if first <= current
                      else f"{'year' if yearly else 'month'} {text} is in the future")  # fmt: skip
    opened = room.opened_on if room is not None else None
    if (
        room is not None
        and opened is not None
        and (first.year < opened.year if yearly else first < month_start(opened))
    ):
        errors.append(f"{text} is before {room.name} opened ({format_month(opened)})")
    return errors


def _check_line(
    row: list[str], by_id: dict[int, Room], by_name: dict[str, Room], current: dt.date
) -> tuple[list[str], HistoryLine | None]:
    """Validate the four fields of one line; return the errors and, if none, the parsed line."""
    if len(row) != len(HEADER):
        return [f"expected 4 fields (room,month,indicator,value), found {len(row)}"], None
    room_text, month_text, code, value_text = (cell.strip() for cell in row)
    errors: list[str] = []
    room = _room(room_text, by_id, by_name)
    if room is None:
        errors.append(f"unknown room {room_text!r} (give its name or id)")
    first, yearly = _period(month_text, errors)
    if first is not None:
        errors += _check_period(room, first, yearly, month_text, code, current)
    indicator = BY_CODE.get(code)
    if indicator is None:
        errors.append(f"unknown indicator code {code!r} (see /reports/definitions)")
    elif indicator.kind == Kind.RATE:
        errors.append(f"{code} is computed from other indicators and cannot be imported")
    if not value_text.isdigit() or len(value_text) > MAX_DIGITS:
        errors.append(f"value {value_text!r} is not a whole number from 0 up")
    elif indicator is not None and first is not None:
        limit = plausible_max(indicator, first, yearly)
        if int(value_text) > limit:
            errors.append(
                f"value {value_text} for {code} is not plausible for one room in {month_text} (at most {limit})"
            )
    if errors or room is None or first is None:
        return errors, None
    return [], HistoryLine(0, room.id, first, code, int(value_text), yearly)


def parse(
    lines: Iterable[str],
    rooms: Iterable[Room],
    *,
    current: dt.date | None = None,
    stored: Mapping[StoredKey, int] | Callable[[set[Group]], Mapping[StoredKey, int]] | None = None,
) -> list[HistoryLine]:
    """Validate a whole file; raise ``HistoryImportError`` listing every bad line.

    ``stored`` holds the values already imported (or loads them for the file's periods), so
    parts and wholes are checked across files.
    """
    room_list = list(rooms)
    by_id = {r.id: r for r in room_list}
    by_name = {r.name.casefold(): r for r in room_list}
    current = month_start(current or today_local())
    reader = csv.reader(lines)
    errors: list[tuple[int, str]] = []
    header = next(reader, None)
    if header is None or tuple(c.strip().lstrip("\ufeff").lower() for c in header) != HEADER:
        raise HistoryImportError([(1, "the first line must be: room,month,indicator,value")])
    parsed: list[HistoryLine] = []
    first_seen: dict[tuple[int, dt.date, bool, str], int] = {}
    for row in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        problems, valid = _check_line(row, by_id, by_name, current)
        errors.extend((number, p) for p in problems)
        if valid is None:
            continue
        key = (valid.room_id, valid.month, valid.yearly, valid.indicator)
        if key in first_seen:
            errors.append((number, f"the same room, month and indicator as line {first_seen[key]}"))
            continue
        first_seen[key] = number
        parsed.append(HistoryLine(number, valid.room_id, valid.month, valid.indicator, valid.value, valid.yearly))
    flat = [(p.line, p.room_id, p.month, p.yearly, p.indicator, p.value) for p in parsed]
    before = stored({(p.room_id, p.month, p.yearly) for p in parsed}) if callable(stored) else stored
    errors += relation_errors(flat, before or {}, {r.id: r.name for r in room_list})
    if not errors and not parsed:
        errors.append((1, "the file has no data lines"))
    if errors:
        raise HistoryImportError(sorted(errors, key=lambda e: e[0]))
    return parsed


def stored_values(session: Session, groups: set[Group]) -> dict[StoredKey, int]:
    """Return the values already imported for the rooms and years of ``groups`` (months and years)."""
    rooms, years = {g[0] for g in groups}, {g[1].year for g in groups}
    if not groups:
        return {}
    out: dict[StoredKey, int] = {}
    monthly = select(MonthlyHistory).where(
        MonthlyHistory.room_id.in_(rooms),
        MonthlyHistory.month.between(dt.date(min(years), 1, 1), dt.date(max(years), 12, 1)),
    )
    for m in session.scalars(monthly):
        if m.month.year in years:
            out[(m.room_id, m.month, False, m.indicator)] = m.value
    yearly = select(YearlyHistory).where(YearlyHistory.room_id.in_(rooms), YearlyHistory.year.in_(years))
    for y in session.scalars(yearly):
        out[(y.room_id, dt.date(y.year, 1, 1), True, y.indicator)] = y.value
    return out


def check(session: Session, lines: Iterable[str]) -> list[HistoryLine]:
    """Validate a file against the rooms and the history already imported (changes nothing)."""
    return parse(lines, session.scalars(select(Room)), stored=lambda groups: stored_values(session, groups))


#: (yearly?, room id, month or year, indicator) → the stored row.
Existing = dict[tuple[bool, int, dt.date | int, str], MonthlyHistory | YearlyHistory]


def _upsert(session: Session, ln: HistoryLine, existing: Existing, user_id: int | None, now: dt.datetime) -> bool:
    """Store one line; return whether it replaced a value."""
    key = (ln.room_id, ln.month.year if ln.yearly else ln.month, ln.indicator)
    row = existing.get((ln.yearly, *key))
    if row is not None:
        row.value, row.imported_at, row.imported_by_id = ln.value, now, user_id
        return True
    model = YearlyHistory if ln.yearly else MonthlyHistory
    values = {"year": ln.month.year} if ln.yearly else {"month": ln.month}
    session.add(
        model(
            room_id=ln.room_id,
            indicator=ln.indicator,
            value=ln.value,
            imported_at=now,
            imported_by_id=user_id,
            **values,
        )
    )
    return False


def apply(session: Session, lines: list[HistoryLine], *, user_id: int | None = None) -> ImportResult:
    """Store validated lines, replacing existing values of the same keys; audit once per room."""
    rooms = {ln.room_id for ln in lines}
    existing: Existing = {}
    for h in session.scalars(select(MonthlyHistory).where(MonthlyHistory.room_id.in_(rooms))):
        existing[(False, h.room_id, h.month, h.indicator)] = h
    for y in session.scalars(select(YearlyHistory).where(YearlyHistory.room_id.in_(rooms))):
        existing[(True, y.room_id, y.year, y.indicator)] = y
    now = utcnow()
    replaced = sum(_upsert(session, ln, existing, user_id, now) for ln in lines)
    months = {(ln.room_id, ln.month) for ln in lines if not ln.yearly}
    for room_id in sorted(rooms):
        audit.record(
            session,
            "history.import",
            user_id=user_id,
            room_id=room_id,
            entity="monthly_history",
            changes={
                "months": sorted(format_month(m) for r, m in months if r == room_id),
                "years": sorted({ln.month.year for ln in lines if ln.yearly and ln.room_id == room_id}),
                "lines": sum(1 for ln in lines if ln.room_id == room_id),
            },
        )
    session.flush()
    years = {(ln.room_id, ln.month.year) for ln in lines if ln.yearly}
    return ImportResult(len(lines) - replaced, replaced, len(months), len(years))


def import_history(
    session: Session, lines: Iterable[str], *, user_id: int | None = None, publish: bool = True
) -> ImportResult:
    """Validate every line, then apply all of them — or none, raising ``HistoryImportError``.

    ``publish=False`` leaves publishing to the caller (``roomlog import-history`` publishes after it commits).
    """
    from roomlog.services.publication import publish_quietly

    result = apply(session, check(session, lines), user_id=user_id)
    if publish:
        publish_quietly(session)
    return result
