"""``python -m bench.adversary``: the outside adversary's checks and LP on small synthetic harvests (no server),
and its harvest against the test world through the app (every request it makes, answered by roomlog)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from bench.adversary import (
    NATIONAL,
    Cache,
    Harvest,
    Harvester,
    Http,
    Key,
    Unit,
    blocks,
    build,
    check,
    months_between,
    report,
    solve,
)
from tests.support.factories import Factory
from tests.support.worlds import World, build_world

K = 5
ROOM1: Unit = ("room", "1")
ROOM2: Unit = ("room", "2")
MUNI: Unit = ("municipality", "101")
SUBSTANCES = [f"consumptions.substance.{s}" for s in ("heroin", "cocaine", "other")]
CODES = ["emergencies.total", "emergencies.naloxone", "consumptions.total", *SUBSTANCES, "visits.total"]


def _harvest(first: str = "2026-01", last: str = "2026-12") -> Harvest:
    out = Harvest(rooms={"1": "101", "2": "101"}, window=(first, last))
    out.indicators = set(CODES)
    out.additive = set(CODES)
    out.closed = set(months_between(first, last))
    return out


def _add(h: Harvest, unit: Unit, code: str, first: str, last: str, value: int | None, source: str = "api") -> None:
    h.add(unit, code, first, last, value, value is None, source)


def _solve(h: Harvest) -> dict[Key, tuple[float, float]]:
    return {key: (r.lo, r.hi) for key, r in solve(build(h), K, 60, log=lambda _t: None).ranges.items()}


def test_the_issues_differencing_attack_pins_december_at_one_and_says_so() -> None:
    h = _harvest()
    _add(h, ROOM1, "emergencies.naloxone", "2026-01", "2026-12", 14)  # the year
    _add(h, ROOM1, "emergencies.naloxone", "2026-01", "2026-11", 13)  # the prefix range as a total
    _add(h, ROOM1, "emergencies.naloxone", "2026-12", "2026-12", None)  # December: ..
    december = (ROOM1, "emergencies.naloxone", "2026-12", "2026-12")

    solution = solve(build(h), K, 60, log=lambda _t: None)

    assert (solution.ranges[december].lo, solution.ranges[december].hi) == (1.0, 1.0)
    text = report(h, check(h, K), solution, K, exact={december: 1.0})
    assert "**narrower than k** (max − min < 5): **1**; of them **pinned** (max = min): **1**" in text
    assert "narrower than k: **1**" in text  # with the truth: the pinned cell is a small count
    assert "| room 1 · emergencies.naloxone · 2026-12 | 1 | 1 | 1 |" in text


def test_a_protected_table_is_not_pinned() -> None:
    """Four hidden room-months whose row and column totals are shown: each is anywhere from 1 to 19."""
    h = _harvest("2026-01", "2026-02")
    for unit in (ROOM1, ROOM2):
        _add(h, unit, "visits.total", "2026-01", "2026-01", None)
        _add(h, unit, "visits.total", "2026-02", "2026-02", None)
        _add(h, unit, "visits.total", "2026-01", "2026-02", 20)
    _add(h, MUNI, "visits.total", "2026-01", "2026-01", 20)
    _add(h, MUNI, "visits.total", "2026-02", "2026-02", 20)

    found = _solve(h)

    assert len(found) == 4
    assert all(hi - lo >= K for lo, hi in found.values()), found
    exact = {(ROOM1, "visits.total", "2026-01", "2026-01"): 2.0}
    assert "**narrower than k** (max − min < 5): **0**" in report(
        h, check(h, K), solve(build(h), K, 60), K, exact=exact
    )


def test_a_muni_total_beside_one_hidden_room_pins_it_through_the_units() -> None:
    """Rooms add up to their municipality: one room hidden, the other and the total shown."""
    h = _harvest("2026-03", "2026-03")
    _add(h, ROOM1, "visits.total", "2026-03", "2026-03", None)
    _add(h, ROOM2, "visits.total", "2026-03", "2026-03", 40)
    _add(h, MUNI, "visits.total", "2026-03", "2026-03", 43)

    assert _solve(h) == {(ROOM1, "visits.total", "2026-03", "2026-03"): (3.0, 3.0)}


def test_bounds_are_not_used_as_equalities() -> None:
    """A consumption can include several substances and an emergency need not get naloxone: each is ≤ its parent."""
    h = _harvest("2026-05", "2026-05")
    _add(h, ROOM1, "consumptions.total", "2026-05", "2026-05", 10)
    _add(h, ROOM1, "consumptions.substance.heroin", "2026-05", "2026-05", None)
    _add(h, ROOM1, "consumptions.substance.cocaine", "2026-05", "2026-05", 9)
    _add(h, ROOM1, "consumptions.substance.other", "2026-05", "2026-05", 0)
    _add(h, ROOM1, "emergencies.total", "2026-05", "2026-05", 12)
    _add(h, ROOM1, "emergencies.naloxone", "2026-05", "2026-05", None)

    found = _solve(h)

    assert found[(ROOM1, "consumptions.substance.heroin", "2026-05", "2026-05")] == (1.0, 10.0)  # not 10 − 9 = 1
    assert found[(ROOM1, "emergencies.naloxone", "2026-05", "2026-05")] == (1.0, 12.0)
    assert not any(r.lo == r.hi and "substance" in r.what for r in build(h).rows)


def test_a_partition_pins_and_a_partial_one_does_not() -> None:
    """Emergency types add up to the total only when every type is published."""
    h = _harvest("2026-06", "2026-06")
    h.indicators |= {"emergencies.type.opioid", "emergencies.type.stimulant", "emergencies.type.u"}
    h.additive |= {"emergencies.type.opioid", "emergencies.type.stimulant", "emergencies.type.u"}
    _add(h, ROOM1, "emergencies.total", "2026-06", "2026-06", 30)
    _add(h, ROOM1, "emergencies.type.opioid", "2026-06", "2026-06", None)
    _add(h, ROOM1, "emergencies.type.stimulant", "2026-06", "2026-06", 27)
    _add(h, ROOM1, "emergencies.type.u", "2026-06", "2026-06", 0)
    assert _solve(h)[(ROOM1, "emergencies.type.opioid", "2026-06", "2026-06")] == (3.0, 3.0)

    h.figures = [f for f in h.figures if f.key[1] != "emergencies.type.u"]  # one type not published: not a zero
    assert _solve(h)[(ROOM1, "emergencies.type.opioid", "2026-06", "2026-06")] == (1.0, 3.0)


def test_conflicts_small_counts_markers_and_derived_figures_are_reported() -> None:
    h = _harvest("2026-01", "2026-03")
    _add(h, ROOM1, "visits.total", "2026-01", "2026-01", 120, "national api")
    _add(h, ROOM1, "visits.total", "2026-01", "2026-01", 121, "kommune csv")  # another value
    _add(h, ROOM2, "visits.total", "2026-02", "2026-02", 50, "national api")
    _add(h, ROOM2, "visits.total", "2026-02", "2026-02", None, "kommune api")  # shown vs hidden
    _add(h, ROOM1, "emergencies.total", "2026-03", "2026-03", 3, "national csv")  # a small count shown
    _add(h, ROOM1, "opening.days", "2026-03", "2026-03", 3, "national csv")  # not a count of persons or events
    _add(h, MUNI, "consumptions.total", "2026-01", "2026-01", None)
    _add(h, MUNI, "consumptions.total", "2026-01", "2026-02", 900, "since opening")  # shown over a hidden month
    _add(h, ROOM2, "consumptions.total", "2026-01", "2026-01", None)
    _add(h, ROOM2, "consumptions.total", "2026-01", "2026-03", 100)
    _add(h, ROOM2, "consumptions.total", "2026-03", "2026-03", 30)
    _add(h, ROOM2, "consumptions.total", "2026-01", "2026-02", 70)  # = the quarter − March: nothing new
    h.not_closed = {"2026-04"}
    _add(h, NATIONAL, "visits.total", "2026-03", "2026-04", 10_000, "open")  # covers a month not closed
    h.markers.append(("kommune csv", "primary"))

    checks = check(h, K)

    conflicted = {key: values for key, values in checks.conflicts}
    assert conflicted[(ROOM1, "visits.total", "2026-01", "2026-01")] == [(120, "national api"), (121, "kommune csv")]
    assert conflicted[(ROOM2, "visits.total", "2026-02", "2026-02")] == [(50, "national api"), (None, "kommune api")]
    assert checks.small == [((ROOM1, "emergencies.total", "2026-03", "2026-03"), 3, "national csv")]
    assert [key for key, _s, _p in checks.derived] == [(MUNI, "consumptions.total", "2026-01", "2026-02")]
    assert checks.differences == 1
    assert [key for key, _s in checks.not_closed] == [(NATIONAL, "visits.total", "2026-03", "2026-04")]
    text = report(h, checks, None, K)
    for line in (
        "conflicts (same figure, another value or shown vs hidden): **2**",
        "shown counts of 1..4: **1**",
        "why a cell is hidden: **1**",
        "not closed: **1**",
        "not a difference of shown cells: **1**",
    ):
        assert line in text


def test_blocks_are_the_largest_calendar_periods() -> None:
    assert blocks("2025-11", "2027-04") == [
        ("2025-11", "2025-11"), ("2025-12", "2025-12"), ("2026-01", "2026-12"), ("2027-01", "2027-03"),
        ("2027-04", "2027-04"),
    ]  # fmt: skip


@pytest.fixture
def world(make: Factory, dbs: Session) -> World:
    return build_world(make, dbs)


class _AppHttp(Http):
    """The adversary's HTTP, answered by the app through Flask's test client (no server, no port)."""

    def __init__(self, client: FlaskClient) -> None:
        super().__init__("http://localhost")
        self.client = client

    def request(
        self, url: str, headers: dict[str, str] | None = None, data: bytes | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        self.requests += 1
        path = url.removeprefix(self.base)
        answer = self.client.post(path, data=data, headers=headers) if data else self.client.get(path, headers=headers)
        return answer.status_code, dict(answer.headers), answer.data


def test_the_harvest_against_the_test_world_finds_nothing_to_object_to(client: FlaskClient, world: World) -> None:
    """Both tokens and the national page CSVs over a quarter: every figure agrees, nothing small, nothing open."""
    out = Harvest()
    http = _AppHttp(client)
    harvester = Harvester(http, Cache(None), out, log=lambda _t: None)
    for audience, token in (("national", world.national_token), ("kommune", world.kbh_token)):
        harvester.api_meta(audience, token)
    found = harvester.published_range("national", world.national_token, "2021-01", "2022-12")
    assert found == ("2021-01", "2022-12")
    out.window = ("2022-01", "2022-03")
    for audience, token in (("national", world.national_token), ("kommune", world.kbh_token)):
        harvester.api(audience, token, *out.window)
    assert harvester.login("ministeriet", "ministeriet", Factory.PASSWORD)
    harvester.pages("ministeriet", "national", *out.window)

    assert not out.failures, out.failures[:3]
    hidden = [f for f in out.figures if f.value is None]
    assert len(out.figures) > 1000 and hidden
    assert {f.source.split()[1] for f in out.figures} >= {
        "api",
        "/national/export.csv?period=2022-Q1&dialect=international",
    }
    checks = check(out, K)
    assert not (checks.conflicts or checks.small or out.markers or checks.not_closed or checks.derived)
    solution = solve(build(out), K, 120, log=lambda _t: None)
    assert solution.ranges and all(b.finished for b in solution.blocks)
