"""``publish_due``: publish every closed month, quarter and year that is due (flushes, never commits).

The caller lifts the request's room scope (``national_scope``) and writes the audit entry.
``publish_due`` is :func:`plan_due` (read and protect) followed by :func:`store_plan` (write) in one
transaction; a caller that must not hold the write lock while protecting runs them in separate
transactions (``services.publication.publish_in_steps``): ``store_plan`` then stores only if what was
protected is still what is due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal
from typing import NotRequired, TypedDict, Unpack

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from roomlog.calendar import add_months, iter_months, month_of_key
from roomlog.models import MonthlyAggregate, MonthlyHistory, Publication
from roomlog.reporting.engine import compute_many
from roomlog.reporting.periods import Period
from roomlog.reporting.publication import sources, store
from roomlog.reporting.publication.exact import COUNTS, period_values, units_of
from roomlog.reporting.publication.memo import DecisionMemo, protect
from roomlog.reporting.publication.superseded import superseded
from roomlog.reporting.publication.units import Key, RoomInfo, parts_of_label, relations, year_labels
from roomlog.reporting.summary import Values
from roomlog.reporting.windows import month_label, parse_label

RoomMonth = tuple[int, dt.date]
#: Lifts the room scope of the caller's request (ORM and row-level security) for the session, then restores it.
ScopeLift = Callable[[Session], AbstractContextManager[None]]
REVISED_NOTE = "Revideret: en måned er godkendt igen, efter at den var genåbnet."


@dataclass(frozen=True)
class Published:
    """What one publishing run stored: the labels published and the locked room-months snapshotted."""

    periods: list[str]
    snapshots: int


class Settings(TypedDict):
    """What publishing needs besides the session and the day: the threshold, the lock days, the scope lift and the
    memo (``None``: none)."""

    threshold: int
    lock_after_days: int
    national_scope: ScopeLift
    memo: NotRequired[DecisionMemo | None]


def publish_due(session: Session, today: dt.date, **settings: Unpack[Settings]) -> Published:
    """Publish, for the whole country, every month whose rooms have all closed it, with its quarter and year.

    A closed month whose snapshot or history changed after publication (re-approved after a
    reopen) is published again as a new version. ``national_scope`` lets the session see
    every room while publishing. ``memo`` (the app's, if it keeps one) answers a year's protection when
    it was decided before for exactly the same inputs (:mod:`.memo`).
    """
    plan = plan_due(session, today, **settings)
    if plan is None:  # (never: with its snapshots written, a plan is always made)
        raise RuntimeError("publish_due: no plan although snapshots were written")
    with settings["national_scope"](session):
        _store(session, plan)
    return Published(plan.periods, plan.snapshots)


@dataclass(frozen=True)
class Write:
    """One new version of a period, protected and ready to store."""

    label: str
    threshold: int
    cells: dict[Key, int | None]
    hidden: frozenset[Key]
    mark: str | None
    note: str | None


@dataclass(frozen=True)
class Plan:
    """What a publishing run will store, and what it was protected from (``basis``: re-checked before storing)."""

    basis: Hashable
    writes: list[Write]
    snapshots: int

    @property
    def periods(self) -> list[str]:
        return [w.label for w in self.writes]


def plan_due(
    session: Session, today: dt.date, *, write_snapshots: bool = True, **settings: Unpack[Settings]
) -> Plan | None:
    """Protect every period that is due and say what to store; writes only the snapshots of locked months.

    With ``write_snapshots=False`` nothing is written at all: ``None`` when a locked room-month
    still needs its snapshot (write it first with :func:`write_due_snapshots`, then plan again).
    """
    threshold, lock_after_days, memo = settings["threshold"], settings["lock_after_days"], settings.get("memo")
    with settings["national_scope"](session):
        rooms, states, closed = _closed_state(session, today, lock_after_days)
        if not closed:
            return Plan(_basis(session, closed, {}), [], 0)
        known = store.latest(session, [month_label(m) for m in closed], codes=())
        # A locked room-month was snapshotted when its month was first published and cannot change since.
        unpublished = [m for m in closed if month_label(m) not in known]
        if write_snapshots:
            written = _write_locked_snapshots(session, rooms, states, unpublished)
        elif _locked_snapshots(session, rooms, states, unpublished):
            return None
        else:
            written = 0
        marks = sources.source_marks(session)
        basis = _basis(session, closed, marks)
        due = [
            m for m in closed if month_label(m) not in known or known[month_label(m)].source_mark != marks.get(m, "")
        ]
        writes: list[Write] = []
        for year in sorted({m.year for m in due}):
            due_year = [m for m in due if m.year == year]
            writes += _publish_year(session, rooms, year, due_year, closed, marks, threshold, states, memo)
        return Plan(basis, writes, written)


def write_due_snapshots(session: Session, today: dt.date, *, lock_after_days: int, national_scope: ScopeLift) -> int:
    """Store the snapshots of locked, unapproved room-months of closed months not yet published (flushes)."""
    with national_scope(session):
        rooms, states, closed = _closed_state(session, today, lock_after_days)
        known = store.latest(session, [month_label(m) for m in closed], codes=())
        return _write_locked_snapshots(session, rooms, states, [m for m in closed if month_label(m) not in known])


def store_plan(
    session: Session, plan: Plan, today: dt.date, *, lock_after_days: int, national_scope: ScopeLift
) -> list[str] | None:
    """Store ``plan`` if what it protected is still what is due (same closed months, sources, versions).

    ``None`` (nothing stored) when anything changed since it was planned: plan again. Run it in a
    write transaction that excludes other publishers, so two runs never store the same period twice.
    """
    with national_scope(session):
        _rooms, _states, closed = _closed_state(session, today, lock_after_days)
        if _basis(session, closed, sources.source_marks(session)) != plan.basis:
            return None
        _store(session, plan)
        return plan.periods


def _store(session: Session, plan: Plan) -> None:
    for w in plan.writes:
        store.write(session, w.label, w.threshold, w.cells, w.hidden, mark=w.mark, note=w.note)


def _closed_state(
    session: Session, today: dt.date, lock_after_days: int
) -> tuple[Sequence[RoomInfo], dict[RoomMonth, str], list[dt.date]]:
    """The rooms, their month states and the closed months up to last month."""
    rooms = sources.room_infos(session)
    firsts = [r.first_month for r in rooms if r.first_month is not None]
    last = add_months(today.replace(day=1), -1)
    if not firsts or min(firsts) > last:
        return rooms, {}, []
    states = sources.room_month_states(session, rooms, min(firsts), last, today, lock_after_days)
    return rooms, states, [m for m in iter_months(min(firsts), last) if _closed(states, rooms, m)]


def _basis(session: Session, closed: list[dt.date], marks: dict[dt.date, str]) -> Hashable:
    """What a plan depends on: the closed months, what their values were read from, every stored version."""
    versions = session.execute(select(Publication.period, func.max(Publication.version)).group_by(Publication.period))
    return (
        tuple(closed),
        tuple(marks.get(m, "") for m in closed),
        tuple(sorted((str(p), int(v)) for p, v in versions)),
    )


def _closed(states: dict[RoomMonth, str], rooms: Sequence[RoomInfo], month: dt.date) -> bool:
    mine = [states[(r.id, month)] for r in rooms]
    return any(s != "not_applicable" for s in mine) and all(s in sources.CLOSED or s == "not_applicable" for s in mine)


def _locked_snapshots(
    session: Session, rooms: Sequence[RoomInfo], states: dict[RoomMonth, str], months: list[dt.date]
) -> list[tuple[int, dt.date, Values]]:
    """The figures of locked, unapproved room-months that hold events and have no snapshot yet (reads only)."""
    wanted = set(months)
    if not wanted:
        return []
    stmt = select(MonthlyAggregate.room_id, MonthlyAggregate.month).distinct()
    have = {
        (r, sources._date(m))
        for r, m in session.execute(stmt.where(MonthlyAggregate.month.between(min(months), max(months))))
    }
    out: list[tuple[int, dt.date, Values]] = []
    for room in rooms:
        todo = sorted(
            m
            for (rid, m), s in states.items()
            if rid == room.id and s == "locked" and m in wanted and (rid, m) not in have
        )
        if not todo:
            continue
        reports = compute_many(session, [room.id], [Period(m, m) for m in todo], live=True)
        for month, report in zip(todo, reports, strict=True):
            values = report.per_room[room.id]
            if not any(v for code, v in values.items() if code in COUNTS):
                continue  # no events: the month is zero and stays so (it is locked)
            out.append((room.id, month, values))
    return out


def _write_locked_snapshots(
    session: Session, rooms: Sequence[RoomInfo], states: dict[RoomMonth, str], months: list[dt.date]
) -> int:
    """Fix the figures of locked, unapproved room-months that hold events: store their snapshot."""
    found = _locked_snapshots(session, rooms, states, months)
    for room_id, month, values in found:
        session.execute(
            delete(MonthlyAggregate).where(MonthlyAggregate.room_id == room_id, MonthlyAggregate.month == month)
        )
        session.add_all(
            MonthlyAggregate(room_id=room_id, month=month, indicator=code, value=Decimal(value))
            for code, value in values.items()
            if value is not None
        )
    session.flush()
    return len(found)


def _publish_year(
    session: Session,
    rooms: Sequence[RoomInfo],
    year: int,
    due: list[dt.date],
    closed: list[dt.date],
    marks: dict[dt.date, str],
    threshold: int,
    states: dict[RoomMonth, str] | None = None,
    memo: DecisionMemo | None = None,
) -> list[Write]:
    """Protect the due months of one calendar year with the quarter and year they complete (what to store)."""
    month_labels, quarter_labels, year_label = year_labels(year)
    closed_labels = {month_label(m) for m in closed}
    due_labels = {month_label(m) for m in due}
    everything = [*month_labels, *quarter_labels, year_label]
    stored = store.latest(session, everything)
    new = sorted(due_labels)
    for label in [*quarter_labels, year_label]:
        months = _months_of(label)
        if all(m in closed_labels for m in months) and (label not in stored or any(m in due_labels for m in months)):
            new.append(label)
    fixed_labels = [label for label in everything if label in stored and label not in new]
    by_month = sources.month_values(session, rooms, [m for m in closed if m.year == year], states)
    history = _history_months(session, year)
    visitors = sources.read_visitor_rows(session, [r.id for r in rooms], _span(new))
    exact: dict[Key, int | None] = {}
    for label in new:
        exact.update(
            period_values(
                label, rooms, by_month, history, lambda ids, p: sources.distinct_values_for(session, ids, p, visitors)
            )
        )
    fixed: dict[Key, bool] = {}
    for label in fixed_labels:
        keys = [(unit, code) for unit, _members in units_of(rooms, label) for code in COUNTS]
        exact.update(store.exact_counts(stored[label], keys))
        for unit, code in keys:
            cell = stored[label].cells.get((unit, code))
            fixed[(label, unit, code)] = bool(cell and cell.hidden)
    counts = store.version_counts(session, [label for label in everything if label in stored])
    revised = store.versions(session, [label for label, n in counts.items() if n > 1 or label in new])
    forced: set[Key] = set()
    for label in new:
        for version in revised.get(label, []):
            forced |= {(label, unit, code) for (unit, code), c in version.cells.items() if c.hidden}
    known = {k: v for k, v in exact.items() if v is not None}
    unknown = {k for k, v in exact.items() if v is None}
    current = {label: stored[label].version for label in fixed_labels}
    old = superseded(revised, current, rooms, known)
    hidden = protect(
        memo,
        known | old.exact,
        relations([*fixed_labels, *new], rooms, set(known), unknown) + old.relations,
        threshold,
        fixed | old.hidden,
        forced & set(known),
        what=str(year),
    )
    by_label: dict[str, dict[Key, int | None]] = {}
    for key, value in exact.items():
        by_label.setdefault(key[0], {})[key] = value
    return [
        Write(
            label,
            threshold,
            by_label.get(label, {}),
            frozenset(k for k in hidden if k[0] == label),
            marks.get(month_of_key(label), "") if label in due_labels else None,
            REVISED_NOTE if label in stored else None,
        )
        for label in new
    ]


def _span(labels: Sequence[str]) -> Period:
    """The months the new labels cover: the only visitor rows their distinct counts need."""
    periods = [parse_label(label).period for label in labels]
    return Period(min(p.first for p in periods), max(p.last for p in periods))


def _months_of(label: str) -> list[str]:
    parts = parts_of_label(label)
    return [m for p in parts for m in (parts_of_label(p) or [p])]


def _history_months(session: Session, year: int) -> set[RoomMonth]:
    rows = session.execute(
        select(MonthlyHistory.room_id, MonthlyHistory.month)
        .where(MonthlyHistory.month.between(dt.date(year, 1, 1), dt.date(year, 12, 1)))
        .distinct()
    )
    return {(r, sources._date(m)) for r, m in rows}
