"""Retention (GDPR storage limitation): purge event-level records of old, approved months.

A month's event rows may go only when the month is approved (or accepted) and its approved
monthly aggregates exist: every report for that month is then served from the snapshot and
stays identical. Months that are not approved stop the whole purge (nothing is deleted).

Rows are removed children first. A row in a purged month that a kept row still points at
(a visit whose consumption fell on the first kept day, say) is kept and counted. Visitors are
pseudonymous personal data: a visitor is removed when no visit refers to them any more and
they were first registered before the cut-off; a visitor with a kept visit stays.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, delete, exists, func, select
from sqlalchemy.orm import Session

from roomlog.database import allow_retention_purge
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
from roomlog.models.codes import PeriodState
from roomlog.services import Conflict, audit
from roomlog.services.service_days import COPENHAGEN, add_months, format_month, month_start

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


def _parent_rules(before: dt.date) -> list[tuple[type, ColumnElement[bool]]]:
    """Return (model, condition) in deletion order: children first, parents only when unreferenced."""
    return [
        (EmergencyActionRecord, EmergencyActionRecord.service_day < before),
        (Referral, Referral.service_day < before),
        (ServiceRecord, ServiceRecord.service_day < before),
        (Incident, Incident.service_day < before),
        (
            Emergency,
            (Emergency.service_day < before) & ~exists().where(EmergencyActionRecord.emergency_id == Emergency.id),
        ),
        (Consumption, (Consumption.service_day < before) & ~exists().where(Emergency.consumption_id == Consumption.id)),
        (
            Visit,
            (Visit.service_day < before)
            & ~exists().where(Consumption.visit_id == Visit.id)
            & ~exists().where(Emergency.visit_id == Visit.id)
            & ~exists().where(Referral.visit_id == Visit.id)
            & ~exists().where(ServiceRecord.visit_id == Visit.id)
            & ~exists().where(Incident.visit_id == Visit.id),
        ),
    ]


def plan(session: Session, before: dt.date) -> PurgePlan:
    """Work out what a purge would remove, and which months refuse it."""
    before = month_start(before)
    result = PurgePlan(before=before)
    names = dict(session.execute(select(Room.id, Room.name)).tuples())
    for room_id, months in sorted(_room_months(session, before).items()):
        result.months[room_id] = sorted(months)
        for month in sorted(months):
            reason = _refusal(session, room_id, month)
            if reason:
                result.refused.append(f"{names.get(room_id, room_id)} {format_month(month)}: {reason}")
    for model in EVENT_MODELS:
        count = session.scalar(select(func.count()).select_from(model).where(model.service_day < before)) or 0
        if count:
            result.rows[model.__tablename__] = count
    result.visitors = _orphan_visitor_count(session, before, after_purge=True)
    return result


def _orphan_visitor_count(session: Session, before: dt.date, *, after_purge: bool) -> int:
    kept_visit = exists().where(Visit.visitor_id == Visitor.id)
    if after_purge:
        kept_visit = exists().where(Visit.visitor_id == Visitor.id, Visit.service_day >= before)
    stmt = select(func.count()).select_from(Visitor).where(Visitor.first_registered_at < _visitor_cutoff(before))
    return session.scalar(stmt.where(~kept_visit)) or 0


def purge(session: Session, before: dt.date, *, user_id: int | None = None) -> PurgePlan:
    """Remove the event rows before ``before`` (refusing unapproved months); audits; flushes only."""
    result = plan(session, before)
    if result.refused:
        raise Conflict("These months are not approved and cannot be purged: " + "; ".join(result.refused))
    allow_retention_purge(session)
    removed: dict[str, int] = {}
    consumption_ids = select(Consumption.id).where(
        Consumption.service_day < result.before, ~exists().where(Emergency.consumption_id == Consumption.id)
    )
    session.execute(delete(ConsumptionSubstance).where(ConsumptionSubstance.consumption_id.in_(consumption_ids)))
    for model, condition in _parent_rules(result.before):
        outcome = session.execute(delete(model).where(condition).execution_options(synchronize_session=False))
        if outcome.rowcount:
            removed[model.__tablename__] = outcome.rowcount
    orphans = ~exists().where(Visit.visitor_id == Visitor.id)
    gone = session.execute(
        delete(Visitor)
        .where(orphans, Visitor.first_registered_at < _visitor_cutoff(result.before))
        .execution_options(synchronize_session=False)
    )
    kept = {name: count - removed.get(name, 0) for name, count in result.rows.items() if count != removed.get(name, 0)}
    result.rows, result.visitors = removed, gone.rowcount or 0
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
            "kept_still_referenced": kept,
        },
        reason="retention period",
    )
    session.flush()
    return result
