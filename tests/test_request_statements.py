"""What a typical request asks of the database, counted (never timed): the count may not grow again.

Six kinds of request on both databases: a staff tablet's board, a one-tap capture, a lead's monthly
summary, an API page with a token (its rate limit on, as deployed), an anonymous page and a log-in
(throttled, as deployed). On SQLite
every statement SQLAlchemy sends; on PostgreSQL every statement the server receives (libpq's trace:
the pool's ping, ``BEGIN``, the room scope, ``COMMIT``/``ROLLBACK`` included) and the round trips.
A bound is what the request needs today (docs/testing.md, session 11): a change that adds a
statement to one of them fails here with the listing, and either removes it again or raises the
bound with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from roomlog.calendar import add_months, month_start, today_local
from roomlog.extensions import db
from roomlog.models.codes import Role
from tests.support.apps import AuthActions
from tests.support.capture import consume, key, visit
from tests.support.factories import Factory
from tests.support.postgres import owner_url_for
from tests.support.statements import Sent, statement_log
from tests.support.worlds import bearer, build_world

#: kind → (status, statements on SQLite, statements on PostgreSQL, round trips on PostgreSQL)
BOUNDS = {
    "board": (200, 7, 10, 9),
    "capture": (303, 6, 3, 2),
    "summary": (200, 26, 29, 28),
    "api": (200, 5, 9, 8),
    "anonymous": (200, 0, 0, 0),
    "login": (302, 10, 14, 12),
}


@pytest.fixture
def app_config() -> dict[str, object]:
    # The API's rate limit and the log-in throttle on, as deployed: the API's bucket is the token's, which it looks up.
    return {"RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "1000 per minute", "RATELIMIT_STORAGE_URI": "memory://"}


def _requests(app: Flask, make: Factory, dbs: Session) -> dict[str, Callable[[], TestResponse]]:
    world = build_world(make, dbs)
    room = world.skyen
    make.user(Role.STAFF, rooms=[room], username="tablet")
    make.user(Role.LEAD, rooms=[room], username="lead")
    staff, lead, anonymous = app.test_client(), app.test_client(), app.test_client()
    assert AuthActions(staff).login("tablet").status_code == 302
    assert AuthActions(lead).login("lead").status_code == 302
    for _ in range(3):  # open visits on the board, one of them consuming: loaded with the visits, not one by one
        consume(staff, room, visit(staff, room))
    month = add_months(month_start(today_local()), -1)
    return {
        "board": lambda: staff.get(f"/rooms/{room.id}/"),
        "capture": lambda: staff.post(f"/rooms/{room.id}/visits/anonymous", data={"idempotency_key": key()}),
        "summary": lambda: lead.get(f"/reports/{room.id}/{month:%Y-%m}"),
        "api": lambda: anonymous.get("/api/v1/rooms", headers=bearer(world.kbh_token)),
        "anonymous": lambda: anonymous.get("/auth/login"),
        "login": lambda: AuthActions(app.test_client()).login("tablet"),
    }


def _sent(app: Flask, tmp_path: Path, one: Callable[[], TestResponse], status: int) -> Sent:
    with statement_log(app, tmp_path) as log:
        for _ in range(6):  # the pool warm, and psycopg's prepared statements as a worker has them
            assert one().status_code == status
        with log.block() as sent:
            assert one().status_code == status
    return sent


@pytest.mark.both_databases
def test_the_statements_of_typical_requests_do_not_grow(
    app: Flask, make: Factory, dbs: Session, backend: str, tmp_path: Path
) -> None:
    found = {}
    for kind, one in _requests(app, make, dbs).items():
        status, on_sqlite, on_postgres, trips = BOUNDS[kind]
        sent = _sent(app, tmp_path / kind, one, status)
        found[kind] = (len(sent.statements), len(sent.round_trips))
        bound = on_postgres if backend == "postgresql" else on_sqlite
        assert len(sent.statements) <= bound, f"{kind}: {len(sent.statements)} > {bound}\n{sent.listing()}"
        if backend == "postgresql":
            assert len(sent.round_trips) <= trips, f"{kind}: {len(sent.round_trips)} > {trips}\n{sent.listing()}"
            assert not any(s.startswith('";"') for s in sent.statements), sent.listing()  # no ping on a quiet socket
    print(backend, found)


@pytest.mark.both_databases
def test_the_board_counts_today_in_one_statement(app: Flask, make: Factory, backend: str) -> None:
    room, other = make.room(), make.room()
    make.user(Role.STAFF, rooms=[room, other], username="tablet")
    client = app.test_client()
    AuthActions(client).login("tablet")
    visit(client, other)  # another room's records count nowhere
    first, second = visit(client, room), visit(client, room)
    consume(client, room, first)
    base = f"/rooms/{room.id}"
    assert client.post(f"{base}/visits/{second}/services", data={"idempotency_key": key(), "service": "testing"})
    assert client.post(f"{base}/visits/{second}/referrals", data={"idempotency_key": key(), "target": "gp"})
    turned = client.post(f"{base}/turn-away", data={"idempotency_key": key(), "turn_away_reason": "intoxicated"})
    assert turned.status_code == 303
    page = client.get(f"{base}/").get_data(as_text=True)
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', page))
    assert counts == {
        "visits": "2", "turned_away": "1", "consumptions": "1", "emergencies": "0", "referrals": "1", "services": "1"
    }  # fmt: skip
    assert page.count('data-action="visit"') >= 2  # the open visits, each named once loaded with the visits


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_pooled_connection_whose_backend_ended_is_replaced_before_the_request_uses_it(
    app: Flask, make: Factory, backend: str
) -> None:
    # The pool's ping asks the server only when the idle connection's socket has something to read: a
    # backend ended while the connection waited in the pool has sent its last word and closed the socket.
    room = make.room()
    make.user(Role.STAFF, rooms=[room], username="tablet")
    client = app.test_client()
    AuthActions(client).login("tablet")
    assert client.get(f"/rooms/{room.id}/").status_code == 200
    with app.app_context():
        engine = db.engine
    with engine.connect() as conn:  # the pooled connection the requests use (the pool hands it out again)
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        conn.rollback()
    from sqlalchemy import create_engine

    owner = create_engine(owner_url_for(app.config["SQLALCHEMY_DATABASE_URI"]))
    try:
        with owner.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
            conn.commit()
            alive = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
            for _ in range(100):  # until the backend is gone (it sends its last message first)
                if not conn.execute(alive, {"pid": pid}).scalar():
                    break
                conn.execute(text("SELECT pg_sleep(0.05)"))
    finally:
        owner.dispose()
    assert client.get(f"/rooms/{room.id}/").status_code == 200  # on a new connection, no error page
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid


@pytest.mark.parametrize("backend", ["postgresql"])
def test_prepared_statements_outlive_the_rollback_of_a_read_request(app: Flask, make: Factory, backend: str) -> None:
    # A request that only reads ends with a rollback; psycopg's own forgets every prepared statement, so each
    # request's statements were parsed and planned again. The login-session look-up stays prepared.
    room = make.room()
    make.user(Role.STAFF, rooms=[room], username="tablet")
    client = app.test_client()
    AuthActions(client).login("tablet")
    for _ in range(8):
        assert client.get(f"/rooms/{room.id}/").status_code == 200
    with app.app_context():
        engine = db.engine
    connections = [engine.connect() for _ in range(engine.pool.checkedin())]  # every pooled one, the request's too
    try:
        prepared = [
            statement
            for conn in connections
            for statement in conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars()
        ]
    finally:
        for conn in connections:
            conn.close()
    assert any("FROM login_sessions" in statement for statement in prepared), prepared
    assert client.get(f"/rooms/{room.id}/").status_code == 200  # and they still answer


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_write_given_up_is_rolled_back(app: Flask, make: Factory, dbs: Session, backend: str) -> None:
    from roomlog.models import Room

    room_id = make.room(name="Before").id
    with app.app_context():
        db.session.get_one(Room, room_id).name = "After"
        db.session.flush()  # sent, then given up
        db.session.rollback()
        db.session.remove()
    dbs.expire_all()
    assert dbs.get_one(Room, room_id).name == "Before"
