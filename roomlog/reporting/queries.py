"""SQL side of the reports: GROUP BY over the event tables, returning plain frozen rows.

Every query takes the rooms and an inclusive range of service days, excludes voided
records, and groups by room and month of the stored ``service_day`` (the local
Europe/Copenhagen day under the room's cut-off), so daylight-saving nights need no care.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, distinct, func, or_, select
from sqlalchemy.orm import Session, aliased

from roomlog.calendar import month_of_key
from roomlog.models import (
    Consumption,
    ConsumptionSubstance,
    Emergency,
    EmergencyActionRecord,
    MonthlyAggregate,
    MonthlyHistory,
    PeriodStatus,
    Referral,
    RoomVisitorSet,
    ServiceRecord,
    Visit,
    Visitor,
    YearlyHistory,
)
from roomlog.models.codes import VisitOutcome
from roomlog.reporting.rows import (
    ActionRow,
    ConsumptionRow,
    DaysRow,
    EmergencyRow,
    FirstVisitRow,
    ReferralRow,
    ServiceRow,
    StatusRow,
    SubstanceRow,
    ValueRow,
    VisitorRow,
    VisitorSetRow,
    VisitRow,
)

__all__ = [
    "ActionRow",
    "ConsumptionRow",
    "DaysRow",
    "EmergencyRow",
    "FirstVisitRow",
    "ReferralRow",
    "ServiceRow",
    "StatusRow",
    "SubstanceRow",
    "ValueRow",
    "VisitRow",
    "VisitorRow",
    "VisitorSetRow",
]


def _month_key(session: Session, column: Any) -> ColumnElement[str]:
    """``YYYY-MM`` of a date column, in the database's own dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _window(model: Any, room_ids: Collection[int], first_day: dt.date, last_day: dt.date) -> ColumnElement[bool]:
    return and_(
        model.room_id.in_(tuple(room_ids)),
        model.service_day >= first_day,
        model.service_day <= last_day,
        model.voided.is_(False),
    )


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _value(code: Any) -> str | None:
    return None if code is None else str(getattr(code, "value", code))


def _grouped(
    session: Session,
    model: Any,
    room_ids: Collection[int],
    first_day: dt.date,
    last_day: dt.date,
    *columns: Any,
    measure: Any = None,
) -> list[tuple[Any, ...]]:
    """``(room id, month, *columns, measure)`` over ``model``'s live rows in the window, grouped by room, month and
    ``columns`` (``measure``: the number of rows unless given)."""
    key = _month_key(session, model.service_day)
    stmt = (
        select(model.room_id, key, *columns, func.count() if measure is None else measure)
        .where(_window(model, room_ids, first_day, last_day))
        .group_by(model.room_id, key, *columns)
    )
    return [(room_id, month_of_key(month), *rest) for room_id, month, *rest in session.execute(stmt)]


def visits(session: Session, room_ids: Collection[int], first_day: dt.date, last_day: dt.date) -> list[VisitRow]:
    """Count visits by room, month, outcome, turn-away reason and anonymity."""
    anonymous = Visit.visitor_id.is_(None)
    rows = _grouped(session, Visit, room_ids, first_day, last_day, Visit.outcome, Visit.turn_away_reason, anonymous)
    return [VisitRow(r, m, _value(o) or "", _value(t), bool(a), n) for r, m, o, t, a, n in rows]


def opening_days(session: Session, room_ids: Collection[int], first_day: dt.date, last_day: dt.date) -> list[DaysRow]:
    """Count the service days with at least one visit, by room and month."""
    days = func.count(distinct(Visit.service_day))
    return [DaysRow(r, m, n) for r, m, n in _grouped(session, Visit, room_ids, first_day, last_day, measure=days)]


def consumptions(
    session: Session, room_ids: Collection[int], first_day: dt.date, last_day: dt.date
) -> list[ConsumptionRow]:
    """Count consumptions by room, month, route and assisted flag."""
    rows = _grouped(session, Consumption, room_ids, first_day, last_day, Consumption.route, Consumption.assisted)
    return [ConsumptionRow(r, m, _value(x), bool(a), n) for r, m, x, a, n in rows]


def substances(
    session: Session, room_ids: Collection[int], first_day: dt.date, last_day: dt.date
) -> list[SubstanceRow]:
    """Count consumptions that included each substance, by room and month."""
    key = _month_key(session, Consumption.service_day)
    stmt = (
        select(Consumption.room_id, key, ConsumptionSubstance.substance, func.count(distinct(Consumption.id)))
        .join(ConsumptionSubstance, ConsumptionSubstance.consumption_id == Consumption.id)
        .where(_window(Consumption, room_ids, first_day, last_day))
        .group_by(Consumption.room_id, key, ConsumptionSubstance.substance)
    )
    return [SubstanceRow(r, month_of_key(m), _value(s) or "", n) for r, m, s, n in session.execute(stmt)]


def emergencies(
    session: Session, room_ids: Collection[int], first_day: dt.date, last_day: dt.date
) -> list[EmergencyRow]:
    """Count emergencies by room, month, type and outcome."""
    rows = _grouped(session, Emergency, room_ids, first_day, last_day, Emergency.type, Emergency.outcome)
    return [EmergencyRow(r, m, _value(t) or "", _value(o), n) for r, m, t, o, n in rows]


def actions(session: Session, room_ids: Collection[int], first_day: dt.date, last_day: dt.date) -> list[ActionRow]:
    """Count action rows per emergency, action and oxygen phase, with the emergency's type
    (month of the emergency; voided rows excluded)."""
    key = _month_key(session, Emergency.service_day)
    phase = EmergencyActionRecord.oxygen_phase
    stmt = (
        select(Emergency.room_id, key, Emergency.id, Emergency.type, EmergencyActionRecord.action, phase, func.count())
        .join(EmergencyActionRecord, EmergencyActionRecord.emergency_id == Emergency.id)
        .where(_window(Emergency, room_ids, first_day, last_day), EmergencyActionRecord.voided.is_(False))
        .group_by(Emergency.room_id, key, Emergency.id, Emergency.type, EmergencyActionRecord.action, phase)
    )
    return [
        ActionRow(r, month_of_key(m), e, _value(a) or "", n, _value(t), _value(p))
        for r, m, e, t, a, p, n in session.execute(stmt)
    ]


def referrals(session: Session, room_ids: Collection[int], first_day: dt.date, last_day: dt.date) -> list[ReferralRow]:
    """Count referrals by room, month and target."""
    rows = _grouped(session, Referral, room_ids, first_day, last_day, Referral.target)
    return [ReferralRow(r, m, _value(t) or "", n) for r, m, t, n in rows]


def services(session: Session, room_ids: Collection[int], first_day: dt.date, last_day: dt.date) -> list[ServiceRow]:
    """Sum service quantities by room, month and service."""
    total = func.sum(ServiceRecord.quantity)
    rows = _grouped(session, ServiceRecord, room_ids, first_day, last_day, ServiceRecord.service, measure=total)
    return [ServiceRow(r, m, _value(s) or "", int(q or 0)) for r, m, s, q in rows]


def visitors(session: Session, room_ids: Collection[int], first_day: dt.date, last_day: dt.date) -> list[VisitorRow]:
    """List the distinct visitors with an admitted visit, by room and month (ids only)."""
    key = _month_key(session, Visit.service_day)
    stmt = (
        select(Visit.room_id, key, Visitor.id, Visitor.sex, Visitor.birth_year)
        .join(Visitor, Visitor.id == Visit.visitor_id)
        .where(_window(Visit, room_ids, first_day, last_day), Visit.outcome == VisitOutcome.ADMITTED)
        .distinct()
    )
    return [VisitorRow(r, month_of_key(m), v, _value(s) or "u", y) for r, m, v, s, y in session.execute(stmt)]


def first_visits(
    session: Session, room_ids: Collection[int], first_day: dt.date, last_day: dt.date
) -> list[FirstVisitRow]:
    """Return, per room, when each visitor seen in the window first came.

    Several rooms: each room's first admitted visit day (ever) of every visitor seen in the window in
    any of them. One room (the room's own summary, approval): the day of the first admitted visit when
    it lies in the window, else the day of some admitted visit before it. That is all a count of new
    visitors over the window (or any part of it) needs, and it costs the same at any history length:
    one seek per visitor that stops at the first earlier visit, instead of every visit since opening.
    """
    rooms = tuple(room_ids)
    if len(set(rooms)) > 1:
        return _first_visits_ever(session, rooms, first_day, last_day)
    earlier = aliased(Visit)
    before = (
        select(earlier.service_day)
        .where(
            earlier.visitor_id == Visit.visitor_id,
            # coalesce() on a NOT NULL column changes nothing but keeps SQLite (which has no
            # statistics here) on the visitor index rather than scanning the room's history by day.
            func.coalesce(earlier.room_id, 0) == Visit.room_id,
            earlier.service_day < first_day,
            earlier.voided.is_(False),
            earlier.outcome == VisitOutcome.ADMITTED,
        )
        .limit(1)
        .correlate(Visit)
        .scalar_subquery()
    )
    stmt = (
        select(Visit.room_id, Visit.visitor_id, func.min(Visit.service_day), before)
        .where(
            _window(Visit, rooms, first_day, last_day),
            Visit.outcome == VisitOutcome.ADMITTED,
            Visit.visitor_id.is_not(None),
        )
        .group_by(Visit.room_id, Visit.visitor_id)
    )
    return [
        FirstVisitRow(room_id, visitor_id, _as_date(seen if seen is not None else first))  # type: ignore[arg-type]  # visitor_id IS NOT NULL
        for room_id, visitor_id, first, seen in session.execute(stmt)
    ]


def _first_visits_ever(
    session: Session, room_ids: Collection[int], first_day: dt.date, last_day: dt.date
) -> list[FirstVisitRow]:
    """Each room's first admitted visit day for the visitors seen in the window in any of the rooms."""
    seen = select(Visit.visitor_id).where(
        _window(Visit, room_ids, first_day, last_day),
        Visit.outcome == VisitOutcome.ADMITTED,
        Visit.visitor_id.is_not(None),
    )
    stmt = (
        select(Visit.room_id, Visit.visitor_id, func.min(Visit.service_day))
        .where(
            Visit.room_id.in_(tuple(room_ids)),
            Visit.voided.is_(False),
            Visit.outcome == VisitOutcome.ADMITTED,
            Visit.visitor_id.in_(seen),
        )
        .group_by(Visit.room_id, Visit.visitor_id)
    )
    return [FirstVisitRow(r, v, _as_date(d)) for r, v, d in session.execute(stmt)]  # type: ignore[arg-type]  # v IN (seen)


def arrival_times(session: Session, room_id: int, first_day: dt.date, last_day: dt.date) -> list[dt.datetime]:
    """Return the arrival instants (UTC) of the admitted visits of one room in the window."""
    stmt = select(Visit.occurred_at).where(
        _window(Visit, (room_id,), first_day, last_day), Visit.outcome == VisitOutcome.ADMITTED
    )
    return list(session.scalars(stmt))


def snapshots(session: Session, room_ids: Collection[int], first: dt.date, last: dt.date) -> list[ValueRow]:
    """Return the approved snapshot values of the room-months from ``first`` to ``last`` (first days)."""
    stmt = select(
        MonthlyAggregate.room_id, MonthlyAggregate.month, MonthlyAggregate.indicator, MonthlyAggregate.value
    ).where(MonthlyAggregate.room_id.in_(tuple(room_ids)), MonthlyAggregate.month.between(first, last))
    return [ValueRow(r, _as_date(m), i, Decimal(v)) for r, m, i, v in session.execute(stmt)]


def history(session: Session, room_ids: Collection[int], first: dt.date, last: dt.date) -> list[ValueRow]:
    """Return the imported history values of the room-months from ``first`` to ``last``."""
    h = MonthlyHistory
    stmt = select(h.room_id, h.month, h.indicator, h.value).where(
        h.room_id.in_(tuple(room_ids)), h.month.between(first, last)
    )  # plain columns: thousands of rows over a long history, no ORM objects needed
    return [ValueRow(r, _as_date(m), i, Decimal(v)) for r, m, i, v in session.execute(stmt)]


def yearly_history(session: Session, room_ids: Collection[int], first: dt.date, last: dt.date) -> list[ValueRow]:
    """Return the imported yearly figures (``visitors.*``) of the years from ``first`` to ``last``
    (``month`` is 1 January of the year)."""
    y = YearlyHistory
    stmt = select(y.room_id, y.year, y.indicator, y.value).where(
        y.room_id.in_(tuple(room_ids)), y.year.between(first.year, last.year)
    )
    return [ValueRow(r, dt.date(year, 1, 1), i, Decimal(v)) for r, year, i, v in session.execute(stmt)]


def visitor_sets(session: Session, room_ids: Collection[int], first: dt.date, last: dt.date) -> list[VisitorSetRow]:
    """Return the stored visitor sets of the room-months from ``first`` to ``last``.

    Months before ``first`` come too, with their first-seen set only (who was already known).
    """
    within = RoomVisitorSet.month.between(first, last)
    stmt = select(
        RoomVisitorSet.room_id,
        RoomVisitorSet.month,
        RoomVisitorSet.visitors,
        RoomVisitorSet.first_seen,
        RoomVisitorSet.groups,
    ).where(RoomVisitorSet.room_id.in_(tuple(room_ids)), within)
    earlier = select(RoomVisitorSet.room_id, RoomVisitorSet.month, RoomVisitorSet.first_seen).where(
        RoomVisitorSet.room_id.in_(tuple(room_ids)), RoomVisitorSet.month < first
    )
    rows = [VisitorSetRow(r, _as_date(m), v, f, g) for r, m, v, f, g in session.execute(stmt)]
    rows += [VisitorSetRow(r, _as_date(m), None, f, None) for r, m, f in session.execute(earlier)]
    return rows


def first_days(
    session: Session, room_ids: Collection[int], ranges: Collection[tuple[dt.date, dt.date]]
) -> list[FirstVisitRow]:
    """Return each visitor's first admitted visit day per room within the (inclusive) day ranges."""
    if not ranges:
        return []
    stmt = (
        select(Visit.room_id, Visit.visitor_id, func.min(Visit.service_day))
        .where(
            Visit.room_id.in_(tuple(room_ids)),
            or_(*(Visit.service_day.between(a, b) for a, b in ranges)),
            Visit.voided.is_(False),
            Visit.outcome == VisitOutcome.ADMITTED,
            Visit.visitor_id.is_not(None),
        )
        .group_by(Visit.room_id, Visit.visitor_id)
    )
    return [FirstVisitRow(r, v, _as_date(d)) for r, v, d in session.execute(stmt)]  # type: ignore[arg-type]  # v IS NOT NULL


def first_history_month(session: Session, room_ids: Collection[int]) -> dt.date | None:
    """Return the first month with imported history for any of the rooms."""
    value = session.scalar(select(func.min(MonthlyHistory.month)).where(MonthlyHistory.room_id.in_(tuple(room_ids))))
    return value if value is None or isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def history_months(session: Session, room_id: int, first: dt.date, last: dt.date) -> bool:
    """Whether the room has imported monthly history for any month from ``first`` to ``last``."""
    stmt = select(MonthlyHistory.id).where(MonthlyHistory.room_id == room_id, MonthlyHistory.month.between(first, last))
    return session.scalar(stmt.limit(1)) is not None


def first_visit_day(session: Session, room_id: int) -> dt.date | None:
    """Return the first service day with a visit recorded in roomlog for the room."""
    value = session.scalar(select(func.min(Visit.service_day)).where(Visit.room_id == room_id))
    return value if value is None or isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def statuses(session: Session, room_ids: Collection[int], first: dt.date, last: dt.date) -> list[StatusRow]:
    """Return the approval state of the room-months that have a status row."""
    stmt = select(PeriodStatus).where(
        PeriodStatus.room_id.in_(tuple(room_ids)), PeriodStatus.month.between(first, last)
    )
    return [StatusRow(s.room_id, s.month, s.state.value, s.changes_since_approval) for s in session.scalars(stmt)]
