"""Import monthly totals from before a room used roomlog (``room,month,indicator,value`` CSV).

Every line is validated first; if any line is wrong nothing is applied and every error is
reported with its line number. Re-importing a key (room, month, indicator) replaces its
value. The engine treats history months (months without events) as approved.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.models import MonthlyHistory, Room
from roomlog.models.base import utcnow
from roomlog.reporting.indicators import BY_CODE, Kind
from roomlog.services import DomainError, audit
from roomlog.services.periods import today_local
from roomlog.services.service_days import format_month, month_start, parse_month

HEADER = ("room", "month", "indicator", "value")
MAX_VALUE = 10**12


@dataclass(frozen=True)
class HistoryLine:
    """One valid line of the file."""

    line: int
    room_id: int
    month: dt.date
    indicator: str
    value: int


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


def _room(value: str, by_id: dict[int, Room], by_name: dict[str, Room]) -> Room | None:
    text = value.strip()
    if text.isdigit():
        return by_id.get(int(text))
    return by_name.get(text.casefold())


def _check_line(
    row: list[str], by_id: dict[int, Room], by_name: dict[str, Room], current: dt.date
) -> tuple[list[str], tuple[int, dt.date, str, int] | None]:
    """Validate the four fields of one line; return the errors and, if none, the parsed key and value."""
    if len(row) != len(HEADER):
        return [f"expected 4 fields (room,month,indicator,value), found {len(row)}"], None
    room_text, month_text, code, value_text = (cell.strip() for cell in row)
    errors = []
    room = _room(room_text, by_id, by_name)
    if room is None:
        errors.append(f"unknown room {room_text!r} (give its name or id)")
    try:
        month = parse_month(month_text)
    except ValueError:
        errors.append(f"month {month_text!r} is not YYYY-MM")
        month = None
    if month is not None and month > current:
        errors.append(f"month {month_text} is in the future")
    indicator = BY_CODE.get(code)
    if indicator is None:
        errors.append(f"unknown indicator code {code!r} (see /reports/definitions)")
    elif indicator.kind == Kind.RATE:
        errors.append(f"{code} is computed from other indicators and cannot be imported")
    if not value_text.isdigit() or int(value_text) > MAX_VALUE:
        errors.append(f"value {value_text!r} is not a whole number from 0 up")
    if errors or room is None or month is None:
        return errors, None
    return [], (room.id, month, code, int(value_text))


def parse(lines: Iterable[str], rooms: Iterable[Room], *, current: dt.date | None = None) -> list[HistoryLine]:
    """Validate a whole file (pure); raise ``HistoryImportError`` listing every bad line."""
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
    first_seen: dict[tuple[int, dt.date, str], int] = {}
    for row in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        problems, valid = _check_line(row, by_id, by_name, current)
        errors.extend((number, p) for p in problems)
        if valid is None:
            continue
        key = valid[:3]
        if key in first_seen:
            errors.append((number, f"the same room, month and indicator as line {first_seen[key]}"))
            continue
        first_seen[key] = number
        parsed.append(HistoryLine(number, *valid))
    if not errors and not parsed:
        errors.append((1, "the file has no data lines"))
    if errors:
        raise HistoryImportError(errors)
    return parsed


def apply(session: Session, lines: list[HistoryLine], *, user_id: int | None = None) -> ImportResult:
    """Store validated lines, replacing existing values of the same keys; audit once."""
    existing = {
        (h.room_id, h.month, h.indicator): h
        for h in session.scalars(select(MonthlyHistory).where(MonthlyHistory.room_id.in_({ln.room_id for ln in lines})))
    }
    added = replaced = 0
    now = utcnow()
    for ln in lines:
        row = existing.get((ln.room_id, ln.month, ln.indicator))
        if row is None:
            session.add(
                MonthlyHistory(
                    room_id=ln.room_id,
                    month=ln.month,
                    indicator=ln.indicator,
                    value=ln.value,
                    imported_at=now,
                    imported_by_id=user_id,
                )
            )
            added += 1
        else:
            row.value, row.imported_at, row.imported_by_id = ln.value, now, user_id
            replaced += 1
    months = {(ln.room_id, ln.month) for ln in lines}
    for room_id in sorted({ln.room_id for ln in lines}):
        audit.record(
            session,
            "history.import",
            user_id=user_id,
            room_id=room_id,
            entity="monthly_history",
            changes={
                "months": sorted(format_month(m) for r, m in months if r == room_id),
                "lines": sum(1 for ln in lines if ln.room_id == room_id),
            },
        )
    session.flush()
    return ImportResult(added, replaced, len(months))


def import_history(session: Session, lines: Iterable[str], *, user_id: int | None = None) -> ImportResult:
    """Validate every line, then apply all of them — or none, raising ``HistoryImportError``."""
    from roomlog.services.publication import publish_quietly

    parsed = parse(lines, session.scalars(select(Room)))
    result = apply(session, parsed, user_id=user_id)
    publish_quietly(session)
    return result
