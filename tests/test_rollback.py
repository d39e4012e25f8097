"""Transaction-rollback isolation (tests/support/rollback.py) does what the rolled-back tests rely on."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.orm import Session

from roomlog.auth.scoping import set_scope
from roomlog.extensions import db
from roomlog.models import Room
from tests.support import rollback
from tests.support.factories import Factory
from tests.support.postgres import owner_url_for

NAME = "Rolled back room"


def _room(suffix: str = "") -> Room:
    return Room(name=f"{NAME}{suffix}", municipality_code="101", places_injection=1, places_smoking=0)


def _rooms(session: Session) -> int:
    """Count the rooms whose name begins with NAME as ``session`` sees them."""
    return int(session.scalar(select(func.count()).select_from(Room).where(Room.name.startswith(NAME))) or 0)


def _rooms_seen_by_another_connection(app: Flask) -> int:
    """Count them as a connection of its own sees them (committed data only; as the owner: no row-level security)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    engine = create_engine(owner_url_for(url) if url.startswith("postgresql") else url)
    try:
        with Session(engine) as session:
            return _rooms(session)
    finally:
        engine.dispose()


def _commit_as_a_service_and_a_factory(app: Flask, state: rollback.RolledBack) -> list[str]:
    """One rolled-back "test": the code under test and the test's factories each add a room and commit."""
    steps: list[str] = []
    event.listen(state.connection, "savepoint", lambda _c, name: steps.append(f"savepoint {name}"))
    event.listen(state.connection, "release_savepoint", lambda _c, name, _ctx: steps.append(f"release {name}"))
    event.listen(state.connection, "commit", lambda _c: steps.append("COMMIT"))
    with app.app_context():
        db.session.add(_room())
        db.session.commit()
    own = rollback.session(app)
    assert own is not None
    Factory(own, app).room(name=f"{NAME} by make")
    own.close()
    return steps


@pytest.mark.both_databases
def test_a_commit_in_the_code_under_test_is_a_savepoint_and_the_next_test_finds_nothing(
    app: Flask, backend: str
) -> None:
    with rollback.rolled_back(app) as state:
        steps = _commit_as_a_service_and_a_factory(app, state)
        # Each commit released a savepoint; nothing was committed; the outer transaction holds both rows …
        assert [step.split()[0] for step in steps] == ["savepoint", "release", "savepoint", "release"]
        assert state.transaction.is_active
        with app.app_context():
            assert _rooms(db.session) == 2
        # … which no other connection sees.
        assert _rooms_seen_by_another_connection(app) == 0
    assert _rooms_seen_by_another_connection(app) == 0
    # The next rolled-back test on the same database starts from where the first started.
    with rollback.rolled_back(app), app.app_context():
        assert _rooms(db.session) == 0


@pytest.mark.both_databases
def test_a_rollback_in_the_code_under_test_keeps_what_was_committed_before(app: Flask, backend: str) -> None:
    with rollback.rolled_back(app), app.app_context():
        db.session.add(_room())
        db.session.commit()
        db.session.add(_room(" 2"))
        db.session.flush()
        db.session.rollback()
        assert db.session.scalars(select(Room.name).where(Room.name.startswith(NAME))).all() == [NAME]
    assert _rooms_seen_by_another_connection(app) == 0


@pytest.mark.rollback
@pytest.mark.both_databases
def test_the_marker_gives_the_app_and_the_test_one_connection(app: Flask, dbs: Session, make: Factory) -> None:
    state = rollback.joined(app)
    assert state is not None and state.transaction.is_active
    assert dbs.get_bind() is state.connection
    room = make.room(name=NAME)
    with app.app_context():
        assert db.session.get_bind() is state.connection
        assert db.session.get(Room, room.id) is not None
    assert _rooms_seen_by_another_connection(app) == 0


@pytest.mark.rollback
@pytest.mark.both_databases
def test_each_step_begins_with_the_room_scope_a_transaction_would_get(
    app: Flask, dbs: Session, make: Factory, backend: str
) -> None:
    """PostgreSQL's row-level security scope is a setting of the outer transaction: each savepoint sets it anew."""
    make.visit(make.room(name=NAME))
    count = text("SELECT count(*) FROM visits")  # raw SQL: row-level security alone, no ORM tenant filter
    with app.test_request_context():
        set_scope(frozenset())  # a request whose user has no rooms
        assert db.session.scalar(count) == (0 if backend == "postgresql" else 1)
    assert dbs.scalar(count) == 1  # the next step (outside any request) sees every room again
