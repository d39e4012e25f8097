"""A range whose own blocks hide a cell is shown when other visible figures give it exactly (#10 items 3, 5)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from roomlog.reporting.periods import Period
from roomlog.reporting.publication.intervals import Links, range_sum
from roomlog.reporting.publication.read import derived_table
from roomlog.reporting.publication.store import OPEN_MARK, Stored, StoredCell
from roomlog.reporting.publication.units import Key, RoomInfo
from roomlog.reporting.windows import Window
from tests.support.factories import Factory
from tests.support.worlds import World, bearer, build_world

ROOM = RoomInfo(1, "A", "101", "København", dt.date(2021, 1, 1))
CODE = "consumptions.total"


def _m(month: int, year: int = 2025) -> dt.date:
    return dt.date(year, month, 1)


def test_a_partial_quarter_is_the_quarter_minus_its_other_month() -> None:
    figures = [(_m(4), _m(6), 21), (_m(6), _m(6), 9), (_m(1), _m(3), 30)]
    assert range_sum(figures, _m(4), _m(5)) == 12  # Q2 - June
    assert range_sum(figures, _m(1), _m(5)) == 42  # Q1 + Q2 - June
    assert range_sum(figures, _m(5), _m(5)) is None  # April and May apart: not given
    assert range_sum(figures, _m(4), _m(6)) == 21


def test_links_agree_with_brute_force_sums_on_random_calendars() -> None:
    rng = random.Random(7)
    for _ in range(200):
        values = [rng.randint(0, 30) for _ in range(24)]  # two years of months
        cells = [(m, m) for m in range(24)]
        cells += [(q, q + 2) for q in range(0, 24, 3)] + [(0, 11), (12, 23)]
        shown = [c for c in cells if rng.random() < 0.6]
        links = Links()
        for a, b in shown:
            links.join(a, b + 1, sum(values[a : b + 1]))
        for a in range(24):
            for b in range(a, 24):
                found = links.difference(a, b + 1)
                if found is not None:
                    assert found == sum(values[a : b + 1])
        # Every shown figure is given by the links (a range made of shown figures is always known).
        assert all(links.difference(a, b + 1) == sum(values[a : b + 1]) for a, b in shown)


def _stored(label: str, value: int | None, hidden: bool = False) -> Stored:
    cell = StoredCell(None if hidden else Decimal(value or 0), hidden, "known", None)
    return Stored(label, 1, False, 5, {(ROOM.unit, OPEN_MARK): cell, (ROOM.unit, CODE): cell}, 1)


@pytest.mark.parametrize("june_hidden", [False, True])
def test_a_range_with_a_hidden_month_is_shown_only_when_visible_figures_give_it(june_hidden: bool) -> None:
    april, may = _stored("2025-04", 3, hidden=True), _stored("2025-05", 9)
    others = [april, may, _stored("2025-06", 9, hidden=june_hidden), _stored("2025-Q2", 21)]
    window = Window("2025-04..2025-05", Period(_m(4), _m(5)))
    table = derived_table(window, [april, may], [ROOM], 5, [CODE], others=others)
    cell = table.cell(ROOM.unit, CODE)
    if june_hidden:
        assert cell.suppressed and cell.value is None
    else:
        assert not cell.suppressed and cell.value == 12
    # Without the other figures it stays hidden, as before.
    assert derived_table(window, [april, may], [ROOM], 5, [CODE]).cell(ROOM.unit, CODE).suppressed


def test_a_since_opening_figure_is_shown_as_the_same_range_asked_for_directly() -> None:
    parts = [_stored("2024", 100), _stored("2025-Q1", 30), _stored("2025-04", 3, hidden=True), _stored("2025-05", 9)]
    labels = [p.label for p in parts]
    others = [*parts[2:], _stored("2025-06", 9), _stored("2025-Q2", 21)]
    window = Window("2024-01..2025-05", Period(_m(1, 2024), _m(5)))
    since = derived_table(window, parts, [ROOM], 5, [CODE], labels=labels, partial=True, others=others)
    cell = since.cell(ROOM.unit, CODE)
    assert (cell.value, cell.suppressed, cell.coverage) == (142, False, "2024-01")  # 100 + 30 + (21 - 9)
    alone = derived_table(window, parts, [ROOM], 5, [CODE], labels=labels, partial=True)
    assert alone.cell(ROOM.unit, CODE).suppressed
    direct = derived_table(window, parts, [ROOM], 5, [CODE], others=others).cell(ROOM.unit, CODE)
    assert direct.value == cell.value and not direct.suppressed


# Session 13 (narrow13): the same through the API, as a reader asks for it (#10 item 3).

MONTHS_Q1 = ("2021-01", "2021-02", "2021-03")
VALUES = {"Skyen": 100, "H17": 50, "Odense Stue": 20}  # consumptions each month (the world's 2021 history)


def _write_q1(dbs: Session, world: World, hidden_months: tuple[str, ...]) -> None:
    """Store 2021-01..03 and 2021-Q1 as published, with Skyen's and H17's consumptions hidden in ``hidden_months``
    (hand-picked hidden cells: the store takes them as given)."""
    from roomlog.reporting.publication import store

    rooms = {world.skyen: "101", world.h17: "101", world.odense: "461"}
    for label in (*MONTHS_Q1, "2021-Q1"):
        months = 3 if label.endswith("Q1") else 1
        exact: dict[Key, int | None] = {}
        for room, municipality in rooms.items():
            exact[(label, ("room", str(room.id)), CODE)] = VALUES[room.name] * months
            exact[(label, ("room", str(room.id)), OPEN_MARK)] = 31
            exact[(label, ("municipality", municipality), OPEN_MARK)] = 31
        exact[(label, ("municipality", "101"), CODE)] = (VALUES["Skyen"] + VALUES["H17"]) * months
        exact[(label, ("municipality", "461"), CODE)] = VALUES["Odense Stue"] * months
        exact[(label, ("national", ""), CODE)] = sum(VALUES.values()) * months
        exact[(label, ("national", ""), OPEN_MARK)] = 31
        hidden = {(label, ("room", str(r.id)), CODE) for r in (world.skyen, world.h17)}
        store.write(dbs, label, 5, exact, hidden if label in hidden_months else set())
    dbs.commit()


def _range_cells(client: FlaskClient, token: str, query: str, room_id: int) -> dict[str, tuple[object, bool]]:
    body = client.get(f"/api/v1/aggregates?{query}&indicator={CODE}", headers=bearer(token))
    assert body.status_code == 200
    return {r["period"]: (r["value"], r["suppressed"]) for r in body.get_json()["rows"] if r["room_id"] == room_id}


@pytest.mark.parametrize("granularity", ["quarter", "total"])
def test_the_api_shows_a_partial_quarter_that_the_quarter_minus_its_visible_month_gives(
    make: Factory, dbs: Session, client: FlaskClient, granularity: str
) -> None:
    """February and March of Skyen hidden, January and the quarter visible: February..March is the quarter minus
    January (300 − 100), for the nation's and the municipality's readers alike, as a partial quarter of a longer
    range or as a total."""
    world = build_world(make, dbs, publish_now=False)
    _write_q1(dbs, world, ("2021-02", "2021-03"))
    query = f"from=2021-02&to={'2021-04' if granularity == 'quarter' else '2021-03'}&granularity={granularity}"
    for token in (world.national_token, world.kbh_token):
        cells = _range_cells(client, token, query, world.skyen.id)
        assert cells["2021-02..2021-03"] == (200, False), cells
    months = _range_cells(client, world.national_token, "from=2021-01&to=2021-03&granularity=month", world.skyen.id)
    assert months == {"2021-01": (100, False), "2021-02": (None, True), "2021-03": (None, True)}


def test_the_api_keeps_a_partial_quarter_hidden_when_no_visible_figures_give_it(
    make: Factory, dbs: Session, client: FlaskClient
) -> None:
    """With January hidden too, nothing visible gives February..March (only the quarter, Jan + Feb + Mar): ``..``."""
    world = build_world(make, dbs, publish_now=False)
    _write_q1(dbs, world, MONTHS_Q1)
    for token in (world.national_token, world.kbh_token):
        cells = _range_cells(client, token, "from=2021-02&to=2021-04&granularity=quarter", world.skyen.id)
        assert cells["2021-02..2021-03"] == (None, True), cells
