"""Append-only and locked: `roomlog audit verify`, and the PostgreSQL triggers behind the app's checks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from roomlog.database import allow_history_load, allow_retention_purge
from roomlog.database_faults import APPEND_ONLY_SQLSTATE, MONTH_LOCKED_SQLSTATE
from roomlog.extensions import db
from roomlog.models import PeriodStatus, Visit
from roomlog.models.codes import PeriodState
from roomlog.services import audit
from tests.factories import Factory
from tests.ops_support import dispose, migrated_app, scratch_pg_database


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
    with app.app_context():
        db.session.execute(text("UPDATE audit_log SET reason = 'rewritten' WHERE id = 2"))
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "entry 2: content does not match" in result.output
    assert "entry 3" not in result.output  # the chain after it still links to the stored hash


@pytest.mark.both_databases
def test_audit_verify_names_the_entry_after_a_removed_one(app: Flask, runner: FlaskCliRunner) -> None:
    _three_entries(app)
    with app.app_context():
        db.session.execute(text("DELETE FROM audit_log WHERE id = 2"))
        db.session.commit()
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


@pytest.fixture
def guarded(tmp_path: Path) -> tuple[Flask, Session, Factory]:
    """An app on a migrated scratch PostgreSQL database, so the triggers exist."""
    with scratch_pg_database("guards") as url:
        application = migrated_app(tmp_path, url)
        with application.app_context():
            session = Session(db.engine, expire_on_commit=False)
        yield application, session, Factory(session, application)
        session.close()
        dispose(application)


def _sqlstate(exc: pytest.ExceptionInfo[DBAPIError]) -> str:
    return exc.value.orig.sqlstate  # type: ignore[union-attr]


def test_postgres_audit_log_is_append_only(guarded: tuple[Flask, Session, Factory]) -> None:
    application, session, _ = guarded
    with application.app_context():
        audit.record(session, "test.action", reason="kept")
        session.commit()
    for statement in ("UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
        with pytest.raises(DBAPIError) as exc:
            session.execute(text(statement))
        session.rollback()
        assert _sqlstate(exc) == APPEND_ONLY_SQLSTATE, statement
    assert session.scalar(text("SELECT count(*) FROM audit_log")) == 1


def test_postgres_refuses_changes_in_locked_months(guarded: tuple[Flask, Session, Factory]) -> None:
    _, session, make = guarded
    room = make.room()
    old = dt.datetime(2020, 1, 15, 12, tzinfo=dt.UTC)  # long past its automatic lock date
    with pytest.raises(DBAPIError) as exc:
        make.visit(room, occurred_at=old)
    session.rollback()
    assert _sqlstate(exc) == MONTH_LOCKED_SQLSTATE
    allow_history_load(session)  # a bulk history load may insert
    visit = make.visit(room, occurred_at=old)
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


def test_postgres_event_rows_are_never_deleted_except_by_purge(guarded: tuple[Flask, Session, Factory]) -> None:
    _, session, make = guarded
    visit = make.visit(make.room())
    with pytest.raises(DBAPIError) as exc:
        session.execute(text("DELETE FROM visits WHERE id = :id"), {"id": visit.id})
    session.rollback()
    assert _sqlstate(exc) == APPEND_ONLY_SQLSTATE
    allow_retention_purge(session)
    session.execute(text("DELETE FROM visits WHERE id = :id"), {"id": visit.id})
    session.commit()
    assert session.scalar(text("SELECT count(*) FROM visits")) == 0


def test_a_trigger_refusal_is_a_409_with_a_clear_message(guarded: tuple[Flask, Session, Factory]) -> None:
    application, session, make = guarded
    room = make.room()
    allow_history_load(session)
    visit = make.visit(room, occurred_at=dt.datetime(2020, 1, 15, 12, tzinfo=dt.UTC))

    @application.post("/_test/void/<int:visit_id>")
    def void(visit_id: int) -> str:
        db.session.execute(update(Visit).where(Visit.id == visit_id).values(voided=True, void_reason="x"))
        db.session.commit()
        return "voided"

    void.is_public = True  # type: ignore[attr-defined]
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
def test_demo_history_loads_past_the_postgres_month_locks(guarded: tuple[Flask, Session, Factory]) -> None:
    """`roomlog demo` writes synthetic history into locked months: it may, for its own transaction only."""
    application, session, _ = guarded
    result = application.test_cli_runner().invoke(args=["demo", "--months", "2"])
    assert result.exit_code == 0, result.output
    assert session.scalar(text("SELECT count(*) FROM visits")) > 0
    assert session.scalar(text("SELECT current_setting('roomlog.history_load', true)")) in (None, "", "off")
