"""Server side of the offline outbox and of the capture cost: owner check, tapped times, /sw.js, the lock window."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from roomlog.extensions import db
from roomlog.models import EmergencyActionRecord, Visit
from roomlog.models.codes import EmergencyAction
from tests.support.apps import AuthActions
from tests.support.capture import key, location_id, staffed_room
from tests.support.factories import Factory


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def test_an_entry_of_another_user_is_refused_and_not_saved(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, user = staffed_room(make, auth)
    response = client.post(
        f"/rooms/{room.id}/visits/anonymous", data={"idempotency_key": key(), "outbox_user": str(user.id + 1)}
    )
    assert response.status_code == 403
    assert "en anden bruger" in response.get_data(as_text=True)
    assert dbs.scalar(select(func.count()).select_from(Visit)) == 0
    mine = client.post(f"/rooms/{room.id}/visits/anonymous", data={"idempotency_key": key(), "outbox_user": user.id})
    assert location_id(mine, "visits")


def test_a_queued_tap_keeps_the_time_it_was_tapped(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    tapped = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=3)).replace(microsecond=250_000)
    data = {"idempotency_key": key(), "tapped_at": _iso(tapped)}
    visit_id = location_id(client.post(f"/rooms/{room.id}/visits/anonymous", data=data), "visits")
    again = client.post(f"/rooms/{room.id}/visits/anonymous", data=data)  # the outbox retrying
    assert location_id(again, "visits") == visit_id
    # The outbox's own stamp is not part of what the form means: a post that did arrive before the
    # connection broke, sent again with the tap time, is the same post.
    kept = {"idempotency_key": key()}
    first = location_id(client.post(f"/rooms/{room.id}/visits/anonymous", data=kept), "visits")
    later = client.post(f"/rooms/{room.id}/visits/anonymous", data={**kept, "tapped_at": _iso(tapped)})
    assert location_id(later, "visits") == first
    visit = dbs.get(Visit, visit_id)
    assert visit is not None and _utc(visit.occurred_at) == tapped and _utc(visit.recorded_at) > tapped

    opened = client.post(
        f"/rooms/{room.id}/emergencies",
        data={"idempotency_key": key(), "visit_id": visit_id, "occurred_at": _iso(tapped)},
    )
    emergency_id = location_id(opened, "emergencies")
    dose_at = tapped + dt.timedelta(seconds=42)
    client.post(
        f"/rooms/{room.id}/emergencies/{emergency_id}/actions",
        data={"idempotency_key": key(), "action": "ambulance_called", "occurred_at": _iso(dose_at)},
    )
    action = dbs.scalars(select(EmergencyActionRecord)).one()
    assert action.action == EmergencyAction.AMBULANCE_CALLED and _utc(action.occurred_at) == dose_at


def test_a_tap_in_the_future_is_refused(make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session) -> None:
    room, _user = staffed_room(make, auth)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    response = client.post(
        f"/rooms/{room.id}/visits/anonymous", data={"idempotency_key": key(), "occurred_at": _iso(later)}
    )
    assert response.status_code == 400
    assert dbs.scalar(select(func.count()).select_from(Visit)) == 0


def test_the_service_worker_is_served_from_the_root(client: FlaskClient) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript" and response.headers["Cache-Control"] == "no-store"
    assert "worker-src 'self'" in response.headers["Content-Security-Policy"]
    assert b'addEventListener("fetch"' in response.data


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        table = re.search(r"\b(?:FROM|INTO)\s+(\w+)", statement)
        seen.append(f"{statement.split()[0]} {table.group(1) if table else ''}".strip())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_the_write_lock_covers_only_the_write(
    make: Factory, client: FlaskClient, auth: AuthActions, statements: list[str]
) -> None:
    room, _user = staffed_room(make, auth)
    client.post(f"/rooms/{room.id}/visits/anonymous", data={"idempotency_key": key()})
    statements.clear()
    client.post(f"/rooms/{room.id}/visits/anonymous", data={"idempotency_key": key()})
    begin = statements.index("BEGIN")
    before, locked = statements[:begin], statements[begin + 1 :]
    # The key is not looked up first: the insert's unique key refuses a replay (tests/test_capture_idempotency.py).
    assert before == ["SELECT login_sessions"], statements
    # Under the lock: the period check, the insert and the audit chain; nothing is read again after the commit.
    assert locked == ["SELECT period_status", "INSERT visits", "SELECT audit_log", "INSERT audit_log"], statements
