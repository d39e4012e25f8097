"""Validation checks a lead runs before approving a month: counts plus the first records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
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


def _in_month(model: type[RoomEvent], room_id: int, period: Period) -> tuple[ColumnElement[bool], ...]:
    return (
        model.room_id == room_id,
        model.service_day.between(period.first_day, period.last_day),
        model.voided.is_(False),
    )


def _check(
    session: Session, code: str, model: type[RoomEvent], conditions: tuple[ColumnElement[bool], ...], blocking: bool
) -> Check:
    count = session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0
    rows = session.execute(
        select(model.id, model.occurred_at).where(*conditions).order_by(model.occurred_at).limit(SHOWN)
    )
    items = tuple(CheckItem(model.__tablename__, i, at) for i, at in rows)
    return Check(code, blocking, count, items)


def run_checks(session: Session, room_id: int, month: dt.date) -> list[Check]:
    """Return the checks of one room-month: open visits, emergencies without outcome,
    consumptions without route, assisted consumptions that are not injections (BEK 972/2016 § 6),
    records whose visit is voided (blocking) and back-dated entries to review."""
    period = Period(month, month)
    # any month's records may hang on a voided visit (made before voids cascaded)
    voided_visits = select(Visit.id).where(Visit.room_id == room_id, Visit.voided.is_(True))
    checks = [
        _check(
            session,
            "open_visits",
            Visit,
            (*_in_month(Visit, room_id, period), Visit.left_at.is_(None), Visit.outcome == VisitOutcome.ADMITTED),
            True,
        ),
        _check(
            session,
            "emergencies_without_outcome",
            Emergency,
            (*_in_month(Emergency, room_id, period), Emergency.outcome.is_(None)),
            True,
        ),
        _check(
            session,
            "consumptions_without_route",
            Consumption,
            (*_in_month(Consumption, room_id, period), Consumption.route.is_(None)),
            True,
        ),
        _check(
            session,
            "assisted_not_injection",
            Consumption,
            (
                *_in_month(Consumption, room_id, period),
                Consumption.assisted.is_(True),
                Consumption.route != Route.INJECT,
            ),
            True,
        ),
        _check(
            session,
            "implausible_values",
            ServiceRecord,
            (
                *_in_month(ServiceRecord, room_id, period),
                (ServiceRecord.quantity < 0) | (ServiceRecord.quantity > MAX_QUANTITY),
            ),
            True,
        ),
    ]
    orphans = [
        _check(
            session,
            "records_of_voided_visits",
            model,
            (*_in_month(model, room_id, period), model.visit_id.in_(voided_visits)),
            True,
        )
        for model in VISIT_DEPENDANT_MODELS
    ]
    items = tuple(sorted((i for c in orphans for i in c.items), key=lambda i: i.occurred_at))[:SHOWN]
    checks.append(Check("records_of_voided_visits", True, sum(c.count for c in orphans), items))
    backdated = [
        _check(session, "backdated", model, (*_in_month(model, room_id, period), model.backdated.is_(True)), False)
        for model in EVENT_MODELS
    ]
    items = tuple(sorted((i for c in backdated for i in c.items), key=lambda i: i.occurred_at))[:SHOWN]
    checks.append(Check("backdated", False, sum(c.count for c in backdated), items))
    return checks
