"""The scale generator of ``make bench``: rows the app recounts to the generator's own counts."""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError

from bench import bare
from bench.publish_years import due_years_postgresql
from bench.setup import database_name, facts
from roomlog.calendar import service_day_of
from roomlog.cli.console import progress_lines
from roomlog.extensions import db
from roomlog.models import (
    Consumption,
    ConsumptionSubstance,
    Emergency,
    EmergencyActionRecord,
    MonthlyAggregate,
    PeriodStatus,
    Room,
    Visit,
    Visitor,
)
from roomlog.models.codes import PeriodState
from roomlog.operations import scale, scale_bulk
from roomlog.operations import scale_build as build
from roomlog.operations.scale_rows import MonthBuilder, RoomProfile, idempotency_key
from roomlog.operations.synthetic import IdAllocator
from roomlog.reporting.engine import compute
from roomlog.reporting.periods import Period
from tests.support.apps import dispose, owner_app
from tests.support.demo_db import migrated_pg_database
from tests.support.factories import Factory
from tests.support.postgres import owner_url_for

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
        assert set(result.seconds) == {"build", "insert", "approve", "commit"}
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
        assert stored == Decimal(before["visitors.new"])


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


def _plan(dialect: str) -> build.Plan:
    return build.Plan(
        key="test-pseudonym-key",
        seed=7,
        profile=SMALL,
        now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        user_id=1,
        todo=((JAN, 1, "Bench København 1"), (JAN, 2, "Bench København 2"), (FEB, 1, "Bench København 1")),
        next_ids={t.__tablename__: 10 for t in scale.rows.TABLES if t is not ConsumptionSubstance},
        cohorts={1: {}, 2: {dt.date(2024, 12, 1): [1, 2, 3]}},
        dialect=dialect,
    )


def test_a_builder_process_builds_the_same_months_as_this_process() -> None:
    here = list(build.months(_plan("sqlite"), in_process=True))
    there = list(build.months(_plan("sqlite"), in_process=False))
    assert [(m.room_id, m.month) for m in here] == [(1, JAN), (2, JAN), (1, FEB)]
    assert [(m.visitors, m.rows, m.counts) for m in there] == [(m.visitors, m.rows, m.counts) for m in here]
    # Room 1 opens in January (its opening cohort), room 2 knew visitors already (a monthly cohort);
    # ids run on across the months in the plan's order.
    assert len(here[0].visitors) > len(here[1].visitors)
    visit_ids = [row[0] for m in here for row in m.rows["visits"]]
    assert visit_ids == list(range(10, 10 + len(visit_ids)))


def test_sqlite_rows_hold_what_sqlalchemy_itself_stores() -> None:
    dialect = sqlite.dialect()
    python = next(build.build_months(_plan("postgresql")))
    stored = next(build.build_months(_plan("sqlite")))
    for table in scale.rows.TABLES:
        name = table.__tablename__
        given, converted = (
            (python.visitors, stored.visitors) if table is Visitor else (python.rows[name], stored.rows[name])
        )
        assert given or table in (Emergency, EmergencyActionRecord), name
        types = [table.__table__.c[c].type.dialect_impl(dialect) for c in scale.rows.COLUMNS[table]]
        processors = [t.bind_processor(dialect) for t in types]
        expected = [tuple(p(v) if p else v for p, v in zip(processors, row, strict=True)) for row in given]
        assert converted == expected, name


def test_idempotency_keys_are_unique_and_follow_the_row_ids() -> None:
    rng = random.Random(1)
    keys = [idempotency_key(row_id, rng) for row_id in range(1, 3000)]
    assert len(set(keys)) == len(keys) and keys == sorted(keys)
    assert all(len(k) == 32 and int(k, 16) >= 0 for k in keys)


def test_progress_lines_report_every_step_and_the_end() -> None:
    out = io.StringIO()
    advance = progress_lines("Bench data", "room-months", every=0.25, file=out)
    for done in range(1, 11):
        advance(done, 10)
    lines = out.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == [
        "Bench data: 1/10 room-months",
        "Bench data: 4/10 room-months",
        "Bench data: 7/10 room-months",
        "Bench data: 10/10 room-months",
    ]
    assert lines[-1].startswith("Bench data: 10/10 room-months (100%)") and "about 0 min left" in lines[-1]


def test_the_bench_database_name_is_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    assert database_name() == "roomlog_bench"
    monkeypatch.setenv("BENCH_PGDATABASE", "bench_sq10")
    assert database_name() == "bench_sq10"
    monkeypatch.setenv("BENCH_PGDATABASE", 'x"; DROP DATABASE roomlog; --')
    with pytest.raises(SystemExit):
        database_name()


@pytest.fixture
def migrated_owner(tmp_path: Path) -> Iterator[Flask]:
    """The owner's app on a fresh PostgreSQL database in the state ``roomlog db upgrade`` leaves (guards included)."""
    with migrated_pg_database("bulk") as url:
        owner = owner_app(tmp_path, url)
        owner.config["TEST_OWNER_URL"] = owner_url_for(url)
        yield owner
        dispose(owner)


def _guards_and_keys() -> tuple[dict[str, str], set[str]]:
    """(trigger → enabled state) of the loaded tables' own triggers, and their validated constraints' names."""
    tables = "{" + ",".join(scale_bulk.LOADED) + "}"
    triggers = dict(
        db.session.execute(
            text(
                "SELECT tgname, tgenabled FROM pg_trigger "
                "WHERE tgrelid = ANY(CAST(:t AS regclass[])) AND NOT tgisinternal"
            ),
            {"t": tables},
        ).all()
    )
    constraints = set(
        db.session.scalars(
            text("SELECT conname FROM pg_constraint WHERE conrelid = ANY(CAST(:t AS regclass[])) AND convalidated"),
            {"t": tables},
        )
    )
    return triggers, constraints


def test_the_postgresql_bulk_load_puts_every_check_back_and_its_rows_pass_them(migrated_owner: Flask) -> None:
    with migrated_owner.app_context():
        triggers, constraints = _guards_and_keys()
        result = scale.generate(db.session, key="k", rooms=1, first=FEB, seed=7, today=TODAY, profile=SMALL, bulk=True)
        db.session.commit()
        assert result.bulk is not None
        dropped = {name for _table, name, _definition in result.bulk.constraints}
        assert {"fk_visits_visitor_id_visitors", "uq_visits_idempotency_key"} <= dropped
        assert {"ix_visits_service_day", "ix_consumptions_visit_id"} <= {n for n, _d in result.bulk.indexes}
        assert _guards_and_keys() == (triggers, constraints)  # the guards on ('O'), every constraint valid
        assert set(triggers.values()) == {"O"} and {f"{t}_guard" for t in scale_bulk.GUARDED} <= set(triggers)
        assert scale_bulk.check(db.session, result.bulk) == []
        assert {"restore", "check"} <= set(result.seconds)
        # bench.publish_years on PostgreSQL finds the year whose months every room closed (February 2025).
        assert due_years_postgresql(migrated_owner.config["TEST_OWNER_URL"]) == [2025]
        room = db.session.scalar(select(Room))
        assert room is not None
        recount = _recount(room.id, FEB)
        assert {code: recount[code] for code in COUNTED} == {
            code: result.counts[(room.id, FEB)][code] for code in COUNTED
        }
        # The guard is back: a row in the locked, approved February is refused without the history-load switch.
        db.session.rollback()
        visit = db.session.scalar(select(Visit).where(Visit.service_day < MAR).limit(1))
        assert visit is not None
        with pytest.raises(DBAPIError, match="is locked"):
            db.session.execute(text("UPDATE visits SET voided = true WHERE id = :id"), {"id": visit.id})
        db.session.rollback()


def test_a_failed_bulk_load_puts_the_checks_back_and_the_guard_question_is_asked(
    migrated_owner: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with migrated_owner.app_context():
        before = _guards_and_keys()

        close = scale._close

        def fail_in_march(session: object, room: Room, month: dt.date, *args: object) -> None:
            if month == MAR:
                raise RuntimeError("approval failed")
            close(session, room, month, *args)

        monkeypatch.setattr(scale, "_close", fail_in_march)
        with pytest.raises(RuntimeError, match="approval failed"):
            scale.generate(
                db.session,
                key="k",
                rooms=1,
                first=FEB,
                today=TODAY,
                profile=SMALL,
                bulk=True,
                checkpoint=db.session.commit,  # February (and the drop) committed, March rolled back
            )
        db.session.rollback()
        assert _guards_and_keys() == before
        months = db.session.scalars(select(PeriodStatus.month)).all()
        assert months == [FEB]
        # Without the owner's history-load switch the guards stay on: the guard would refuse the load.
        with pytest.raises(RuntimeError, match="would refuse"):
            scale_bulk.guards_off(db.session)
        db.session.rollback()
        assert _guards_and_keys() == before
