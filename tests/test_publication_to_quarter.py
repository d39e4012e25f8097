"""The national start page's year to date through the last whole quarter (issue #10 item 3).

The start page shows the year to date (2026-01..2026-10). A room's figure through a month of the quarter not yet
complete is ``..`` when that month is hidden, whatever the protection does: consecutive year-to-date figures differ by
one month. The acute treatments through the last whole quarter (2026-01..2026-09) and since opening to then are
sums of published quarters (derived from visible stored cells, nothing new), shown beside it with their range, in
Danish and English, on the page and in its CSV and XLSX downloads; ``..`` where a quarter is hidden.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from roomlog.reporting.periods import Period
from roomlog.reporting.publication.units import NATIONAL, Key
from roomlog.reporting.windows import Window, month_window, parse_label, through_last_quarter, year_window
from tests.support.apps import AuthActions
from tests.support.factories import Factory
from tests.support.worlds import World, build_world
from tests.test_aggregate_views import headline

ACUTE = "emergencies.acute_treatments"
#: Acute treatments of 2026-01..2026-10 by room: Skyen's October and H17's April, May and second quarter hidden
#: (hand-picked: the store takes hidden cells as given).
MONTHS = {
    "Skyen": (8, 9, 7, 6, 8, 10, 9, 7, 8, 2),
    "H17": (5, 6, 5, 2, 6, 5, 5, 5, 6, 6),
    "Odense Stue": (5, 0, 5, 6, 5, 5, 0, 7, 5, 6),
}
HIDDEN = {"Skyen": ("2026-10",), "H17": ("2026-04", "2026-05", "2026-Q2")}
LABELS = (*(f"2026-{m:02d}" for m in range(1, 11)), "2026-Q1", "2026-Q2", "2026-Q3")


def _value(values: tuple[int, ...], label: str) -> int:
    if "-Q" in label:
        n = int(label[-1])
        return sum(values[3 * n - 3 : 3 * n])
    return values[int(label[5:]) - 1]


def _publish(dbs: Session, world: World) -> None:
    """Store 2026-01..10 and 2026-Q1..Q3 as published (no 2026 year: the year is not complete)."""
    from roomlog.reporting.publication import store
    from roomlog.reporting.publication.store import OPEN_MARK

    rooms = {world.skyen: "101", world.h17: "101", world.odense: "461"}
    for label in LABELS:
        exact: dict[Key, int | None] = {(label, NATIONAL, OPEN_MARK): 28}
        hidden: set[Key] = set()
        for room, municipality in rooms.items():
            unit = ("room", str(room.id))
            exact[(label, unit, ACUTE)] = _value(MONTHS[room.name], label)
            exact[(label, unit, OPEN_MARK)] = 28
            exact[(label, ("municipality", municipality), OPEN_MARK)] = 28
            if label in HIDDEN.get(room.name, ()):
                hidden.add((label, unit, ACUTE))
        exact[(label, ("municipality", "101"), ACUTE)] = sum(_value(MONTHS[n], label) for n in ("Skyen", "H17"))
        exact[(label, ("municipality", "461"), ACUTE)] = _value(MONTHS["Odense Stue"], label)
        exact[(label, NATIONAL, ACUTE)] = sum(_value(v, label) for v in MONTHS.values())
        store.write(dbs, label, 5, exact, hidden)
    dbs.commit()


@pytest.fixture
def world(make: Factory, dbs: Session) -> World:
    world = build_world(make, dbs, publish_now=False)
    _publish(dbs, world)
    return world


def test_the_last_whole_quarter_of_a_range() -> None:
    ytd = Period(dt.date(2026, 1, 1), dt.date(2026, 10, 1))
    cut = through_last_quarter(Window("2026-01..2026-10", ytd))
    assert cut == Window("2026-01..2026-09", Period(dt.date(2026, 1, 1), dt.date(2026, 9, 1)))
    two = Period(dt.date(2026, 1, 1), dt.date(2026, 2, 1))
    assert through_last_quarter(Window("2026-01..2026-02", two)) is None  # no whole quarter in it
    mid = Period(dt.date(2026, 2, 1), dt.date(2026, 7, 1))
    assert through_last_quarter(Window("2026-02..2026-07", mid)) == Window(
        "2026-02..2026-06", Period(dt.date(2026, 2, 1), dt.date(2026, 6, 1))
    )
    short = Period(dt.date(2026, 2, 1), dt.date(2026, 5, 1))
    assert through_last_quarter(Window("2026-02..2026-05", short)) is None  # February..March is no whole quarter
    for whole in (year_window(2025), parse_label("2026-Q3"), month_window(dt.date(2026, 10, 1))):
        assert through_last_quarter(whole) is None
    ends_with_quarter = Period(dt.date(2026, 1, 1), dt.date(2026, 9, 1))
    assert through_last_quarter(Window("2026-01..2026-09", ends_with_quarter)) is None


@pytest.mark.parametrize("language", ["da", "en"])
def test_the_start_page_shows_acute_treatments_through_the_last_whole_quarter(
    world: World, client: FlaskClient, auth: AuthActions, language: str
) -> None:
    """Skyen's year to date is ``..`` (October hidden), its figure through 2026-09 is Q1 + Q2 + Q3 = 72; H17's second
    quarter is hidden, so its figure through 2026-09 is ``..`` too; Odense and the totals are shown."""
    auth.login("ministeriet")
    if language == "en":
        client.post("/account/language", data={"language": "en"})
    html = client.get("/national/").get_data(as_text=True)
    rows = headline(html)
    assert rows["Skyen"]["acute"] == ".."
    assert rows["Skyen"]["acute-to-quarter"] == "72"
    since = "siden" if language == "da" else "since"
    assert rows["Skyen"]["acute-since-opening-to-quarter"] == f"72 {since} 2026-01"
    assert rows["Skyen"]["acute-since-opening"] == ".."
    assert rows["H17"]["acute-to-quarter"] == rows["H17"]["acute-since-opening-to-quarter"] == ".."
    assert (rows["Odense Stue"]["acute"], rows["Odense Stue"]["acute-to-quarter"]) == ("44", "38")
    assert rows["København (101)"]["acute-to-quarter"] == "117"
    national = next(v for k, v in rows.items() if k not in ("Skyen", "H17", "Odense Stue") and "(" not in k)
    assert (national["acute"], national["acute-to-quarter"]) == ("169", "155")
    if language == "da":
        assert "Akutte behandlinger 2026-01..2026-09 (til og med sidste hele kvartal)" in html
        assert "Akutte behandlinger siden åbning til og med 2026-09" in html
        assert "summer af offentliggjorte hele kvartaler (2026-01..2026-09)" in html
    else:
        assert "Acute treatments 2026-01..2026-09 (to the last whole quarter)" in html
        assert "Acute treatments since opening to 2026-09" in html
        assert "sums of published whole quarters (2026-01..2026-09)" in html


def test_a_quarter_has_no_figure_through_the_last_quarter(world: World, client: FlaskClient, auth: AuthActions) -> None:
    auth.login("ministeriet")
    rows = headline(client.get("/national/?period=2026-Q3").get_data(as_text=True))
    assert "acute-to-quarter" not in rows["Skyen"] and rows["Skyen"]["acute"] == "24"


@pytest.mark.parametrize("dialect", ["danish", "international"])
def test_the_downloads_carry_the_figures_through_the_last_whole_quarter(
    world: World, client: FlaskClient, auth: AuthActions, dialect: str
) -> None:
    """The CSV and the XLSX: the period and since opening through 2026-09, each row with its range and role."""
    auth.login("ministeriet")
    role, since_role = (
        ("til og med sidste hele kvartal", "siden åbning til og med sidste hele kvartal")
        if dialect == "danish"
        else ("to_last_whole_quarter", "since_opening_to_last_whole_quarter")
    )
    text = client.get(f"/national/export.csv?dialect={dialect}").get_data(as_text=True).lstrip("\ufeff")
    rows = [tuple(r) for r in csv.reader(io.StringIO(text), delimiter=";" if dialect == "danish" else ",")][1:]
    book = load_workbook(io.BytesIO(client.get(f"/national/export.xlsx?dialect={dialect}").data))
    sheet = [tuple("" if v is None else str(v) for v in r) for r in book["Data"].iter_rows(min_row=2, values_only=True)]
    for found in (rows, sheet):
        acute = {(r[3], r[6]): r for r in found if r[8] == ACUTE}
        assert acute[(role, "Skyen")][1:3] == ("2026-01", "2026-09")
        assert acute[(role, "Skyen")][11] == "72" and acute[(role, "H17")][12] == ".."
        assert acute[(since_role, "Skyen")][:3] == (
            ("siden åbning" if dialect == "danish" else "since_opening"),
            "2026-01",
            "2026-09",
        )
        assert acute[(since_role, "Skyen")][11] == "72"
        period = "perioden" if dialect == "danish" else "period"
        assert acute[(period, "Skyen")][1:3] == ("2026-01", "2026-10") and acute[(period, "Skyen")][12] == ".."
