"""Pure assembly of a report: pick each room-month's source, add up, recount distinct values.

Per room-month the source is the approved snapshot (approved or accepted months), else the
imported history (months without events), else the events. Additive indicators are
summed over months and rooms; distinct counts are unions of the room-months' visitor sets
(stored with closed months, built from events for the others; ``None`` when the period
includes history months, which hold no visitor ids, except a room's whole history year,
which takes the imported yearly figure); the rate is derived from the summed totals.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from pyroaring import FrozenBitMap

from roomlog.models.codes import PeriodState
from roomlog.reporting.indicators import BY_CODE, DISTINCT_CODES, Kind
from roomlog.reporting.periods import Period
from roomlog.reporting.rows import StatusRow, ValueRow
from roomlog.reporting.summary import (
    EventRows,
    Number,
    RoomMonth,
    Values,
    additive_by_month,
    rate,
    sum_additive,
    zero_additive,
)
from roomlog.reporting.visitor_sets import EMPTY, MonthSets, build, distinct_counts

SNAPSHOT, HISTORY, EVENTS = "snapshot", "history", "events"
HISTORY_STATE = "history"
APPROVED_STATES = frozenset({PeriodState.APPROVED.value, PeriodState.ACCEPTED.value, HISTORY_STATE})


@dataclass(frozen=True)
class MonthState:
    """Where one room-month's numbers come from and how final they are."""

    room_id: int
    month: dt.date
    #: ``open``, ``approved``, ``accepted`` or ``history`` (imported; counts as approved).
    state: str
    #: ``snapshot``, ``history`` or ``events``.
    source: str
    changes_since_approval: int = 0

    @property
    def provisional(self) -> bool:
        """An open month is provisional (*foreløbig*): its numbers may still change."""
        return self.state not in APPROVED_STATES


@dataclass(frozen=True)
class Report:
    """Indicator values of a set of rooms over a period: per room, combined, and month states."""

    period: Period
    room_ids: tuple[int, ...]
    per_room: Mapping[int, Values]
    combined: Values
    months: tuple[MonthState, ...]

    @property
    def provisional(self) -> bool:
        """Whether any room-month of the report is still open."""
        return any(m.provisional for m in self.months)

    def state(self, room_id: int, month: dt.date) -> MonthState:
        """Return the state of one room-month of the report."""
        return next(m for m in self.months if m.room_id == room_id and m.month == month)


def _stored(rows: Iterable[ValueRow]) -> dict[RoomMonth, dict[str, Decimal]]:
    out: dict[RoomMonth, dict[str, Decimal]] = defaultdict(dict)
    for row in rows:
        out[(row.room_id, row.month)][row.indicator] = row.value
    return dict(out)


def _as_number(code: str, value: Decimal | None) -> Number | None:
    if value is None:
        return None
    return value if BY_CODE[code].kind == Kind.RATE else int(value)


def month_states(
    period: Period,
    room_ids: Collection[int],
    rows: EventRows,
    snapshots: Mapping[RoomMonth, Mapping[str, Decimal]],
    history: Mapping[RoomMonth, Mapping[str, Decimal]],
    statuses: Iterable[StatusRow],
) -> tuple[MonthState, ...]:
    """Decide the state and source of every room-month of the period."""
    status = {(s.room_id, s.month): s for s in statuses}
    with_events = rows.room_months()
    out = []
    for room_id in sorted(room_ids):
        for month in period.months:
            key = (room_id, month)
            row = status.get(key)
            state = row.state if row else PeriodState.OPEN.value
            if state in APPROVED_STATES and key in snapshots:
                source = SNAPSHOT
            elif key not in with_events and key in history:
                source = HISTORY
                state = HISTORY_STATE if state == PeriodState.OPEN.value else state
            else:
                source = EVENTS
            out.append(MonthState(room_id, month, state, source, row.changes_since_approval if row else 0))
    return tuple(out)


def _history_year(period: Period, mine: Collection[MonthState]) -> bool:
    """Whether the scope is one room over one calendar year of imported history only."""
    whole_year = period.first.month == 1 and period.last == period.first.replace(month=12)
    return whole_year and len({s.room_id for s in mine}) == 1 and all(s.source == HISTORY for s in mine)


def _scope_values(
    period: Period,
    room_ids: Collection[int],
    states: Iterable[MonthState],
    by_month: Mapping[RoomMonth, Mapping[str, Number | None]],
    sets: Mapping[RoomMonth, MonthSets],
    earlier: FrozenBitMap,
    yearly: Mapping[RoomMonth, Mapping[str, Decimal]] | None = None,
) -> Values:
    """Values of ``room_ids`` over ``period`` given each room-month's chosen source values."""
    mine = [s for s in states if s.room_id in room_ids]
    parts = [by_month.get((s.room_id, s.month), {}) for s in mine]
    known = set().union(*(part.keys() for part in parts))  # a code no imported month holds stays unknown
    values: dict[str, Number | None] = {
        code: (value if code in known else None) for code, value in sum_additive(parts).items()
    }
    if len(mine) == 1 and mine[0].source != EVENTS:
        stored = by_month.get((mine[0].room_id, mine[0].month), {})
        distinct: Mapping[str, Number | None] = {code: stored.get(code) for code in DISTINCT_CODES}
    elif _history_year(period, mine) and yearly is not None:
        stored_year = yearly.get((mine[0].room_id, period.first), {})
        distinct = {code: _as_number(code, stored_year.get(code)) for code in DISTINCT_CODES}
    elif any(s.source == HISTORY for s in mine):
        distinct = dict.fromkeys(DISTINCT_CODES)
    else:
        distinct = distinct_counts(sets, room_ids, period, earlier if len(room_ids) > 1 else EMPTY)
    values.update(distinct)
    values["emergencies.per_1000_consumptions"] = rate(values["emergencies.total"], values["consumptions.total"])
    return Values(values)


def assemble(
    period: Period,
    room_ids: Collection[int],
    rows: EventRows,
    snapshot_rows: Iterable[ValueRow] = (),
    history_rows: Iterable[ValueRow] = (),
    status_rows: Iterable[StatusRow] = (),
    yearly_rows: Iterable[ValueRow] = (),
    *,
    sets: Mapping[RoomMonth, MonthSets] | None = None,
    earlier: FrozenBitMap | None = None,
) -> Report:
    """Build the report of ``room_ids`` over ``period`` from rows (pure).

    ``sets`` are the visitor sets of the room-months (built from ``rows`` when not given) and
    ``earlier`` the ids seen in any of the rooms before the period (from ``rows.first_visits``
    when not given).
    """
    if sets is None:
        sets = build(rows.visitors, {(f.room_id, f.visitor_id): f.first_day for f in rows.first_visits})
    if earlier is None:
        known = (f.visitor_id for f in rows.first_visits if f.room_id in room_ids and f.first_day < period.first_day)
        earlier = FrozenBitMap(known)
    grouped = Grouped.of(rows, snapshot_rows, history_rows, yearly_rows)
    return assemble_grouped(period, room_ids, rows, grouped, status_rows, sets=sets, earlier=earlier)


@dataclass(frozen=True)
class Grouped:
    """The stored values by room-month and the events' additive values: grouped once for several periods."""

    snapshots: Mapping[RoomMonth, Mapping[str, Decimal]]
    history: Mapping[RoomMonth, Mapping[str, Decimal]]
    yearly: Mapping[RoomMonth, Mapping[str, Decimal]]
    from_events: Mapping[RoomMonth, Mapping[str, int]]
    #: A room-month's values from its source, converted once (the same for every period holding it).
    converted: dict[tuple[RoomMonth, str], dict[str, Number | None]] = field(default_factory=dict)

    def values(self, key: RoomMonth, source: str) -> dict[str, Number | None]:
        """The room-month's values from ``source`` (events: every additive code, zero where none)."""
        found = self.converted.get((key, source))
        if found is None:
            if source == EVENTS:
                found = {**zero_additive(), **self.from_events.get(key, {})}
            else:
                stored = self.snapshots[key] if source == SNAPSHOT else self.history[key]
                found = {code: _as_number(code, value) for code, value in stored.items() if code in BY_CODE}
            self.converted[(key, source)] = found
        return found

    @classmethod
    def of(
        cls,
        rows: EventRows,
        snapshot_rows: Iterable[ValueRow] = (),
        history_rows: Iterable[ValueRow] = (),
        yearly_rows: Iterable[ValueRow] = (),
    ) -> Grouped:
        return cls(_stored(snapshot_rows), _stored(history_rows), _stored(yearly_rows), additive_by_month(rows))


def assemble_grouped(
    period: Period,
    room_ids: Collection[int],
    rows: EventRows,
    grouped: Grouped,
    status_rows: Iterable[StatusRow],
    *,
    sets: Mapping[RoomMonth, MonthSets],
    earlier: FrozenBitMap,
) -> Report:
    """:func:`assemble` from values grouped once (:class:`Grouped`): what ``compute_many`` does per period."""
    states = month_states(period, room_ids, rows, grouped.snapshots, grouped.history, status_rows)
    by_month = {(s.room_id, s.month): grouped.values((s.room_id, s.month), s.source) for s in states}
    yearly = grouped.yearly
    per_room = {
        room_id: _scope_values(period, {room_id}, states, by_month, sets, EMPTY, yearly) for room_id in sorted(room_ids)
    }
    combined = _scope_values(period, set(room_ids), states, by_month, sets, earlier)
    return Report(period, tuple(sorted(room_ids)), per_room, combined, states)
