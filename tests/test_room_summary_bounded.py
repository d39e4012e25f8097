"""The lead's summary costs a bounded number of statements at any history length, on both databases:
an approved month that nothing changed is read from its snapshot and not recounted, PostgreSQL
compiles no statement (JIT off), and every PDF of a worker shares one font configuration."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select, text, update

from roomlog.calendar import format_month
from roomlog.database import engine_options
from roomlog.extensions import db
from roomlog.models import EVENT_KINDS, PeriodStatus, Room, User, Visit
from roomlog.models.base import utcnow
from roomlog.models.codes import Role
from roomlog.reports import page
from roomlog.services import approval_changes, corrections, event_times, visits
from roomlog.web import pdf
from tests import test_truth_approved_page as approved_page
from tests.support.apps import AuthActions, statements
from tests.support.factories import Factory
from tests.test_room_summary_cost import LAST, _history
from tests.test_truth_approved_page import World, _change_after_approval

world = approved_page.world  # the approved month with its emergencies, consumptions and lead (a fixture)
EVENT_TABLES = ("visits", "consumptions", "emergencies", "emergency_actions", "referrals", "services", "incidents")


def _on(seen: list[tuple[str, object]], tables: tuple[str, ...]) -> list[str]:
    return [s for s, _ in seen if re.search(rf"\b(FROM|JOIN) ({'|'.join(tables)})\b", s)]


def _summary(app: Flask, client: FlaskClient, room: Room, month: dt.date) -> list[tuple[str, object]]:
    with statements(app) as seen:
        assert client.get(f"/reports/{room.id}/{format_month(month)}").status_code == 200
    return list(seen)


@pytest.mark.both_databases
def test_an_unchanged_approved_month_costs_the_same_few_statements_at_any_history_length(
    app: Flask, make: Factory, client: FlaskClient, auth: AuthActions, backend: str
) -> None:
    """13 or 40 months behind it: the same statements, none reading the audit log, and on the event
    tables only the lead's checks (one counting statement for every table), never a recount of the month."""
    short, long = _history(make, app, 13), _history(make, app, 40)
    make.user(Role.LEAD, rooms=[short, long], username="lead")
    auth.login("lead")
    _summary(app, client, short, LAST)  # the worker's first request compiles its statements
    seen = [_summary(app, client, room, LAST) for room in (short, long)]
    assert len(seen[0]) == len(seen[1]) <= 30
    for found in seen:
        assert not _on(found, ("audit_log",))
        on_events = [s for s in _on(found, EVENT_TABLES) if "min(visits.service_day)" not in s]  # the first day: a seek
        assert len(on_events) == 1 and all("sum(CASE" in s for s in on_events), on_events  # the checks


def test_a_change_after_approval_is_recounted_and_listed(
    app: Flask, make: Factory, client: FlaskClient, auth: AuthActions
) -> None:
    """The change is counted on the month's status: the page then recounts the month and reads the audit log."""
    app.config["LOCK_AFTER_DAYS"] = 10_000  # the approved month may still change
    room = _history(make, app, 2)
    lead = make.user(Role.LEAD, rooms=[room], username="lead")
    with app.app_context():
        db.session.execute(update(PeriodStatus).values(approved_at=utcnow() - dt.timedelta(days=1)))
        db.session.commit()
    auth.login("lead")
    with app.test_request_context():
        g.scope_room_ids, g.scope_decided = None, True
        before = page.build(db.session, db.session.get_one(Room, room.id), LAST, with_checks=True)
        assert before.changes is not None and not before.changes
        month_visit = db.session.scalars(
            select(Visit.id).where(Visit.room_id == room.id, Visit.service_day >= LAST).order_by(Visit.id).limit(1)
        ).one()
        lead_user, record = db.session.get(User, lead.id), db.session.get(Visit, month_visit)
        assert lead_user is not None and record is not None
        corrections.void(db.session, db.session.get_one(Room, room.id), "visit", record, lead_user, "dobbelt")
        db.session.commit()
    seen = _summary(app, client, room, LAST)
    assert _on(seen, ("audit_log",))
    assert len(_on(seen, EVENT_TABLES)) > 7  # the recount beside the checks
    with app.test_request_context():
        g.scope_room_ids, g.scope_decided = None, True
        after = page.build(db.session, db.session.get_one(Room, room.id), LAST, with_checks=True)
    assert after.changes is not None
    assert [(r.kind, r.record_id, r.what) for r in after.changes.records] == [("visit", month_visit, "void")]
    assert {c.code for c in after.changes.indicators} >= {"visits.total"}


@pytest.mark.both_databases
def test_postgresql_connections_compile_nothing(app: Flask, backend: str) -> None:
    """JIT off: compiling cost 0.1-0.5 s a statement on a long history, for queries of milliseconds."""
    if backend == "sqlite":  # nothing to switch off; the setting is PostgreSQL's alone
        assert "options" not in engine_options("sqlite:///x.db")["connect_args"]
        return
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("SHOW jit")).scalar() == "off"


def test_every_pdf_of_a_thread_shares_one_font_configuration(app: Flask) -> None:
    first = pdf._font_config()
    with app.app_context():
        assert pdf.render_pdf("<html><body><p>Side 1</p></body></html>").startswith(b"%PDF")
    assert pdf._font_config() is first


def test_the_records_changed_after_approval_cost_a_statement_per_kind_however_much_was_recorded_since(
    app: Flask, world: World
) -> None:
    """Every capture after the approval leaves an audit entry; listing the month's changed records joins the
    entries to their records in SQL (one statement per kind), not one look-up per entry."""
    changed = _change_after_approval(app, world)

    def listed() -> tuple[list[tuple[str, int, str]], int]:
        with app.test_request_context():
            g.scope_room_ids, g.scope_decided = None, True
            room = db.session.get_one(Room, world.room.id)
            with statements(app) as seen:
                found = approval_changes.record_changes(db.session, room, world.month, utcnow() - dt.timedelta(days=1))
            return [(r.kind, r.record_id, r.what) for r in found], len(seen)

    before, cost = listed()
    assert before == [
        ("emergency", world.emergency.id, "correct"),
        ("consumption", world.consumption.id, "void"),
        ("visit", changed.visit_id, "create"),
    ]
    with app.test_request_context():
        g.scope_room_ids, g.scope_decided = None, True
        room, lead = db.session.get_one(Room, world.room.id), db.session.get_one(User, world.lead.id)
        for n in range(5):  # today's captures: later than the approved month, each with its audit entry
            stamp = event_times.resolve(db.session, room, lead, utcnow() - dt.timedelta(minutes=n))
            visits.anonymous_visit(db.session, room, lead, stamp, key=f"later-{n}", payload_hash="")
        db.session.commit()
    after, cost_after = listed()
    assert after == before
    assert cost_after == cost == len(EVENT_KINDS)
