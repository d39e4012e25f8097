"""History import plausibility (issue #11 item 8): every refusal names its line; all or nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from roomlog.extensions import db
from roomlog.models import MonthlyHistory, YearlyHistory
from roomlog.reporting import compute, periods
from roomlog.services.history import HistoryImportError, parse
from tests.support.factories import Factory

HEAD = "room,month,indicator,value\n"
NOW = dt.date(2026, 3, 1)


@pytest.fixture
def vejle(make: Factory):
    return make.room("Vejle", municipality="630", opened_on=dt.date(2021, 3, 1))


def _errors(room, *lines: str, stored=None) -> dict[int, str]:
    with pytest.raises(HistoryImportError) as caught:
        parse([HEAD, *(ln + "\n" for ln in lines)], [room], current=NOW, stored=stored)
    out: dict[int, str] = {}
    for number, message in caught.value.errors:
        out[number] = out.get(number, "") + message
    return out


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "history.csv"
    path.write_text(HEAD + "".join(ln + "\n" for ln in lines), encoding="utf-8")
    return path


def _stored(make: Factory) -> int:
    make.session.expire_all()
    monthly = make.session.scalar(select(func.count()).select_from(MonthlyHistory)) or 0
    return monthly + (make.session.scalar(select(func.count()).select_from(YearlyHistory)) or 0)


@pytest.mark.rollback
def test_months_and_years_before_the_room_opened_are_refused(vejle) -> None:
    errors = _errors(
        vejle,
        "Vejle,2021-02,visits.total,10",
        "Vejle,2021-03,visits.total,10",
        "Vejle,2006-11,consumptions.total,10",
        "Vejle,2020,visitors.unique,10",
    )
    assert set(errors) == {2, 4, 5}
    assert "2021-02 is before Vejle opened (2021-03)" in errors[2]
    assert "before Vejle opened" in errors[4] and "before Vejle opened" in errors[5]


@pytest.mark.rollback
def test_a_part_above_its_whole_is_refused_on_its_line(vejle) -> None:
    errors = _errors(
        vejle,
        "Vejle,2022-01,emergencies.total,10",
        "Vejle,2022-01,emergencies.acute_treatments,8",
        "Vejle,2022-01,emergencies.naloxone,999",
        "Vejle,2022-02,consumptions.total,100",
        "Vejle,2022-02,consumptions.route.inject,70",
        "Vejle,2022-02,consumptions.route.smoke,40",
        "Vejle,2022-03,emergencies.acute_treatments,12",
        "Vejle,2022-03,emergencies.total,11",
        "Vejle,2022-04,visitors.new,30",
        "Vejle,2022-04,visitors.unique,20",
    )
    assert set(errors) == {4, 6, 8, 10}
    assert "emergencies.naloxone = 999 is larger than emergencies.total = 10 (line 2)" in errors[4]
    assert "consumptions.route.* add up to 110 (lines 6, 7), more than consumptions.total = 100" in errors[6]
    assert "emergencies.acute_treatments = 12 is larger than emergencies.total = 11 (line 9)" in errors[8]
    assert "visitors.new = 30 is larger than visitors.unique = 20" in errors[10]


@pytest.mark.rollback
def test_a_part_is_checked_against_a_whole_imported_before(vejle) -> None:
    stored = {(vejle.id, dt.date(2022, 1, 1), False, "referrals.total"): 5}
    errors = _errors(vejle, "Vejle,2022-01,referrals.kind.treatment,6", stored=stored)
    assert "referrals.kind.treatment = 6 is larger than referrals.total = 5 (already imported)" in errors[2]
    # the file's own value replaces the stored one
    parse([HEAD, "Vejle,2022-01,referrals.total,9\n", "Vejle,2022-01,referrals.kind.treatment,6\n"], [vejle],
          current=NOW, stored=stored)  # fmt: skip


@pytest.mark.rollback
@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("Vejle,2022-01,visits.total,9999999", "not plausible for one room in 2022-01 (at most 62000)"),
        ("Vejle,2022-02,opening.days,29", "at most 28"),
        ("Vejle,2022-01,visits.total,-3", "not a whole number from 0 up"),
        ("Vejle,2022-01,visits.total,99999999999999999999", "not a whole number from 0 up"),
        ("Vejle,2022-01,visitors.unique,50000", "at most 20000"),
        ("Vejle,2022,visits.total,5000", "only visitors.* indicators take a whole year"),
        ("Vejle,2026,visitors.unique,50", "year 2026 is not over yet"),
        ("Vejle,2031-11,visits.total,5", "in the future"),
        ("Vejle,999,visits.total,5", "is not YYYY-MM"),
    ],
)
def test_absurd_values_and_periods_are_refused_with_a_clear_message(vejle, line: str, words: str) -> None:
    assert words in _errors(vejle, line)[2]


def test_a_yearly_unique_visitor_figure_is_accepted_stored_and_shown(
    app, make: Factory, runner: FlaskCliRunner, tmp_path: Path, vejle
) -> None:
    months = [f"Vejle,2022-{m:02d},visits.total,{100 + m}" for m in range(1, 13)]
    months += [f"Vejle,2022-{m:02d},visitors.unique,{40 + m}" for m in range(1, 13)]
    path = _write(tmp_path, *months, "Vejle,2022,visitors.unique,140", "Vejle,2022,visitors.new,60")
    checked = runner.invoke(args=["import-history", str(path), "--check"])
    assert checked.exit_code == 0 and "26 lines are valid" in checked.output
    assert _stored(make) == 0
    result = runner.invoke(args=["import-history", str(path)])
    assert result.exit_code == 0, result.output
    assert "for 12 room-months and 1 room-years" in result.output
    make.session.expire_all()
    row = make.session.scalars(select(YearlyHistory).where(YearlyHistory.indicator == "visitors.unique")).one()
    assert (row.room_id, row.year, row.value) == (vejle.id, 2022, 140)
    with app.app_context():
        year = compute(db.session, [vejle.id], periods.year(2022)).per_room[vejle.id]
        quarter = compute(db.session, [vejle.id], periods.quarter(2022, 1)).per_room[vejle.id]
        month = compute(db.session, [vejle.id], periods.month("2022-03")).per_room[vejle.id]
    assert (year["visitors.unique"], year["visitors.new"], year["visits.total"]) == (140, 60, 1278)
    assert quarter["visitors.unique"] is None  # cannot be recounted from months
    assert month["visitors.unique"] == 43
    again = runner.invoke(args=["import-history", str(_write(tmp_path, "Vejle,2022,visitors.unique,150"))])
    assert again.exit_code == 0 and "1 replaced" in again.output


@pytest.mark.rollback
def test_a_year_with_fewer_visitors_than_one_of_its_months_is_refused(vejle) -> None:
    errors = _errors(vejle, "Vejle,2022-05,visitors.unique,90", "Vejle,2022,visitors.unique,80")
    assert set(errors) == {3}
    assert "fewer than 90 in 2022-05 (line 2)" in errors[3]


def test_one_refusal_imports_nothing_and_the_cli_names_every_line(
    make: Factory, runner: FlaskCliRunner, tmp_path: Path, vejle
) -> None:
    path = _write(
        tmp_path,
        "Vejle,2022,visitors.unique,140",
        "Vejle,2022-01,visits.total,100",
        "Vejle,2020-12,visits.total,100",
        "Vejle,2022-01,visits.anonymous,101",
    )
    for args in (["import-history", str(path), "--check"], ["import-history", str(path)]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1
        assert f"{path}:4: 2020-12 is before Vejle opened (2021-03)" in result.output
        assert f"{path}:5: visits.anonymous = 101 is larger than visits.total = 100 (line 3)" in result.output
        assert "2 problem(s) found. Nothing was imported." in result.output
    assert _stored(make) == 0


def test_a_second_file_is_checked_against_the_first(
    make: Factory, runner: FlaskCliRunner, tmp_path: Path, vejle
) -> None:
    first = _write(tmp_path, "Vejle,2022-01,emergencies.total,8", "Vejle,2022-05,visitors.unique,90")
    assert runner.invoke(args=["import-history", str(first)]).exit_code == 0
    second = _write(tmp_path, "Vejle,2022-01,emergencies.naloxone,999", "Vejle,2022,visitors.unique,80")
    result = runner.invoke(args=["import-history", str(second), "--check"])
    assert result.exit_code == 1
    assert (
        f"{second}:2: emergencies.naloxone = 999 is larger than emergencies.total = 8 (already imported)"
        in result.output
    )
    assert (
        f"{second}:3: visitors.unique for Vejle 2022 is 80, fewer than 90 in 2022-05 (already imported)"
        in result.output
    )
    assert _stored(make) == 2
