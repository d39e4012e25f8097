"""Append-only and locked: `roomlog audit verify`, and the PostgreSQL triggers behind the app's checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from roomlog import create_app
from roomlog.auth.scoping import set_scope
from roomlog.database_faults import APPEND_ONLY_SQLSTATE, MONTH_LOCKED_SQLSTATE
from roomlog.db_guards import allow_history_load, allow_retention_purge
from roomlog.extensions import db
from roomlog.models import PeriodStatus, Visit
from roomlog.models.codes import PeriodState
from roomlog.services import audit
from tests.support.apps import dispose, make_test_config, owner_app
from tests.support.demo_db import PgDemo, migrated_pg_database, pg_demo_database
from tests.support.factories import Factory

INSUFFICIENT_PRIVILEGE = "42501"


def _tamper(app: Flask, statement: str) -> None:
    """Change the audit log behind the app's back: on PostgreSQL only its owner could."""
    from sqlalchemy import create_engine

    with app.app_context():
        url = app.config.get("OWNER_DATABASE_URL") or db.engine.url
        if db.engine.dialect.name == "sqlite":
            db.session.execute(text(statement))
            db.session.commit()
            return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


def _three_entries(app: Flask) -> None:
    with app.app_context():
        for n in range(3):
            audit.record(db.session, "test.action", entity="thing", entity_id=n, reason=f"reason {n}")
        db.session.commit()


@pytest.mark.both_databases
def test_audit_verify_names_a_changed_entry(app: Flask, runner: FlaskCliRunner) -> None:
    _three_entries(app)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "3 entries" in result.output
    _tamper(app, "UPDATE audit_log SET reason = 'rewritten' WHERE id = 2")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "entry 2: content does not match" in result.output
    assert "entry 3" not in result.output  # the chain after it still links to the stored hash


@pytest.mark.both_databases
def test_audit_verify_names_the_entry_after_a_removed_one(app: Flask, runner: FlaskCliRunner) -> None:
    _three_entries(app)
    _tamper(app, "DELETE FROM audit_log WHERE id = 2")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "entry 3: previous hash does not match" in result.output


def test_audit_verify_with_a_recorded_hash_notices_removed_newest_entries(app: Flask, runner: FlaskCliRunner) -> None:
    _three_entries(app)
    with app.app_context():
        newest = db.session.scalar(text("SELECT hash FROM audit_log WHERE id = 3"))
    assert runner.invoke(args=["audit", "verify", "--expect", newest]).exit_code == 0
    with app.app_context():
        db.session.execute(text("DELETE FROM audit_log WHERE id = 3"))
        db.session.commit()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # the rest of the chain is intact
    result = runner.invoke(args=["audit", "verify", "--expect", newest])
    assert result.exit_code == 1 and f"hash {newest}" in result.output


class Guarded:
    """A migrated scratch PostgreSQL database (so the triggers exist), as the app role and as its owner."""

    def __init__(self, app: Flask, owner: Flask) -> None:
        self.app, self.owner_app = app, owner
        with app.app_context():
            self.session = Session(db.engine, expire_on_commit=False)
        with owner.app_context():
            self.owner = Session(db.engine, expire_on_commit=False)
        self.make = Factory(self.session, app)
        self.make_owned = Factory(self.owner, owner)

    def close(self) -> None:
        self.session.close()
        self.owner.close()
        dispose(self.app)
        dispose(self.owner_app)


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[Guarded]:
    # A copy of a database migrated once per test process (tests/support/demo_db.py), not a new migration.
    with migrated_pg_database("guards") as url:
        world = Guarded(create_app(make_test_config(tmp_path, url)), owner_app(tmp_path, url))
        yield world
        world.close()


def _sqlstate(exc: pytest.ExceptionInfo[DBAPIError]) -> str:
    return exc.value.orig.sqlstate


def test_postgres_audit_log_is_append_only(guarded: Guarded) -> None:
    with guarded.app.app_context():
        audit.record(guarded.session, "test.action", reason="kept")
        guarded.session.commit()
    for statement in ("UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
        with pytest.raises(DBAPIError) as exc:
            guarded.session.execute(text(statement))
        guarded.session.rollback()
        assert _sqlstate(exc) == INSUFFICIENT_PRIVILEGE, statement  # the app role holds no such right
        with pytest.raises(DBAPIError) as exc:
            guarded.owner.execute(text(statement))
        guarded.owner.rollback()
        assert _sqlstate(exc) == APPEND_ONLY_SQLSTATE, statement  # and the trigger stops even the owner
    assert guarded.session.scalar(text("SELECT count(*) FROM audit_log")) == 1


def test_postgres_refuses_changes_in_locked_months(guarded: Guarded) -> None:
    session, make = guarded.session, guarded.make
    room = make.room(opened_on=make.LONG_OPEN)
    old = dt.datetime(2020, 1, 15, 12, tzinfo=dt.UTC)  # long past its automatic lock date
    with pytest.raises(DBAPIError) as exc:
        make.visit(room, occurred_at=old)
    session.rollback()
    assert _sqlstate(exc) == MONTH_LOCKED_SQLSTATE
    allow_history_load(session)  # the setting opens nothing for the app role
    with pytest.raises(DBAPIError) as exc:
        make.visit(room, occurred_at=old)
    session.rollback()
    assert _sqlstate(exc) == MONTH_LOCKED_SQLSTATE
    allow_history_load(guarded.owner)  # a bulk history load, as the owner, may insert
    visit = guarded.make_owned.visit(room, occurred_at=old)
    with pytest.raises(DBAPIError) as exc:
        session.execute(update(Visit).where(Visit.id == visit.id).values(voided=True, void_reason="x"))
    session.rollback()
    assert _sqlstate(exc) == MONTH_LOCKED_SQLSTATE

    current = make.visit(room)
    session.execute(update(Visit).where(Visit.id == current.id).values(voided=True, void_reason="typo"))
    session.commit()
    session.add(PeriodStatus(room_id=room.id, month=current.service_day.replace(day=1), state=PeriodState.ACCEPTED))
    session.commit()
    with pytest.raises(DBAPIError) as exc:
        session.execute(update(Visit).where(Visit.id == current.id).values(voided=False))
    session.rollback()
    assert _sqlstate(exc) == MONTH_LOCKED_SQLSTATE


def test_postgres_event_rows_are_never_deleted_except_by_purge(guarded: Guarded) -> None:
    session, owner = guarded.session, guarded.owner
    visit = guarded.make.visit(guarded.make.room())
    allow_retention_purge(session)  # the setting opens nothing for the app role
    with pytest.raises(DBAPIError) as exc:
        session.execute(text("DELETE FROM visits WHERE id = :id"), {"id": visit.id})
    session.rollback()
    assert _sqlstate(exc) == INSUFFICIENT_PRIVILEGE
    with pytest.raises(DBAPIError) as exc:
        owner.execute(text("DELETE FROM visits WHERE id = :id"), {"id": visit.id})
    owner.rollback()
    assert _sqlstate(exc) == APPEND_ONLY_SQLSTATE
    allow_retention_purge(owner)
    owner.execute(text("DELETE FROM visits WHERE id = :id"), {"id": visit.id})
    owner.commit()
    assert session.scalar(text("SELECT count(*) FROM visits")) == 0


def test_a_trigger_refusal_is_a_409_with_a_clear_message(guarded: Guarded) -> None:
    application = guarded.app
    room = guarded.make.room(opened_on=guarded.make.LONG_OPEN)
    allow_history_load(guarded.owner)
    visit = guarded.make_owned.visit(room, occurred_at=dt.datetime(2020, 1, 15, 12, tzinfo=dt.UTC))

    @application.post("/_test/void/<int:visit_id>")
    def void(visit_id: int) -> str:
        set_scope(None)
        db.session.execute(update(Visit).where(Visit.id == visit_id).values(voided=True, void_reason="x"))
        db.session.commit()
        return "voided"

    void.is_public = True
    response = application.test_client().post(f"/_test/void/{visit.id}?lang=en", headers={"Accept": "application/json"})
    assert response.status_code == 409
    assert "locked" in response.get_json()["error"]


def test_no_code_path_deletes_event_rows_except_the_retention_purge() -> None:
    """Records are voided, never deleted: only roomlog/operations/retention.py deletes event rows."""
    import re

    from roomlog import PROJECT_ROOT
    from roomlog.models import EVENT_MODELS

    models = "|".join(model.__name__ for model in EVENT_MODELS)
    tables = "|".join(model.__tablename__ for model in EVENT_MODELS)
    pattern = re.compile(rf"delete\(\s*({models})\b|DELETE\s+FROM\s+({tables})\b|session\.delete\(", re.IGNORECASE)
    allowed = {PROJECT_ROOT / "roomlog" / "operations" / "retention.py"}
    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for path in (PROJECT_ROOT / "roomlog").rglob("*.py")
        if path not in allowed and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    assert pattern.search("session.execute(delete(Visit).where(Visit.id == 1))")  # the check can fail


@pytest.mark.slow
def test_demo_history_loads_past_the_postgres_month_locks(pg_demo: PgDemo, tmp_path: Path) -> None:
    """`roomlog demo` (as the owner) writes synthetic history into locked months, for its own transaction only.

    The run's one ``roomlog demo --months 3`` as the owner on a freshly migrated database (conftest ``pg_demo``),
    read through a copy of that database as the app role.
    """
    assert pg_demo.exit_code == 0, pg_demo.output
    with pg_demo_database(pg_demo, "guards_demo") as url:
        guarded = Guarded(create_app(make_test_config(tmp_path, url)), owner_app(tmp_path, url))
        try:
            session = guarded.session
            assert session.scalar(text("SELECT count(*) FROM visits")) > 0
            assert session.scalar(text("SELECT current_setting('roomlog.history_load', true)")) in (None, "", "off")
        finally:
            guarded.close()
