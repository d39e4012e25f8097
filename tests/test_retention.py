"""`roomlog purge`: event rows of old approved months go, their approved aggregates stay."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roomlog.db_guards import allow_history_load
from roomlog.extensions import db
from roomlog.models import (
    AuditEntry,
    Consumption,
    ConsumptionSubstance,
    EmergencyActionRecord,
    MonthlyAggregate,
    PeriodStatus,
    Visit,
    Visitor,
)
from roomlog.models.codes import EmergencyAction, PeriodState
from roomlog.operations.retention import default_before
from tests.support.apps import dispose, owner_app
from tests.support.demo_db import migrated_database
from tests.support.factories import Factory


class OneTransaction(Factory):
    """Factories that only flush, so a history load stays inside one transaction."""

    def _save(self, obj: Any) -> Any:
        self.session.add(obj)
        self.session.flush()
        return obj


def _at(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def _history(application: Flask) -> dict[str, int]:
    with application.app_context():
        session = Session(db.engine, expire_on_commit=False)
    make = OneTransaction(session, application)
    allow_history_load(session)
    room = make.room("Skyen", opened_on=make.LONG_OPEN)
    gone = make.visitor(first_registered_at=_at(2019, 3, 1))
    stays = make.visitor(first_registered_at=_at(2019, 3, 1))
    for month in (3, 4):
        visit = make.visit(room, occurred_at=_at(2019, month, 10), visitor=gone)
        make.consumption(visit, room)
        make.emergency(visit, room, actions=(EmergencyAction.NALOXONE,))
        make.referral(room, visit=visit)
        make.service(room, visit=visit)
        session.add(PeriodStatus(room_id=room.id, month=dt.date(2019, month, 1), state=PeriodState.APPROVED))
        for indicator in ("visits", "consumptions"):
            session.add(
                MonthlyAggregate(room_id=room.id, month=dt.date(2019, month, 1), indicator=indicator, value=Decimal(7))
            )
    late_night = make.visit(room, occurred_at=_at(2019, 4, 30, 20), visitor=stays)
    make.consumption(late_night, room, occurred_at=_at(2019, 5, 1, 10))  # service day 1 May: kept
    make.visit(room, occurred_at=_at(2019, 5, 10), visitor=stays)  # May is not approved
    make.visit(room, visitor=stays)
    session.commit()
    ids = {"room": room.id, "gone": gone.id, "stays": stays.id, "late_night": late_night.id}
    session.close()
    return ids


def _count(application: Flask, model: type) -> int:
    with application.app_context():
        value = db.session.scalar(select(func.count()).select_from(model)) or 0
        db.session.remove()
    return value


def _aggregates(application: Flask) -> list[tuple[object, ...]]:
    with application.app_context():
        rows = db.session.execute(
            select(
                MonthlyAggregate.room_id, MonthlyAggregate.month, MonthlyAggregate.indicator, MonthlyAggregate.value
            ).order_by(MonthlyAggregate.month, MonthlyAggregate.indicator)
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]


@pytest.mark.both_databases
def test_purge_keeps_approved_aggregates_and_refuses_unapproved_months(backend: str, tmp_path: Path) -> None:
    with migrated_database(backend, tmp_path, "retention") as url:  # migrated once per process, copied
        application = owner_app(tmp_path, url)  # `roomlog purge` runs as the schema owner
        ids = _history(application)
        runner = application.test_cli_runner()
        before_aggregates = _aggregates(application)

        dry = runner.invoke(args=["purge", "--before", "2019-05", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "Would remove" in dry.output and "2019-03, 2019-04" in dry.output and "visits: 2" in dry.output
        assert _count(application, Visit) == 5

        refused = runner.invoke(args=["purge", "--before", "2019-06"])
        assert refused.exit_code == 1
        assert "2019-05: not approved" in refused.output
        assert _count(application, Visit) == 5

        done = runner.invoke(args=["purge", "--before", "2019-05"])
        assert done.exit_code == 0, done.output
        assert _aggregates(application) == before_aggregates
        assert _count(application, EmergencyActionRecord) == 0
        assert _count(application, Consumption) == 1  # the one on 1 May
        assert _count(application, ConsumptionSubstance) == 1
        with application.app_context():
            kept_visits = set(db.session.scalars(select(Visit.id)))
            visitors = set(db.session.scalars(select(Visitor.id)))
            entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "retention.purge")).one()
            db.session.remove()
        assert ids["late_night"] in kept_visits and len(kept_visits) == 3  # still referenced, May, today
        assert visitors == {ids["stays"]}
        assert entry.changes["before"] == "2019-05" and entry.changes["rows"]["visits"] == 2
        assert runner.invoke(args=["audit", "verify"]).exit_code == 0
        again = runner.invoke(args=["purge", "--before", "2019-05"])
        assert again.exit_code == 0 and "nothing to remove" in again.output
        dispose(application)


def test_default_cut_off_follows_the_retention_period() -> None:
    assert default_before(dt.date(2026, 11, 27), 5) == dt.date(2021, 11, 1)


def test_purge_rejects_a_malformed_month(runner: Any) -> None:
    result = runner.invoke(args=["purge", "--before", "2019-13"])
    assert result.exit_code == 2 and "YYYY-MM" in result.output
