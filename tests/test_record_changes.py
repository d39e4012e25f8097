"""Every later change to a captured record is refused by the service itself in a locked month.

The services are called directly (no view, no request): the month-lock and approval rules live
in the service that changes the record, not in the views in front of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from roomlog.calendar import month_start
from roomlog.models import Consumption, Emergency, PeriodStatus, User, Visit
from roomlog.models.codes import EmergencyOutcome, EmergencyType, PeriodState, Role, Severity
from roomlog.services import Conflict, NotAllowed, consumptions, emergencies, visits
from tests.support.factories import Factory

#: Models and services on one connection, each test rolled back (tests/support/rollback.py).
pytestmark = pytest.mark.rollback


@dataclass
class Records:
    """A visit with a consumption and an emergency, all of today (an open month)."""

    visit: Visit
    consumption: Consumption
    emergency: Emergency
    staff: User
    lead: User


Change = Callable[[Session, Records, User], object]
Changed = Callable[[Records], object]

#: Each later change a service makes to a record, and what it changes (to see that a refusal changed nothing).
CHANGES: dict[str, tuple[Change, Changed]] = {
    "consumption.assisted": (
        lambda s, r, u: consumptions.set_assisted(s, r.consumption, u, True),
        lambda r: r.consumption.assisted,
    ),
    "consumption.end": (
        lambda s, r, u: consumptions.end(s, r.consumption, u),
        lambda r: r.consumption.ended_at,
    ),
    "emergency.outcome": (
        lambda s, r, u: emergencies.set_outcome(s, r.emergency, u, EmergencyOutcome.RECOVERED_ON_SITE),
        lambda r: r.emergency.outcome,
    ),
    "emergency.details": (
        lambda s, r, u: emergencies.set_details(
            s, r.emergency, u, type=EmergencyType.MIXED, severity=Severity.RESPONSIVE, note="afterwards"
        ),
        lambda r: (r.emergency.type, r.emergency.severity, r.emergency.note),
    ),
    "emergency.reopen": (
        lambda s, r, u: emergencies.reopen(s, r.emergency, u),
        lambda r: r.emergency.outcome,
    ),
    "emergency.cancel": (
        lambda s, r, u: emergencies.cancel(s, r.emergency, u, "Opened by mistake"),
        lambda r: r.emergency.voided,
    ),
    "visit.check_out": (
        lambda s, r, u: visits.check_out(s, r.visit, u),
        lambda r: r.visit.left_at,
    ),
}


@pytest.fixture
def records(make: Factory, dbs: Session) -> Records:
    room = make.room(assisted_allowed=True)
    visit = make.visit(room)
    consumption = make.consumption(visit, room)
    emergency = make.emergency(visit, room)  # no outcome, no actions: it can still be cancelled
    return Records(
        visit, consumption, emergency, make.user(Role.STAFF, rooms=[room]), make.user(Role.LEAD, rooms=[room])
    )


def _prepare(name: str, records: Records, dbs: Session) -> None:
    """Put the record in a state where the change does something (reopen needs an outcome to take back)."""
    if name == "emergency.reopen":
        records.emergency.outcome = EmergencyOutcome.RECOVERED_ON_SITE
        dbs.commit()


def _month_in(dbs: Session, records: Records, state: PeriodState) -> None:
    month = month_start(records.visit.service_day)
    dbs.add(PeriodStatus(room_id=records.visit.room_id, month=month, state=state))
    dbs.commit()


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_the_service_changes_a_record_of_an_open_month(app: Flask, dbs: Session, records: Records, name: str) -> None:
    change, changed = CHANGES[name]
    _prepare(name, records, dbs)
    before = changed(records)
    with app.app_context():
        change(dbs, records, records.staff)
    assert changed(records) != before


#: A locked month, who tries the change there and how the service refuses it: an accepted month is closed
#: to everyone (the lead too), an approved one to staff.
REFUSALS = {
    "accepted": (PeriodState.ACCEPTED, "lead", Conflict),
    "approved-staff": (PeriodState.APPROVED, "staff", NotAllowed),
}


@pytest.mark.parametrize("refusal", sorted(REFUSALS))
@pytest.mark.parametrize("name", sorted(CHANGES))
def test_the_service_refuses_a_change_in_a_locked_month(
    app: Flask, dbs: Session, records: Records, name: str, refusal: str
) -> None:
    change, changed = CHANGES[name]
    state, who, error = REFUSALS[refusal]
    _prepare(name, records, dbs)
    _month_in(dbs, records, state)
    before = changed(records)
    with app.app_context(), pytest.raises(error):
        change(dbs, records, getattr(records, who))
    dbs.rollback()
    assert changed(records) == before
