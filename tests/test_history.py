"""History import: all lines or none, line numbers, replacement, and since-opening figures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from roomlog.extensions import db
from roomlog.models import MonthlyHistory
from roomlog.models.codes import Role
from roomlog.reporting import compute, periods
from roomlog.services.history import HistoryImportError, parse
from tests.support.factories import Factory


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "history.csv"
    path.write_text(text, encoding="utf-8")
    return path


def history_count(make: Factory) -> int:
    make.session.expire_all()
    return make.session.scalar(select(func.count()).select_from(MonthlyHistory)) or 0


@pytest.mark.both_databases
def test_one_bad_line_applies_nothing_and_names_the_line(
    make: Factory, runner: FlaskCliRunner, tmp_path: Path, backend: str
) -> None:
    room = make.room("Skyen", opened_on=dt.date(2018, 1, 1))
    path = write(
        tmp_path,
        "room,month,indicator,value\n"
        f"Skyen,2019-01,visits.total,1200\n"
        f"{room.id},2019-01,consumptions.total,1500\n"
        "Skyen,2019-02,visits.totl,1100\n"
        "skyen,2019-02,emergencies.acute_treatments,7\n",
    )
    result = runner.invoke(args=["import-history", str(path)])
    assert result.exit_code == 1
    assert f"{path}:4: unknown indicator code 'visits.totl'" in result.output
    assert "Nothing was imported" in result.output
    assert history_count(make) == 0


@pytest.mark.rollback
def test_every_kind_of_error_is_reported_with_its_line(make: Factory, app) -> None:
    room = make.room("Skyen", opened_on=dt.date(2018, 1, 1))
    lines = [
        "room,month,indicator,value\n",
        "Nowhere,2019-01,visits.total,1\n",
        "Skyen,2019-13,visits.total,1\n",
        "Skyen,2019-01,visits.total,-4\n",
        "Skyen,2019-01,visits.total,1.5\n",
        "Skyen,2019-01,emergencies.per_1000_consumptions,3\n",
        "Skyen,2019-01\n",
        "Skyen,2019-01,visits.total,1\n",
        "Skyen,2019-01,visits.total,2\n",
        "Skyen,2999-01,visits.total,2\n",
    ]
    with pytest.raises(HistoryImportError) as caught:
        parse(lines, [room], current=dt.date(2026, 3, 1))
    numbers = [n for n, _ in caught.value.errors]
    assert numbers == [2, 3, 4, 5, 6, 7, 9, 10]
    assert "line 8" in dict(caught.value.errors)[9]
    with pytest.raises(HistoryImportError):
        parse(["visits,total\n"], [room])
    with pytest.raises(HistoryImportError):
        parse(["room,month,indicator,value\n"], [room])


def test_reimport_replaces_and_since_opening_includes_history(
    app, make: Factory, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    room = make.room("Skyen", opened_on=dt.date(2018, 11, 1))
    make.user(Role.LEAD, rooms=[room], username="lead")
    make.visit(room, dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC))
    first = write(
        tmp_path, "\ufeffroom,month,indicator,value\nSkyen,2018-12,visits.total,100\nSkyen,2019-01,visits.total,200\n"
    )
    assert runner.invoke(args=["import-history", str(first)]).exit_code == 0
    again = write(tmp_path, "room,month,indicator,value\nSkyen,2019-01,visits.total,250\n")
    result = runner.invoke(args=["import-history", str(again)])
    assert result.exit_code == 0 and "1 replaced" in result.output
    assert history_count(make) == 2
    with app.app_context():
        since = periods.since_opening(room.opened_on, periods.month("2026-03"))
        report = compute(db.session, [room.id], since)
        assert report.per_room[room.id]["visits.total"] == 100 + 250 + 1
        assert report.state(room.id, dt.date(2019, 1, 1)).state == "history"
        assert not report.state(room.id, dt.date(2019, 1, 1)).provisional
        assert report.state(room.id, dt.date(2026, 3, 1)).provisional
        march_2019 = compute(db.session, [room.id], periods.month("2019-01")).per_room[room.id]
        assert march_2019["visits.total"] == 250 and march_2019["consumptions.total"] is None  # not imported


def test_check_flag_changes_nothing(make: Factory, runner: FlaskCliRunner, tmp_path: Path) -> None:
    make.room("Skyen", opened_on=dt.date(2018, 1, 1))
    path = write(tmp_path, "room,month,indicator,value\nSkyen,2019-01,visits.total,1\n")
    result = runner.invoke(args=["import-history", str(path), "--check"])
    assert result.exit_code == 0 and "1 lines are valid" in result.output
    assert history_count(make) == 0


def test_summary_page_counts_history_since_opening(make: Factory, runner, client, auth, tmp_path: Path) -> None:
    room = make.room("Skyen", opened_on=dt.date(2019, 1, 1))
    make.user(Role.STAFF, rooms=[room], username="s")
    make.visit(room, dt.datetime(2025, 3, 2, 12, tzinfo=dt.UTC))
    path = write(tmp_path, "room,month,indicator,value\nSkyen,2019-05,visits.total,41\n")
    assert runner.invoke(args=["import-history", str(path)]).exit_code == 0
    auth.login("s")
    page = client.get(f"/reports/{room.id}/2025-03").get_data(as_text=True)
    row = page.split('data-indicator="visits.total"', 1)[1].split("</tr>", 1)[0]
    assert row.rstrip().endswith('<td class="num">42</td>')
