"""The scale generator of ``make bench``: rows the app recounts to the generator's own counts."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from bench import bare
from bench.setup import facts
from roomlog.calendar import service_day_of
from roomlog.extensions import db
from roomlog.models import Consumption, MonthlyAggregate, PeriodStatus, Room, Visit, Visitor
from roomlog.models.codes import PeriodState
from roomlog.operations import scale
from roomlog.operations.scale_rows import IdAllocator, MonthBuilder, RoomProfile
from roomlog.reporting.engine import compute
from roomlog.reporting.periods import Period
from tests.support.apps import dispose, owner_app
from tests.support.factories import Factory

TODAY = dt.date(2025, 3, 10)
FEB, MAR, JAN = dt.date(2025, 2, 1), dt.date(2025, 3, 1), dt.date(2025, 1, 1)
SMALL = RoomProfile(visits_per_day=25)
COUNTED = (
    "visits.total",
    "visits.turned_away",
    "visits.anonymous",
    "consumptions.total",
    "emergencies.total",
    "referrals.total",
    "visitors.unique",
    "visitors.new",
)



@pytest.fixture
def maintenance(app: Flask, backend: str, tmp_path: Path) -> Iterator[Flask]:
    """The app as `roomlog bench-data` runs it: as the schema owner on PostgreSQL (bulk COPY, no RLS)."""
    if backend != "postgresql":
        yield app
        return
    owner = owner_app(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    yield owner
    dispose(owner)


def _generate(first: dt.date, seed: int = 7) -> scale.ScaleResult:
    return scale.generate(
        db.session, key="test-pseudonym-key", rooms=1, first=first, seed=seed, today=TODAY, profile=SMALL
    )


def _recount(room_id: int, month: dt.date) -> dict[str, object]:
    return dict(compute(db.session, [room_id], Period(month, month), live=True).per_room[room_id].items())


@pytest.mark.both_databases
def test_the_apps_recount_agrees_with_the_generator_and_past_months_are_approved(maintenance: Flask) -> None:
    with maintenance.app_context():
        result = _generate(FEB)
        db.session.commit()
        room = db.session.scalar(select(Room).where(Room.name == scale.ROOMS[0][0]))
        assert room is not None and room.opened_on == FEB
        assert result.months == [(room.id, FEB), (room.id, MAR)]
        for month in (FEB, MAR):
            recount = _recount(room.id, month)
            counts = result.counts[(room.id, month)]
            assert counts["consumptions.total"] > 0
            assert {code: recount[code] for code in COUNTED} == {code: counts[code] for code in COUNTED}
        states = dict(db.session.execute(select(PeriodStatus.month, PeriodStatus.state)).all())
        assert states == {FEB: PeriodState.APPROVED, MAR: PeriodState.OPEN}
        snapshot = dict(db.session.execute(select(MonthlyAggregate.indicator, MonthlyAggregate.value)).all())
        assert {m for (m,) in db.session.execute(select(MonthlyAggregate.month).distinct())} == {FEB}
        assert snapshot["consumptions.total"] == Decimal(result.counts[(room.id, FEB)]["consumptions.total"])


@pytest.mark.both_databases
def test_rows_look_like_the_apps_own(maintenance: Flask) -> None:
    with maintenance.app_context():
        _generate(FEB)
        db.session.commit()
        visits = db.session.scalars(select(Visit)).all()
        assert len({v.idempotency_key for v in visits}) == len(visits)
        cutoff = dt.time(5, 0)
        assert all(service_day_of(v.occurred_at, cutoff) == v.service_day for v in visits)
        assert all(v.occurred_at <= dt.datetime.now(dt.UTC) for v in visits)
        consumptions = db.session.scalars(select(Consumption)).all()
        assert all(c.substances and c.route is not None for c in consumptions)
        pseudonyms = db.session.scalars(select(Visitor.pseudonym)).all()
        assert all(len(p) == 64 and int(p, 16) >= 0 for p in pseudonyms)


@pytest.mark.both_databases
def test_extending_backwards_adds_only_the_missing_months_and_keeps_later_snapshots_true(maintenance: Flask) -> None:
    with maintenance.app_context():
        _generate(FEB)
        db.session.commit()
        room = db.session.scalar(select(Room))
        assert room is not None
        before = _recount(room.id, FEB)
        again = _generate(JAN)
        db.session.commit()
        assert again.months == [(room.id, JAN)]
        assert room.opened_on == JAN
        # Visitors first come in their cohort's month, so February's new visitors did not change.
        assert _recount(room.id, FEB)["visitors.new"] == before["visitors.new"]
        stored = db.session.scalar(
            select(MonthlyAggregate.value).where(
                MonthlyAggregate.month == FEB, MonthlyAggregate.indicator == "visitors.new"
            )
        )
        assert stored == Decimal(before["visitors.new"])  # type: ignore[arg-type]


def _rows(seed: str) -> dict[type, list[tuple[object, ...]]]:
    ids = IdAllocator({t: 1 for t in (Visit, Consumption, *scale.rows.TABLES)})
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    built = MonthBuilder(random.Random(seed), ids, 1, 1, SMALL).build(FEB, now, [1, 2, 3, 4], [1, 2], [4])
    return built.rows


def test_the_same_seed_gives_the_same_rows_and_another_seed_other_rows() -> None:
    assert _rows("2022:room:2025-02") == _rows("2022:room:2025-02")
    assert _rows("2022:room:2025-02") != _rows("2023:room:2025-02")


def test_plan_covers_whole_years_up_to_the_current_month() -> None:
    months = scale.plan_months(TODAY, 2)
    assert len(months) == 24 and months[0] == dt.date(2023, 4, 1) and months[-1] == MAR
    assert scale.plan_months(TODAY, 5, first=JAN) == [JAN, FEB, MAR]


def test_the_command_adds_bench_rooms(app: Flask, runner: FlaskCliRunner) -> None:
    today = dt.date.today().replace(day=1)
    result = runner.invoke(args=["bench-data", "--rooms", "2", "--from", f"{today:%Y-%m}"])
    assert result.exit_code == 0, result.output
    assert "Added 2 room-months" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Room)) == 2
    assert runner.invoke(args=["bench-data", "--from", "2025-13"]).exit_code != 0


def test_bench_data_never_goes_into_a_database_with_real_rooms(
    app: Flask, runner: FlaskCliRunner, make: Factory
) -> None:
    make.room(name="Skyen")
    result = runner.invoke(args=["bench-data", "--rooms", "1"])
    assert result.exit_code == 1
    assert "not bench rooms" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


@pytest.mark.both_databases
def test_the_bench_reads_its_facts_and_runs_its_bare_sql_on_either_database(maintenance: Flask) -> None:
    with maintenance.app_context():
        result = _generate(FEB)
        db.session.commit()
        found = facts(db.engine)
        room_id = result.months[0][0]
        assert (found.first, found.last_closed, found.busiest) == (FEB, FEB, (room_id, FEB))
        assert found.rooms == ((room_id, scale.ROOMS[0][0], "101"),)
        assert found.events > sum(c["consumptions.total"] for c in result.counts.values())
        assert bare.run_once(db.engine, [room_id], FEB, dt.date(2025, 2, 28)) > 0
