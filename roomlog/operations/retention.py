"""Retention (GDPR storage limitation): purge event-level records of old, approved months.

A month's event rows may go only when the month is approved (or accepted) and its approved
monthly aggregates exist: every report for that month is then served from the snapshot and
stays identical. Months that are not approved stop the whole purge (nothing is deleted).
Each purged month keeps its visitor-id sets (stored first where an older approval left none),
so unique and new visitors over a quarter or a year that reach into it stay right.

Rows are removed children first. A row in a purged month that a kept row still points at
(a visit whose consumption fell on the first kept day, say) is kept and counted. Visitors are
pseudonymous personal data: a visitor is removed when no visit refers to them any more and
they were first registered before the cut-off; a visitor with a kept visit stays.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, delete, exists, func, not_, or_, select
from sqlalchemy.orm import Session, aliased

from roomlog.calendar import COPENHAGEN, add_months, format_month, month_start
from roomlog.db_guards import allow_retention_purge
from roomlog.models import (
    EVENT_MODELS,
    Consumption,
    ConsumptionSubstance,
    Emergency,
    EmergencyActionRecord,
    Incident,
    MonthlyAggregate,
    PeriodStatus,
    Referral,
    Room,
    ServiceRecord,
    Visit,
    Visitor,
)
from roomlog.models.base import Base
from roomlog.models.codes import PeriodState
from roomlog.services import Conflict, audit
from roomlog.services.approval import ensure_visitor_sets

APPROVED_STATES = frozenset({PeriodState.APPROVED, PeriodState.ACCEPTED})


@dataclass
class PurgePlan:
    """What a purge before ``before`` (the first month kept) would remove."""

    before: dt.date
    months: dict[int, list[dt.date]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    visitors: int = 0

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def default_before(today: dt.date, retention_years: int) -> dt.date:
    """Return the first month kept under a retention period of ``retention_years``."""
    return add_months(month_start(today), -12 * retention_years)


def _room_months(session: Session, before: dt.date) -> dict[int, set[dt.date]]:
    found: dict[int, set[dt.date]] = defaultdict(set)
    for model in EVENT_MODELS:
        stmt = select(model.room_id, model.service_day).where(model.service_day < before).distinct()
        for room_id, day in session.execute(stmt):
            found[room_id].add(month_start(day))
    return found


def _refusal(session: Session, room_id: int, month: dt.date) -> str | None:
    status = session.scalar(select(PeriodStatus).where(PeriodStatus.room_id == room_id, PeriodStatus.month == month))
    if status is None or status.state not in APPROVED_STATES:
        return "not approved"
    snapshot = session.scalar(
        select(func.count())
        .select_from(MonthlyAggregate)
        .where(MonthlyAggregate.room_id == room_id, MonthlyAggregate.month == month)
    )
    return None if snapshot else "approved, but without its monthly aggregates"


def _visitor_cutoff(before: dt.date) -> dt.datetime:
    return dt.datetime.combine(before, dt.time(0, 0), tzinfo=COPENHAGEN).astimezone(dt.UTC)


def _removal_rules(before: dt.date) -> list[tuple[type[Base], ColumnElement[bool]]]:
    """Return (model, condition) in deletion order (children first).

    A row goes when it is dated before ``before`` and no kept row points at it; the conditions
    refer only to kept rows, so they hold before, during and after the deletion.
    """
    action, emergency, consumption = aliased(EmergencyActionRecord), aliased(Emergency), aliased(Consumption)

    def emergency_kept(row: Any) -> ColumnElement[bool]:
        kept_action = exists().where(action.emergency_id == row.id, action.service_day >= before)
        return or_(row.service_day >= before, kept_action)

    def consumption_kept(row: Any) -> ColumnElement[bool]:
        return or_(
            row.service_day >= before,
            exists().where(emergency.consumption_id == row.id, emergency_kept(emergency)),
        )

    visit_kept = or_(
        exists().where(consumption.visit_id == Visit.id, consumption_kept(consumption)),
        exists().where(emergency.visit_id == Visit.id, emergency_kept(emergency)),
        *(exists().where(m.visit_id == Visit.id, m.service_day >= before) for m in (Referral, ServiceRecord, Incident)),
    )
    return [
        (EmergencyActionRecord, EmergencyActionRecord.service_day < before),
        (Referral, Referral.service_day < before),
        (ServiceRecord, ServiceRecord.service_day < before),
        (Incident, Incident.service_day < before),
        (Emergency, and_(Emergency.service_day < before, not_(emergency_kept(Emergency)))),
        (Consumption, and_(Consumption.service_day < before, not_(consumption_kept(Consumption)))),
        (Visit, and_(Visit.service_day < before, not_(visit_kept))),
    ]


def plan(session: Session, before: dt.date) -> PurgePlan:
    """Work out what a purge would remove, and which months refuse it."""
    before = month_start(before)
    result = PurgePlan(before=before)
    names = {room_id: name for room_id, name in session.execute(select(Room.id, Room.name))}
    for room_id, months in sorted(_room_months(session, before).items()):
        result.months[room_id] = sorted(months)
        for month in sorted(months):
            reason = _refusal(session, room_id, month)
            if reason:
                result.refused.append(f"{names.get(room_id, room_id)} {format_month(month)}: {reason}")
    rules = _removal_rules(before)
    for model, condition in rules:
        count = session.scalar(select(func.count()).select_from(model).where(condition)) or 0
        if count:
            result.rows[model.__tablename__] = count
    removed_visit = rules[-1][1]
    kept_visit = exists().where(Visit.visitor_id == Visitor.id, not_(removed_visit))
    stmt = select(func.count()).select_from(Visitor).where(Visitor.first_registered_at < _visitor_cutoff(before))
    result.visitors = session.scalar(stmt.where(~kept_visit)) or 0
    return result


def purge(session: Session, before: dt.date, *, user_id: int | None = None) -> PurgePlan:
    """Remove the event rows before ``before`` (refusing unapproved months); audits; flushes only."""
    result = plan(session, before)
    if result.refused:
        raise Conflict("These months are not approved and cannot be purged: " + "; ".join(result.refused))
    for room_id, months in result.months.items():
        for month in months:
            ensure_visitor_sets(session, room_id, month)
    allow_retention_purge(session)
    removed: dict[str, int] = {}
    rules = _removal_rules(result.before)
    doomed = select(Consumption.id).where(rules[5][1])
    session.execute(delete(ConsumptionSubstance).where(ConsumptionSubstance.consumption_id.in_(doomed)))
    for model, condition in rules:
        # A DELETE's result is a CursorResult (it has rowcount); Session.execute is typed for the general Result.
        outcome = cast(
            CursorResult[Any],
            session.execute(delete(model).where(condition).execution_options(synchronize_session=False)),
        )
        if outcome.rowcount:
            removed[model.__tablename__] = outcome.rowcount
    gone = cast(
        CursorResult[Any],
        session.execute(
            delete(Visitor)
            .where(
                ~exists().where(Visit.visitor_id == Visitor.id),
                Visitor.first_registered_at < _visitor_cutoff(result.before),
            )
            .execution_options(synchronize_session=False)
        ),
    )
    if removed != result.rows or (gone.rowcount or 0) != result.visitors:
        raise Conflict("The records changed while purging; nothing was removed. Run the purge again.")
    result.visitors = gone.rowcount or 0
    audit.record(
        session,
        "retention.purge",
        user_id=user_id,
        entity="retention",
        changes={
            "before": format_month(result.before),
            "months": {str(room): [format_month(m) for m in months] for room, months in result.months.items()},
            "rows": removed,
            "visitors": result.visitors,
        },
        reason="retention period",
    )
    session.flush()
    return result
