"""`roomlog backup` and `roomlog restore`: a restored database equals its source, without secrets."""

from __future__ import annotations

import datetime as dt
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from roomlog import create_app
from roomlog.extensions import db
from roomlog.models import Base, MonthlyAggregate, PeriodStatus
from roomlog.models.codes import EmergencyAction, PeriodState
from roomlog.operations.backup import pg_tool
from roomlog.services import audit
from tests.support.apps import database_url, dispose, make_test_config, migrated_app
from tests.support.factories import Factory

PSEUDONYM_KEY = "test-pseudonym-key-for-tests-only-0123"


def _fill(application: Flask) -> None:
    with application.app_context():
        session = Session(db.engine, expire_on_commit=False)
    make = Factory(session, application)
    room = make.room("Skyen", opened_on=make.LONG_OPEN)  # approved 2024-03 below
    make.user("lead", rooms=[room])
    visitor = make.visitor()
    for n in range(5):
        visit = make.visit(room, visitor=visitor if n % 2 else None)
        make.consumption(visit, room)
    make.emergency(visit, room, actions=(EmergencyAction.NALOXONE, EmergencyAction.OXYGEN))
    month = dt.date(2024, 3, 1)
    session.add(PeriodStatus(room_id=room.id, month=month, state=PeriodState.APPROVED))
    for indicator, value in (("visits", 1234), ("consumptions", 2345), ("acute_treatments", 3)):
        session.add(MonthlyAggregate(room_id=room.id, month=month, indicator=indicator, value=Decimal(value)))
    audit.record(session, "month.approve", room_id=room.id, reason="test")
    session.commit()
    session.close()


def _snapshot(application: Flask) -> dict[str, object]:
    """Row counts of every table, the migration version and every monthly aggregate."""
    with application.app_context():
        counts = {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }
        version = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        aggregates = db.session.execute(
            select(
                MonthlyAggregate.room_id, MonthlyAggregate.month, MonthlyAggregate.indicator, MonthlyAggregate.value
            ).order_by(MonthlyAggregate.room_id, MonthlyAggregate.month, MonthlyAggregate.indicator)
        ).all()
        db.session.remove()
    return {"counts": counts, "version": version, "aggregates": aggregates}


def _backup_text(path: Path, backend: str) -> bytes:
    """The backup's bytes, plus (for pg_dump's compressed format) its SQL rendering."""
    raw = path.read_bytes()
    if backend == "postgresql":
        sql = subprocess.run([pg_tool("pg_restore"), "--file", "-", str(path)], capture_output=True, check=True)
        raw += sql.stdout
        assert b"COPY public.visits" in sql.stdout  # the rendering really holds the data
    return raw


@pytest.mark.both_databases
def test_backup_restores_into_an_empty_database(backend: str, tmp_path: Path) -> None:
    with database_url(backend, tmp_path, "source") as source_url, database_url(backend, tmp_path, "copy") as copy_url:
        source = migrated_app(tmp_path, source_url, PSEUDONYM_KEY=PSEUDONYM_KEY)
        _fill(source)
        expected = _snapshot(source)
        path = tmp_path / "roomlog.backup"
        result = source.test_cli_runner().invoke(args=["backup", str(path)])
        assert result.exit_code == 0, result.output
        assert PSEUDONYM_KEY.encode() not in _backup_text(path, backend)
        again = source.test_cli_runner().invoke(args=["backup", str(path)])
        assert again.exit_code == 1 and "already exists" in again.output

        target = create_app(make_test_config(tmp_path, copy_url))
        result = target.test_cli_runner().invoke(args=["restore", str(path)])
        assert result.exit_code == 0, result.output
        assert _snapshot(target) == expected
        assert expected["aggregates"] and expected["counts"]["visits"] == 5
        verify = target.test_cli_runner().invoke(args=["audit", "verify"])
        assert verify.exit_code == 0, verify.output

        refused = source.test_cli_runner().invoke(args=["restore", str(path)])
        assert refused.exit_code == 1 and "not empty" in refused.output
        dispose(source)
        dispose(target)
