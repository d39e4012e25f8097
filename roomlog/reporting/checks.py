"""Validation checks a lead runs before approving a month: counts plus the first records.

Every check of one table is counted in one pass over the month's rows, all tables in one
statement; the first records are read only for checks that found some.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Subquery, case, exists, func, select, true
from sqlalchemy.orm import Session

from roomlog.models import EVENT_MODELS, Consumption, Emergency, Incident, Referral, ServiceRecord, Visit
from roomlog.models.codes import Route, VisitOutcome
from roomlog.models.events import RoomEvent
from roomlog.reporting.periods import Period

SHOWN = 20  # records listed per check; the count is always exact
#: Records tied to a visit, which must not count when their visit is voided.
VISIT_DEPENDANT_MODELS = (Consumption, Emergency, Referral, ServiceRecord, Incident)
#: A service quantity beyond this (or below zero) cannot be true; publication treats it as unknown.
MAX_QUANTITY = 10_000


@dataclass(frozen=True)
class CheckItem:
    """One record a check found (no person data: kind, id and local time)."""

    entity: str
    id: int
    occurred_at: dt.datetime


@dataclass(frozen=True)
class Check:
    """A validation check: ``blocking`` checks must be zero before the month can be approved."""

    code: str
    blocking: bool
    count: int
    items: tuple[CheckItem, ...]

    @property
    def ok(self) -> bool:
        return self.count == 0


@dataclass(frozen=True)
class _Rule:
    """One condition on one table's rows of the month (several rules may make one check)."""

    code: str
    model: type[RoomEvent]
    condition: ColumnElement[bool]
    blocking: bool


def _in_month(model: type[RoomEvent], room_id: int, period: Period) -> tuple[ColumnElement[bool], ...]:
    return (
        model.room_id == room_id,
        model.service_day.between(period.first_day, period.last_day),
        model.voided.is_(False),
    )


def _of_voided_visit(model: type[RoomEvent], room_id: int) -> ColumnElement[bool]:
    """The record hangs on a voided visit of the room (any month: made before voids cascaded)."""
    visit_id: ColumnElement[int] = model.visit_id  # type: ignore[attr-defined]  # every visit-dependant model has it
    # The visit is found by its primary key. coalesce() on a NOT NULL column changes nothing but keeps the
    # room out of the index choice: with statistics from before a room's records (a new room), PostgreSQL
    # took the room's index for it and walked all of the room's visits for every record of the month.
    return exists().where(Visit.id == visit_id, func.coalesce(Visit.room_id, 0) == room_id, Visit.voided.is_(True))


def _rules(room_id: int) -> list[_Rule]:
    """Every rule, in the order the checks are shown."""
    return [
        _Rule("open_visits", Visit, Visit.left_at.is_(None) & (Visit.outcome == VisitOutcome.ADMITTED), True),
        _Rule("emergencies_without_outcome", Emergency, Emergency.outcome.is_(None), True),
        _Rule("consumptions_without_route", Consumption, Consumption.route.is_(None), True),
        _Rule(
            "assisted_not_injection",
            Consumption,
            Consumption.assisted.is_(True) & (Consumption.route != Route.INJECT),
            True,
        ),
        _Rule(
            "implausible_values",
            ServiceRecord,
            (ServiceRecord.quantity < 0) | (ServiceRecord.quantity > MAX_QUANTITY),
            True,
        ),
        *(_Rule("records_of_voided_visits", m, _of_voided_visit(m, room_id), True) for m in VISIT_DEPENDANT_MODELS),
        *(_Rule("backdated", m, m.backdated.is_(True), False) for m in EVENT_MODELS),
    ]


def _counts(session: Session, room_id: int, period: Period, rules: list[_Rule]) -> list[int]:
    """Count every rule in one statement: one pass over each table's rows of the month (each rule a conditional
    sum), the tables' one-row sums side by side."""
    columns: list[ColumnElement[int]] = []
    order: list[int] = []
    tables: list[Subquery] = []
    for model in dict.fromkeys(r.model for r in rules):
        mine = [n for n, r in enumerate(rules) if r.model is model]
        sums = [func.coalesce(func.sum(case((rules[n].condition, 1), else_=0)), 0).label(f"rule_{n}") for n in mine]
        table = select(*sums).where(*_in_month(model, room_id, period)).subquery(f"sums_{len(tables)}")
        tables.append(table)
        columns += [table.c[f"rule_{n}"] for n in mine]
        order += mine
    stmt = select(*columns).select_from(tables[0])
    for table in tables[1:]:
        stmt = stmt.join(table, true())  # one row each (sums without grouping): side by side
    found = session.execute(stmt).one()
    counts = dict(zip(order, (int(c) for c in found), strict=True))
    return [counts[n] for n in range(len(rules))]


def _items(session: Session, room_id: int, period: Period, rule: _Rule) -> tuple[CheckItem, ...]:
    model = rule.model
    rows = session.execute(
        select(model.id, model.occurred_at)
        .where(*_in_month(model, room_id, period), rule.condition)
        .order_by(model.occurred_at)
        .limit(SHOWN)
    )
    return tuple(CheckItem(model.__tablename__, i, at) for i, at in rows)


def _merged(code: str, blocking: bool, parts: Iterable[tuple[int, tuple[CheckItem, ...]]]) -> Check:
    """One check from the rules of several tables: counts added, the earliest records first."""
    found = list(parts)
    items = tuple(sorted((i for _, part in found for i in part), key=lambda i: i.occurred_at))[:SHOWN]
    return Check(code, blocking, sum(n for n, _ in found), items)


def run_checks(session: Session, room_id: int, month: dt.date) -> list[Check]:
    """Return the checks of one room-month: open visits, emergencies without outcome,
    consumptions without route, assisted consumptions that are not injections (BEK 972/2016 § 6),
    records whose visit is voided (blocking) and back-dated entries to review."""
    period = Period(month, month)
    rules = _rules(room_id)
    counts = _counts(session, room_id, period, rules)
    found = [(n, _items(session, room_id, period, rule) if n else ()) for rule, n in zip(rules, counts, strict=True)]
    checks: list[Check] = []
    for code in dict.fromkeys(r.code for r in rules):
        mine = [(rule, f) for rule, f in zip(rules, found, strict=True) if rule.code == code]
        checks.append(_merged(code, mine[0][0].blocking, (f for _, f in mine)))
    return checks
