"""What one capture asks of PostgreSQL: its round trips (counted, never timed) and a chain that holds under writers."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.profile_capture import round_trips
from roomlog.extensions import db
from roomlog.models import AuditEntry, Visit
from roomlog.services import audit
from tests.support.apps import AuthActions
from tests.support.capture import key, staffed_room
from tests.support.factories import Factory


@pytest.fixture
def backend() -> str:
    return "postgresql"


def test_an_anonymous_visit_costs_seven_round_trips(
    app: Flask, make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session, tmp_path: Path
) -> None:
    room, _user = staffed_room(make, auth)

    def one() -> None:
        response = client.post(f"/rooms/{room.id}/visits/anonymous", data={"idempotency_key": key()})
        assert response.status_code == 303

    trips = round_trips(app, one, tmp_path)
    # BEGIN with the deny-all scope, the login session, the user's scope with the key, the month,
    # the visit, the audit chain (lock, tail and insert in one), COMMIT; the pool's pre-ping comes before.
    assert len(trips) == 7, "\n".join(trips)
    assert trips[0] == "\"BEGIN; SELECT set_config('roomlog.room_ids', '-1', true)\"", trips
    assert trips[2].startswith(f"\"SELECT set_config('roomlog.room_ids', '{room.id}', true); SELECT id"), trips
    assert "pg_advisory_xact_lock" in trips[5] and "INSERT INTO audit_log" in trips[5], trips
    assert trips[6] == '"COMMIT"', trips
    assert dbs.scalar(select(func.count()).select_from(Visit)) == 11
    entries = dbs.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert len(entries) >= 11 and audit.verify(entries) == []


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
    made = client.post(f"/rooms/{room.id}/visits/anonymous", data={"idempotency_key": key()})
    page = client.get(made.headers["Location"])
    assert page.status_code == 200
    other = make.room()
    assert client.get(f"/rooms/{other.id}/check-in").status_code in (403, 404)
