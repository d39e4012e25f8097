"""What one capture asks of the database: round trips (counted, never timed), a month check and a chain that hold."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from psycopg import pq
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bench.profile_capture import round_trips
from roomlog.auth.scoping import set_scope
from roomlog.calendar import month_start
from roomlog.extensions import db
from roomlog.models import AuditEntry, PeriodStatus, Room, User, Visit
from roomlog.models.codes import PeriodState, Role
from roomlog.row_security import STANDALONE_READ, write_commits
from roomlog.services import audit, visits
from roomlog.services.event_times import Stamp, current_service_day, fill, resolve
from tests.support.apps import AuthActions
from tests.support.capture import key, location_id, one_tap_visit, staffed_room
from tests.support.factories import Factory


@pytest.fixture
def backend() -> str:
    return "postgresql"


def test_an_anonymous_visit_costs_two_round_trips(
    app: Flask, make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session, tmp_path: Path
) -> None:
    room, _user = staffed_room(make, auth)

    def one() -> None:
        response = one_tap_visit(client, room)
        assert response.status_code == 303

    trips = round_trips(app, one, tmp_path)
    # The login session (before the transaction begins: no scope, no room data); then the
    # user's scope with the chain's lock, and the month, visit and audit entry in one statement
    # (no key look-up first: a key used before breaks the visit's unique key, see
    # test_capture_idempotency), sent together as one implicit transaction that the server
    # commits at the pipeline's end: no BEGIN, no COMMIT round trip. The pool's pre-ping comes
    # before. The floor app: pre-ping and four.
    assert len(trips) == 2, "\n".join(trips)
    assert trips[0].startswith('"SELECT login_sessions.id'), trips
    # Sent together in psycopg's pipeline mode, with parameters (prepared once per connection).
    # The user's scope is what lets the visit in: row-level security checks every inserted row.
    assert trips[1].startswith(
        "\"SELECT set_config('roomlog.room_ids', $1, true), pg_advisory_xact_lock(7274017)\""
        ' / "WITH made AS (INSERT INTO "visits"'
    ), trips
    assert "COMMIT" not in trips[1] and "BEGIN" not in trips[1], trips
    assert dbs.scalar(select(func.count()).select_from(Visit)) == 11
    entries = dbs.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert len(entries) >= 11 and audit.verify(entries) == []
    assert [e.entity_id for e in entries if e.action == "visit.create"] == sorted(dbs.scalars(select(Visit.id)))


@pytest.mark.both_databases
@pytest.mark.parametrize(
    ("state", "role", "status"),
    [
        (PeriodState.OPEN, Role.STAFF, 303),
        (PeriodState.APPROVED, Role.STAFF, 403),
        (PeriodState.APPROVED, Role.LEAD, 400),  # a lead must give a reason, which a one-tap visit has not
        (PeriodState.ACCEPTED, Role.LEAD, 409),
    ],
)
def test_an_anonymous_visit_in_a_month_with_a_status_gets_the_full_check(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session, state: PeriodState, role: Role, status: int
) -> None:
    # On PostgreSQL the visit's insert checks "no status row" itself; with a row, nothing is
    # written by it and the month's rules decide as before.
    room, _user = staffed_room(make, auth, role)
    month = month_start(current_service_day(room))
    dbs.add(PeriodStatus(room_id=room.id, month=month, state=state))
    dbs.commit()
    response = one_tap_visit(client, room)
    assert response.status_code == status
    assert dbs.scalar(select(func.count()).select_from(Visit)) == (1 if status == 303 else 0)
    entries = dbs.scalars(select(AuditEntry).where(AuditEntry.action == "visit.create")).all()
    assert len(entries) == (1 if status == 303 else 0)
    assert audit.verify(dbs.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()) == []


@pytest.mark.both_databases
def test_an_anonymous_visit_past_the_lock_date_is_refused(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth, Role.LEAD)
    long_ago = (current_service_day(room) - dt.timedelta(days=120)).isoformat() + "T12:00"
    response = one_tap_visit(client, room, tapped_at=long_ago)
    assert response.status_code == 409
    assert dbs.scalar(select(func.count()).select_from(Visit)) == 0


def test_a_key_used_twice_in_the_combined_insert_is_an_integrity_error(app: Flask, make: Factory, dbs: Session) -> None:
    room = make.room()
    user = make.user(Role.STAFF, rooms=[room])
    with app.test_request_context():
        g.scope_room_ids, g.scope_decided = None, True
        stamp = resolve(db.session, room, user, None, check_period=False)
        made = visits.anonymous_visit(db.session, room, user, stamp, key="k" * 32, payload_hash="h")
        db.session.commit()
        with pytest.raises(IntegrityError):
            visits.anonymous_visit(db.session, room, user, stamp, key="k" * 32, payload_hash="h")
        db.session.rollback()
        db.session.remove()
    assert dbs.scalars(select(Visit.id)).all() == [made.id]
    assert audit.verify(dbs.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()) == []


def _scoped_request(room_id: int) -> None:
    """Begin the transaction while the user is unknown (BEGIN waits), then decide the scope, as a request does."""
    db.session.connection()
    set_scope(frozenset({room_id}))


@contextmanager
def _staff_request(app: Flask, make: Factory) -> Iterator[tuple[Room, User, Stamp]]:
    """A staff member's request in a new room, its transaction begun before the scope; rolled back and removed after."""
    room = make.room()
    user = make.user(Role.STAFF, rooms=[room])
    with app.test_request_context():
        _scoped_request(room.id)
        try:
            yield room, user, resolve(db.session, room, user, None, check_period=False)
        finally:
            db.session.rollback()
            db.session.remove()


def test_a_write_that_begins_its_transaction_commits_in_its_own_round_trip(
    app: Flask, make: Factory, dbs: Session
) -> None:
    with _staff_request(app, make) as (room, user, stamp):
        driver = db.session.connection().connection.dbapi_connection
        assert driver is not None
        with write_commits():
            made = visits.anonymous_visit(db.session, room, user, stamp, key="c" * 32, payload_hash="h")
        # No BEGIN was sent: the pipeline's implicit transaction was committed at its end.
        assert driver.info.transaction_status == pq.TransactionStatus.IDLE
        assert dbs.scalars(select(Visit.id)).all() == [made.id]  # committed: another session sees it
        # A statement after it begins a new transaction, with the same scope (the scope of the
        # write's transaction ended with it: set_config(…, true)).
        assert db.session.scalar(select(func.current_setting("roomlog.room_ids", True))) == str(room.id)
        assert driver.info.transaction_status == pq.TransactionStatus.INTRANS
    assert dbs.scalars(select(Visit.id)).all() == [made.id]
    assert audit.verify(dbs.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()) == []


def test_a_write_in_a_transaction_under_way_waits_for_the_commit(app: Flask, make: Factory, dbs: Session) -> None:
    with _staff_request(app, make) as (room, user, stamp):
        db.session.scalar(select(func.count()).select_from(Visit))  # BEGIN went with this one
        with write_commits():
            visits.anonymous_visit(db.session, room, user, stamp, key="d" * 32, payload_hash="h")
        driver = db.session.connection().connection.dbapi_connection
        assert driver is not None and driver.info.transaction_status == pq.TransactionStatus.INTRANS
    # Leaving the request rolled back the visit and its entry: they were part of the open transaction.
    assert dbs.scalar(select(func.count()).select_from(Visit)) == 0
    assert dbs.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_a_failed_write_that_begins_its_transaction_leaves_nothing(app: Flask, make: Factory, dbs: Session) -> None:
    with _staff_request(app, make) as (room, user, stamp), write_commits():
        made = visits.anonymous_visit(db.session, room, user, stamp, key="e" * 32, payload_hash="h")
        with pytest.raises(IntegrityError):  # the key again: the pipeline's transaction is rolled back
            visits.anonymous_visit(db.session, room, user, stamp, key="e" * 32, payload_hash="h")
    assert dbs.scalars(select(Visit.id)).all() == [made.id]
    entries = dbs.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.entity_id for e in entries] == [made.id] and audit.verify(entries) == []


def test_a_stamp_whose_month_was_not_checked_is_refused_by_other_services(app: Flask, make: Factory) -> None:
    room = make.room()
    user = make.user(Role.STAFF, rooms=[room])
    with app.test_request_context():
        g.scope_room_ids, g.scope_decided = None, True
        stamp = resolve(db.session, room, user, None, check_period=False)
        with pytest.raises(ValueError, match="not checked"):
            fill(Visit(), room, user, stamp, "k" * 32, "h")
        db.session.remove()


def test_the_audit_chain_holds_under_concurrent_writers(app: Flask, dbs: Session) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with app.app_context():
                for i in range(8):
                    audit.record(db.session, "test.concurrent", entity="writer", entity_id=n, changes={"i": i})
                    db.session.commit()
                db.session.remove()
        except BaseException as exc:  # reported below, with the chain's own verdict
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    entries = dbs.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert len(entries) == 32
    assert audit.verify(entries) == []  # one chain: no entry chained to a tail another writer had replaced


@pytest.mark.rollback
def test_an_audit_reason_cannot_move_the_hashed_tail(app: Flask, dbs: Session) -> None:
    tricky = '"prev_hash":"' + "p" * 64 + '"'
    with app.app_context():
        entry = audit.record(db.session, "test.tricky", reason=tricky, changes={"prev_hash": "p" * 64, "x": tricky})
        db.session.commit()
        db.session.remove()
    stored = dbs.get(AuditEntry, entry.id)
    assert stored is not None and stored.reason == tricky
    assert audit.verify(dbs.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()) == []


def test_a_page_read_after_the_login_check_sees_the_users_room(
    make: Factory, client: FlaskClient, auth: AuthActions
) -> None:
    # The user's scope is sent before SQLAlchemy's next statement: without it, row-level security
    # would hide the visit (the transaction began with no rooms) and the page would be a 404.
    room, _user = staffed_room(make, auth)
    made = one_tap_visit(client, room)
    page = client.get(made.headers["Location"])
    assert page.status_code == 200
    other = make.room()
    assert client.get(f"/rooms/{other.id}/check-in").status_code in (403, 404)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_anonymous_visit_on_sqlite_costs_six_statements(
    app: Flask, make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    sent: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(" ".join(statement.split())[:70])

    one_tap_visit(client, room)  # warm: nothing differs
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = one_tap_visit(client, room)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 303
    # The login session (no write lock), BEGIN IMMEDIATE, the month, the visit, the chain's tail
    # and the audit entry; the commit is the driver's own call, not a statement. No key look-up
    # first: a key used before breaks the visit's unique key (test_capture_idempotency).
    assert len(sent) == 6, "\n".join(sent)
    assert sent[1] == "BEGIN IMMEDIATE", sent


def test_a_standalone_read_before_begin_sees_no_room_data_and_a_write_begins_first(
    app: Flask, make: Factory, client: FlaskClient, auth: AuthActions
) -> None:
    room, _user = staffed_room(make, auth)
    assert one_tap_visit(client, room).status_code == 303
    with app.test_request_context():  # a request whose user is not known yet: BEGIN waits
        marked = select(func.count()).select_from(Visit).execution_options(**{STANDALONE_READ: True})
        assert db.session.scalar(marked) == 0  # no scope at all: row-level security shows no rooms
        driver = db.session.connection().connection.dbapi_connection
        assert driver is not None and driver.info.transaction_status == pq.TransactionStatus.IDLE  # no BEGIN yet
        db.session.scalar(select(func.count()).select_from(Visit))  # not marked: BEGIN goes first
        assert driver.info.transaction_status == pq.TransactionStatus.INTRANS
        db.session.rollback()
        db.session.remove()


@pytest.mark.both_databases
def test_no_idle_logout_while_an_emergency_is_open_in_the_users_room(
    app: Flask, make: Factory, client: FlaskClient, auth: AuthActions
) -> None:
    # The check runs before the user's scope is set: on PostgreSQL it names the user's rooms for
    # that one statement (row-level security hid the emergency before, and the tablet logged out).
    room, _user = staffed_room(make, auth)
    data = {"idempotency_key": key(), "visit_id": location_id(visit_post(client, room), "visits")}
    emergency_id = location_id(client.post(f"/rooms/{room.id}/emergencies", data=data), "emergencies")
    with client.session_transaction() as session:
        session["seen"] = int(session["seen"]) - (app.config["STAFF_IDLE_MINUTES"] + 5) * 60
    assert client.get(f"/rooms/{room.id}/emergencies/{emergency_id}/timeline").status_code == 200
    other_room, _other = make.room(), None
    assert client.get(f"/rooms/{other_room.id}/check-in").status_code in (403, 404)  # the scope is the user's own
    client.post(f"/rooms/{room.id}/emergencies/{emergency_id}/outcome", data={"outcome": "recovered_on_site"})
    with client.session_transaction() as session:
        session["seen"] = int(session["seen"]) - (app.config["STAFF_IDLE_MINUTES"] + 5) * 60
    assert client.get(f"/rooms/{room.id}/").status_code == 302  # ended: the idle timeout applies again


def visit_post(client: FlaskClient, room: object) -> object:
    """Post an anonymous visit (the response)."""
    return one_tap_visit(client, room)
