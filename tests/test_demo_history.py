"""The demo's imported history: every month from 2021 known, the proposal's 2021–2022 totals."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from roomlog.calendar import add_months, format_month, month_start
from roomlog.extensions import db
from roomlog.models import MonthlyHistory, Room, YearlyHistory
from roomlog.operations.demo import history as demo_history
from roomlog.operations.demo.facts import ROOMS
from roomlog.reporting.overview import HEADLINE
from roomlog.services import history
from tests.support.apps import AuthActions
from tests.support.demo_db import SqliteDemo, demo_args, sqlite_demo_app
from tests.test_annual_national import unit_line

#: A distinct count over months of imported history is unknown by definition (history holds no
#: visitor ids); only a room's whole history year takes its imported yearly figure.
DISTINCT_OVER_MONTHS = {"visitors.unique"}


@pytest.fixture
def app(sqlite_demo: SqliteDemo, tmp_path: Path) -> Iterator[Flask]:
    """The app on a copy of the run's one ``roomlog demo --months 3`` database (conftest ``sqlite_demo``)."""
    with sqlite_demo_app(sqlite_demo, tmp_path) as application:
        yield application


@pytest.fixture
def demo(app: Flask, sqlite_demo: SqliteDemo) -> Flask:
    assert sqlite_demo.exit_code == 0, sqlite_demo.output
    return app


def _lines(app: Flask) -> tuple[list[str], list[Room]]:
    with app.app_context():
        rooms = list(db.session.scalars(select(Room)))
        names = {r.id: r.name for r in rooms}
        lines = [",".join(history.HEADER)]
        lines += [
            f"{names[h.room_id]},{format_month(h.month)},{h.indicator},{h.value}"
            for h in db.session.scalars(select(MonthlyHistory))
        ]
        lines += [
            f"{names[y.room_id]},{y.year},{y.indicator},{y.value}" for y in db.session.scalars(select(YearlyHistory))
        ]
        db.session.expunge_all()
    return lines, rooms


def test_demo_history_has_the_proposals_totals_and_is_deterministic() -> None:
    plan = demo_history.plan(ROOMS, dt.date(2026, 10, 1), 2022)
    consumptions, acute = Counter(), Counter()
    for (_, month), values in plan.items():
        consumptions[month.year] += values["consumptions.total"]
        acute[month.year] += values["emergencies.acute_treatments"]
        assert values["emergencies.deaths"] == 0
    assert (consumptions[2021], consumptions[2022]) == (167_932, 256_936)
    assert acute[2021] + acute[2022] == 2_048
    assert plan == demo_history.plan(ROOMS, dt.date(2026, 10, 1), 2022)


def _assert_history_passes_the_import_checks(demo: Flask, months: int, today: dt.date) -> None:
    """Every month from 2021 (or the opening) to the month before the ``months`` of activity up to ``today`` (the
    day the demo was built as of) is imported (to last month when there is one), and the import's checks pass."""
    lines, rooms = _lines(demo)
    parsed = history.parse(lines, rooms, current=month_start(today), stored={})
    last = add_months(month_start(today), -max(months, 1))
    by_name = {r.id: r.name for r in rooms}
    for spec in ROOMS:
        months = {p.month for p in parsed if by_name[p.room_id] == spec.name and not p.yearly}
        first = max(dt.date(2021, 1, 1), month_start(spec.opened))
        expected = set()
        while first <= last:
            expected.add(first)
            first = add_months(first, 1)
        assert months == expected, spec.name
    yearly = {(by_name[p.room_id], p.month.year) for p in parsed if p.yearly and p.indicator == "visitors.unique"}
    assert ("H17", 2025) in yearly and ("Vejle", 2021) not in yearly  # Vejle opened in March 2021


def _cells(html: str) -> dict[str, list[str]]:
    """Each indicator row of the national page's big table: its shown cells as text."""
    out = {}
    for code, row in re.findall(r'<tr data-indicator="([^"]+)">(.*?)</tr>', html, re.S):
        out[code] = [
            re.sub(r"<[^>]+>", "", c).replace("&nbsp;", " ").strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
    return out


def test_a_fresh_demo_has_history_and_shows_real_national_figures(
    demo: Flask, sqlite_demo: SqliteDemo, runner: FlaskCliRunner, client: FlaskClient, auth: AuthActions
) -> None:
    """One demo load (it publishes six years): history, idempotency, the national and municipal pages."""
    _assert_history_passes_the_import_checks(demo, sqlite_demo.months, sqlite_demo.today)
    before, _ = _lines(demo)
    assert runner.invoke(args=demo_args(sqlite_demo.months)).exit_code == 0
    assert sorted(_lines(demo)[0]) == sorted(before)
    auth.login("national", "north-window-cloud")
    html = client.get("/national/").get_data(as_text=True)
    headline = re.search(r'<tr class="total" data-unit="[^"]+">(.*?)</tr>', html, re.S)
    assert headline
    shown = dict(re.findall(r'data-col="([^"]+)">(.*?)</td>', headline.group(1), re.S))
    assert "unknown" not in headline.group(1), shown  # hidden (..) for disclosure is not unknown
    assert re.search(r"\d", shown["consumptions"]) and re.search(r"\d", shown["last-year"])
    assert "siden 2021-01" in shown["consumptions-since-opening"]
    cells = _cells(html)
    for code in HEADLINE:
        if code in DISTINCT_OVER_MONTHS:
            continue
        *units, last_year, _change, since = cells[code]
        assert all(c == ".." or re.search(r"\d", c) for c in (units[-1], last_year, since)), (code, cells[code])
    report = client.get("/annual/national/2022").get_data(as_text=True)
    assert unit_line(report, "national", "consumptions.total")["now"] == "256.936"
    assert unit_line(report, "national", "consumptions.total")["before"] == "167.932"
    assert unit_line(report, "national", "consumptions.total")["change"] == "+53,0 %"
    assert unit_line(report, "national", "emergencies.acute_treatments")["since"] == "2.048 siden 2021-01"
    year = client.get("/annual/national/2025").get_data(as_text=True)
    assert re.search(r"\d", unit_line(year, "national", "consumptions.total")["now"])
    auth.logout()
    auth.login("kommune", "paper-river-stone")
    page = client.get("/municipality/").get_data(as_text=True)
    assert re.search(r"\d", _cells(page)["consumptions.total"][-1])
    own = client.get("/annual/101/2025").get_data(as_text=True)
    assert 'data-state="unfinished"' not in own and "2025" in own
