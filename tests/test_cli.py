"""The roomlog command: user and room creation, demo data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from roomlog.extensions import db
from roomlog.models import Consumption, Room, User, Visit
from roomlog.models.codes import Role
from tests.support.demo_db import SqliteDemo, demo_args, sqlite_demo_app


def test_room_and_user_create(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=[
            "room",
            "create",
            "--name",
            "Esbjerg Stue",
            "--municipality",
            "561",
            "--permit",
            "granted",
            "--permit-date",
            "2024-11-01",
            "--opened",
            "2025-02-01",
            "--places-injection",
            "3",
            "--places-smoking",
            "2",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["user", "create", "--username", "lone", "--role", "lead", "--room", "Esbjerg Stue", "--password-stdin"],
        input="en lang god sætning\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "lone"))
        assert user.role == Role.LEAD and user.rooms[0].name == "Esbjerg Stue"
        assert "sætning" not in user.password_hash


def test_user_create_reports_errors(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--username",
            "k",
            "--role",
            "municipality",
            "--municipality",
            "999",
            "--password-stdin",
        ],
        input="en lang god sætning\n",
    )
    assert result.exit_code == 1 and "no municipality with code" in result.output
    permit = ["--permit", "planned", "--permit-date", "2025-01-01"]
    result = runner.invoke(args=["room", "create", "--name", "X", "--municipality", "000", *permit])
    assert result.exit_code == 1


def test_demo_loads_once_and_prints_logins(sqlite_demo: SqliteDemo, tmp_path: Path) -> None:
    """The run's one ``roomlog demo --months 3`` on a fresh database (conftest ``sqlite_demo``), then again here."""
    assert sqlite_demo.exit_code == 0, sqlite_demo.output
    assert "staff" in sqlite_demo.output and "national" in sqlite_demo.output
    with sqlite_demo_app(sqlite_demo, tmp_path) as app:
        with app.app_context():
            rooms = set(db.session.scalars(select(Room.name)))
            assert rooms == {"Skyen", "H17", "Odense", "Aarhus", "Vejle", "Aalborg"}
            visits = db.session.scalar(select(func.count()).select_from(Visit))
            consumptions = db.session.scalar(select(func.count()).select_from(Consumption))
            assert visits > 100 and consumptions > 100
            # Built as of ``--today``: its activity ends that day (or the day before, built on that day early),
            # whatever day the tests run.
            last = db.session.scalar(select(func.max(Visit.service_day)))
            assert sqlite_demo.today - dt.timedelta(days=1) <= last <= sqlite_demo.today
            roles = set(db.session.scalars(select(User.role)))
            assert roles == set(Role)
        again = app.test_cli_runner().invoke(args=demo_args(1))
        assert again.exit_code == 0
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Visit)) == visits


def test_demo_refuses_a_today_the_domain_refuses_with_its_message_and_loads_nothing(
    app: Flask, runner: FlaskCliRunner
) -> None:
    for day in ("0001-01-01", "9999-12-31"):
        result = runner.invoke(args=["demo", "--months", "1", "--today", day])
        assert result.exit_code != 0
        assert "2020" in result.output and "2099" in result.output and "Traceback" not in result.output
    for text in ("99999999999999999999", "-5", "NaN", "2026-02-30"):
        result = runner.invoke(args=["demo", "--months", "1", "--today", text])
        assert result.exit_code == 2 and "--today" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Room)) == 0
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_demo_never_loads_into_a_database_with_data(app: Flask, runner: FlaskCliRunner) -> None:
    permit = ["--permit", "granted", "--permit-date", "2024-01-01"]
    runner.invoke(args=["room", "create", "--name", "Rigtigt rum", "--municipality", "101", *permit])
    result = runner.invoke(args=["demo", "--months", "1"])
    assert "not demo data" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Room)) == 1
