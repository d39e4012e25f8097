"""What made the lead's summary fast keeps its numbers: new visitors found by one seek per visitor,
the checks counted in one statement per table, and a worker warmed for the summary and its PDF."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from roomlog.extensions import db
from roomlog.models import Room
from roomlog.models.codes import Role, Route, TurnAwayReason, VisitOutcome
from roomlog.reporting import compute, periods, queries
from roomlog.reporting.checks import SHOWN, run_checks
from roomlog.reports import page
from roomlog.reports.views import pdf_html
from roomlog.reports.warm import NO_ROOM, warm_summary
from roomlog.warmup import warm_worker
from tests.support.apps import AuthActions, statements
from tests.support.factories import Factory

MARCH = dt.date(2026, 3, 1)


def at(day: int, month: int = 3, year: int = 2026, hour: int = 12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


@pytest.mark.rollback
@pytest.mark.both_databases
def test_new_visitors_are_those_never_admitted_in_the_room_before(app: Flask, make: Factory, backend: str) -> None:
    """New in a room: no earlier admitted, unvoided visit in that room (other rooms, turn-aways, voids do not count)."""
    room, other = make.room(), make.room()
    first_time = make.visitor()
    regular = make.visitor()
    elsewhere = make.visitor()  # known in the other room only
    turned_away = make.visitor()
    voided = make.visitor()
    make.visit(room, at(5, month=12, year=2025), visitor=regular)
    make.visit(other, at(6, month=1), visitor=elsewhere)
    make.visit(
        room,
        at(7, month=1),
        visitor=turned_away,
        outcome=VisitOutcome.TURNED_AWAY,
        turn_away_reason=TurnAwayReason.CAPACITY,
    )
    make.visit(room, at(8, month=2), visitor=voided, voided=True, void_reason="duplicate")
    for n, person in enumerate((first_time, regular, elsewhere, turned_away, voided)):
        make.visit(room, at(10 + n), visitor=person)
        make.visit(room, at(20 + n), visitor=person)  # twice in March: still one new visitor
    with app.app_context():
        march = compute(db.session, [room.id], periods.month(MARCH), live=True)
        assert march.per_room[room.id]["visitors.new"] == 4
        assert march.per_room[room.id]["visitors.unique"] == 5
        both = compute(db.session, [room.id, other.id], periods.month(MARCH), live=True)
        assert both.combined["visitors.new"] == 3  # known in the other room: not new to the two together
        quarter = compute(db.session, [room.id], periods.span("2026-01", "2026-03"), live=True)
        assert quarter.per_room[room.id]["visitors.new"] == 4  # December's regular is not new in the quarter
        rows = queries.first_visits(db.session, (room.id,), at(1).date(), dt.date(2026, 3, 31))
    days = {row.visitor_id: row.first_day for row in rows}
    assert days[first_time.id] == dt.date(2026, 3, 10)  # exact within the window
    assert days[regular.id] < dt.date(2026, 3, 1)  # only "seen before" outside it
    assert set(days) == {first_time.id, regular.id, elsewhere.id, turned_away.id, voided.id}


@pytest.mark.rollback
@pytest.mark.both_databases
def test_the_checks_count_in_one_statement_and_list_what_they_found(
    app: Flask, make: Factory, dbs: Session, backend: str
) -> None:
    room = make.room()
    visits = [make.visit(room, at(2, hour=8 + n % 10), left_at=None) for n in range(SHOWN + 3)]
    voided = make.visit(room, at(3), left_at=at(3, hour=13), voided=True, void_reason="wrong person")
    make.consumption(voided, room)  # hangs on a voided visit
    make.consumption(visits[0], room, route=None)
    make.visit(room, at(4), left_at=at(4, hour=13), backdated=True)
    with statements(app) as seen, app.app_context():
        checks = {c.code: c for c in run_checks(db.session, room.id, MARCH)}
    assert checks["open_visits"].count == SHOWN + 3 and len(checks["open_visits"].items) == SHOWN
    times = [i.occurred_at for i in checks["open_visits"].items]
    assert times == sorted(times)
    assert checks["consumptions_without_route"].count == 1
    assert checks["records_of_voided_visits"].count == 1
    assert checks["records_of_voided_visits"].items[0].entity == "consumptions"
    assert checks["backdated"].count == 1
    assert checks["emergencies_without_outcome"].count == 0 and not checks["emergencies_without_outcome"].items
    selects = [s for s, _ in seen if s.lstrip().upper().startswith("SELECT")]
    counted = [s for s in selects if re.search(r"\bsum\(CASE", s, re.IGNORECASE)]
    assert len(counted) == 1  # every rule of every table at once (one pass over each table's month)
    assert len(re.findall(r"\) AS sums_\d", counted[0])) == 7  # the seven tables' sums side by side
    # then the first records of the four rules that found some (open visits, no route, voided visit, back-dated)
    assert len(selects) == 1 + 4


def test_the_warm_up_reads_and_writes_no_room_data(app: Flask, make: Factory, dbs: Session) -> None:
    room = make.room()
    make.visit(room, at(2), left_at=at(2, hour=13))
    with statements(app) as seen, app.test_request_context("/"):
        g.scope_room_ids, g.scope_decided = frozenset({NO_ROOM}), True
        warm_summary(db.session(), with_pdf=False)
        assert not db.session.new and not db.session.dirty
        db.session.rollback()
    assert seen
    assert not [s for s, _ in seen if re.match(r"\s*(INSERT|UPDATE|DELETE)", s)]
    for statement, parameters in seen:  # the event tables are asked about the room that is not there
        if re.search(r"\bFROM (visits|consumptions|emergencies|referrals|services)\b", statement):
            values = list(parameters.values()) if isinstance(parameters, dict) else list(parameters or ())
            assert NO_ROOM in values, statement


def test_a_warmed_worker_compiles_no_template_for_its_first_summary(
    app: Flask, make: Factory, client: FlaskClient, auth: AuthActions
) -> None:
    room = make.room()
    make.visit(room, at(2), left_at=at(2, hour=13))
    make.user(Role.LEAD, rooms=[room], username="lead")
    auth.login("lead")
    app.jinja_env.cache.clear()  # a fresh worker
    warm_worker(app)
    compiled = set(app.jinja_env.cache.keys())
    assert any("reports/pdf.html" in str(k) for k in compiled)
    assert client.get(f"/reports/{room.id}/2026-03").status_code == 200
    assert client.get(f"/reports/{room.id}/2026-03.pdf").status_code == 200
    assert set(app.jinja_env.cache.keys()) == compiled


def test_the_pdf_draws_share_boxes_and_the_screen_keeps_its_svg_bars(
    app: Flask, make: Factory, client: FlaskClient, auth: AuthActions
) -> None:
    room = make.room()
    visit = make.visit(room, at(2), left_at=at(2, hour=13))
    for _ in range(3):
        make.consumption(visit, room, route=Route.INJECT)
    make.consumption(visit, room, route=Route.SMOKE)
    make.user(Role.LEAD, rooms=[room], username="lead")
    auth.login("lead")
    screen = client.get(f"/reports/{room.id}/2026-03").get_data(as_text=True)
    assert 'class="share-bar"' in screen and 'class="sb ' not in screen
    with app.test_request_context("/", headers={"Accept-Language": "da"}):
        g.scope_room_ids, g.scope_decided = frozenset({room.id}), True
        html = pdf_html(
            page.build(db.session, db.session.get(Room, room.id), MARCH, with_checks=False, with_changes=False)
        )
    rows = dict(re.findall(r'data-indicator="consumptions\.route\.(\w+)".*?<span class="sb sb-(\d+)"', html))
    assert rows["inject"] == "50" and rows["smoke"] == "17"  # 3 of 3 and 1 of 3 (33 % → 34 %, 2 % steps)
    assert "share-bar" not in html
