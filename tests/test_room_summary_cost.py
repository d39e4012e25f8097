"""The room's own summary reads closed months from snapshots and visitor sets, not from history."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from roomlog.calendar import add_months, format_month
from roomlog.extensions import db
from roomlog.models import PeriodStatus, Room, RoomVisitorSet, Visit
from roomlog.models.codes import PeriodState, Role, Sex
from roomlog.operations.retention import purge
from roomlog.reporting import compute, periods
from roomlog.reporting.indicators import DISTINCT_CODES
from roomlog.services.approval import drop_snapshot, write_snapshot
from tests.support.apps import AuthActions, dispose, owner_app, statements
from tests.support.factories import Factory

LAST = dt.date(2025, 6, 1)


def _history(make: Factory, app: Flask, months: int, visitors: int = 3) -> Room:
    """A room with ``months`` approved months up to ``LAST``, each with a few returning visitors."""
    first = add_months(LAST, -(months - 1))
    room = make.room(opened_on=first)
    people = [make.visitor(sex=Sex.F if n % 2 else Sex.M, birth_year=1960 + 9 * n) for n in range(visitors + 1)]
    for n in range(months):
        month = add_months(first, n)
        for person in people[: visitors if n % 2 else visitors + 1]:
            at = dt.datetime(month.year, month.month, 10 + people.index(person), 12, tzinfo=dt.UTC)
            make.visit(room, at, visitor=person, left_at=at + dt.timedelta(hours=1))
    with app.app_context():
        for n in range(months):
            month = add_months(first, n)
            db.session.add(PeriodStatus(room_id=room.id, month=month, state=PeriodState.APPROVED))
            write_snapshot(db.session, db.session.get(Room, room.id), month)
        db.session.commit()
    return room


def _cost(app: Flask, client: FlaskClient, room: Room, month: dt.date) -> int:
    with statements(app) as seen:
        assert client.get(f"/reports/{room.id}/{format_month(month)}").status_code == 200
    return len(seen)


def test_the_summary_costs_the_same_with_13_or_40_months_of_history(
    app: Flask, make: Factory, client: FlaskClient, auth: AuthActions
) -> None:
    """13 months cover every comparison (last year, year to date); 27 more change nothing."""
    short, long = _history(make, app, 13), _history(make, app, 40)
    make.user(Role.LEAD, rooms=[short, long], username="lead")
    auth.login("lead")
    closed = [_cost(app, client, room, LAST) for room in (short, long)]
    assert closed[0] == closed[1]
    open_month = add_months(LAST, 1)  # not approved: read from its events
    for room in (short, long):
        make.visit(room, dt.datetime(2025, 7, 2, 12, tzinfo=dt.UTC))
    opened = [_cost(app, client, room, open_month) for room in (short, long)]
    assert opened[0] == opened[1]


def _days(parameters: object) -> set[dt.date]:
    values = parameters.values() if isinstance(parameters, dict) else parameters
    out = set()
    for value in values or ():
        if isinstance(value, dt.date):
            out.add(value if not isinstance(value, dt.datetime) else value.date())
        elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            out.add(dt.date.fromisoformat(value))
    return out


def test_the_summary_of_a_closed_month_reads_no_events_outside_it(
    app: Flask, make: Factory, client: FlaskClient, auth: AuthActions
) -> None:
    """Comparisons and since opening come from snapshots: event tables are read for the month only."""
    room = _history(make, app, 24)
    make.user(Role.LEAD, rooms=[room], username="lead")
    auth.login("lead")
    with statements(app) as seen:
        assert client.get(f"/reports/{room.id}/{format_month(LAST)}").status_code == 200
    tables = ("visits", "consumptions", "emergencies", "emergency_actions", "referrals", "services", "incidents")
    on_events = [(s, p) for s, p in seen if re.search(rf"\b(FROM|JOIN) ({'|'.join(tables)})\b", s)]
    assert on_events
    for statement, parameters in on_events:
        assert "service_day" in statement, statement
        assert all(LAST <= day < add_months(LAST, 1) for day in _days(parameters)), (statement, parameters)


@pytest.mark.both_databases
def test_distinct_counts_of_closed_months_match_the_recount_and_survive_a_purge(
    app: Flask, make: Factory, backend: str, tmp_path: Path
) -> None:
    room = _history(make, app, 6)
    year = periods.span("2025-01", "2025-06")
    with app.app_context():
        stored = compute(db.session, [room.id], year).per_room[room.id]
        recount = compute(db.session, [room.id], year, live=True).per_room[room.id]
        assert {c: stored[c] for c in DISTINCT_CODES} == {c: recount[c] for c in DISTINCT_CODES}
        assert stored["visitors.unique"] == 4 and stored["visitors.new"] == 4
        drop_snapshot(db.session, room.id, dt.date(2025, 3, 1))  # an approval from before the sets existed
        write_snapshot(db.session, db.session.get(Room, room.id), dt.date(2025, 3, 1))
        db.session.execute(RoomVisitorSet.__table__.delete().where(RoomVisitorSet.month == dt.date(2025, 3, 1)))
        db.session.commit()
    # `roomlog purge` runs as the schema owner (on PostgreSQL the app role may not delete events).
    maintenance = owner_app(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"]) if backend == "postgresql" else app
    with maintenance.app_context():
        purge(db.session, dt.date(2025, 7, 1))
        db.session.commit()
        db.session.remove()
    if maintenance is not app:
        dispose(maintenance)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 0
        assert db.session.scalar(select(func.count()).select_from(RoomVisitorSet)) == 6  # March's was stored first
        after = compute(db.session, [room.id], year).per_room[room.id]
    assert {c: after[c] for c in DISTINCT_CODES} == {c: stored[c] for c in DISTINCT_CODES}


@pytest.mark.rollback
def test_reopening_a_month_drops_its_visitor_sets(app: Flask, make: Factory) -> None:
    room = _history(make, app, 2)
    with app.app_context():
        drop_snapshot(db.session, room.id, LAST)
        months = set(db.session.scalars(select(RoomVisitorSet.month).where(RoomVisitorSet.room_id == room.id)))
    assert months == {add_months(LAST, -1)}
