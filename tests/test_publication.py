"""The publication store: what leaves the room is closed, protected once, stored, and gives nothing away."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.auth.national_scope import national_scope
from roomlog.calendar import today_local
from roomlog.models import MonthlyHistory, Publication
from roomlog.reporting.checks import run_checks
from roomlog.reporting.publication.audit import ranges
from roomlog.reporting.publication.protect import protect_year
from roomlog.reporting.publication.units import NATIONAL, Relation, RoomInfo, relations
from tests.support.apps import AuthActions
from tests.support.factories import Factory
from tests.support.worlds import World, bearer, build_world, publish

K = 5


@pytest.fixture
def world(make: Factory, dbs: Session) -> World:
    return build_world(make, dbs)


# --- protection and the LP audit on small hand-made tables -----------------------------------


def _room(n: int, municipality: str) -> RoomInfo:
    return RoomInfo(n, f"R{n}", municipality, municipality, dt.date(2020, 1, 1))


def test_a_small_room_hides_a_sibling_and_the_municipal_headline_total_stays() -> None:
    rooms = [_room(1, "101"), _room(2, "101"), _room(3, "101"), _room(4, "461")]
    code = "consumptions.total"
    exact = {("2022", ("room", "1"), code): 2, ("2022", ("room", "2"), code): 40, ("2022", ("room", "3"), code): 35,
             ("2022", ("municipality", "101"), code): 77, ("2022", ("room", "4"), code): 50,
             ("2022", ("municipality", "461"), code): 50, ("2022", NATIONAL, code): 127}  # fmt: skip
    rels = relations(["2022"], rooms, set(exact))
    hidden = protect_year(exact, rels, K, {})
    assert ("2022", ("room", "1"), code) in hidden
    assert ("2022", ("municipality", "101"), code) not in hidden
    assert ("2022", NATIONAL, code) not in hidden
    found = ranges(exact, rels, hidden)
    assert all(hi - lo >= K for lo, hi in found.values())


def test_a_single_room_municipality_hides_a_sibling_municipality_not_the_nation() -> None:
    rooms = [_room(1, "101"), _room(2, "101"), _room(3, "461")]
    code = "emergencies.total"
    exact = {("2022-01", ("room", "1"), code): 30, ("2022-01", ("room", "2"), code): 20,
             ("2022-01", ("municipality", "101"), code): 50, ("2022-01", ("room", "3"), code): 3,
             ("2022-01", ("municipality", "461"), code): 3, ("2022-01", NATIONAL, code): 53}  # fmt: skip
    rels = relations(["2022-01"], rooms, set(exact))
    hidden = protect_year(exact, rels, K, {})
    assert ("2022-01", ("municipality", "461"), code) in hidden  # it is the room's own count
    assert ("2022-01", ("municipality", "101"), code) in hidden  # the sibling, so that …
    assert ("2022-01", NATIONAL, code) not in hidden  # … the nation stays visible


def test_earlier_decisions_are_fixed_and_the_audit_closes_what_the_heuristic_leaves() -> None:
    rooms = [_room(1, "101"), _room(2, "101")]
    code = "referrals.total"
    unit1, unit2, muni = ("room", "1"), ("room", "2"), ("municipality", "101")
    months = {"2022-01": (2, 30), "2022-02": (20, 30), "2022-03": (25, 30)}
    exact: dict = {}
    for label, (a, b) in months.items():
        exact |= {(label, unit1, code): a, (label, unit2, code): b, (label, muni, code): a + b,
                  (label, NATIONAL, code): a + b}  # fmt: skip
    # January was published before: its hidden cells are fixed.
    fixed = {k: k[1] in (unit1, unit2) for k in exact if k[0] == "2022-01"}
    exact |= {("2022-Q1", unit1, code): 47, ("2022-Q1", unit2, code): 90, ("2022-Q1", muni, code): 137,
              ("2022-Q1", NATIONAL, code): 137}  # fmt: skip
    rels = relations(["2022-01", "2022-02", "2022-03", "2022-Q1"], rooms, set(exact))
    hidden = protect_year(exact, rels, K, fixed)
    assert {k for k in fixed if fixed[k]} <= hidden
    assert not {k for k in fixed if not fixed[k]} & hidden
    # Quarter minus the visible months would give January away: something of Q1 or a later month is hidden.
    found = ranges(exact, rels, hidden)
    assert found[("2022-01", unit1, code)][1] - found[("2022-01", unit1, code)][0] >= K


# --- attacks on what the API and the downloads publish -----------------------------------------


def _api_rows(client: FlaskClient, token: str, code: str) -> list[dict]:
    urls = [f"from=2022-01&to=2022-12&granularity={g}" for g in ("month", "quarter", "year")]
    for a, b in itertools.combinations_with_replacement(range(1, 13), 2):  # every prefix, suffix and range
        if a == 1 or b == 12:
            urls.append(f"from=2022-{a:02d}&to=2022-{b:02d}&granularity=total")
    rows = []
    for query in urls:
        data = client.get(f"/api/v1/aggregates?{query}&indicator={code}", headers=bearer(token)).get_json()
        rows += data["rows"]
    return rows


def _attack(rows: list[dict]) -> dict:
    """Solve every relation between the fetched numbers; return each hidden cell's range."""

    def unit(r: dict) -> tuple[str, str]:
        if r["room_id"] is not None:
            return ("room", str(r["room_id"]))
        return ("municipality", r["municipality_code"]) if r["municipality_code"] else ("national", "")

    # An unknown cell (null, not suppressed) is no published value: the attacker cannot use it as a zero.
    cells = {(r["period"], unit(r), r["indicator"]): r for r in rows if r["value"] is not None or r["suppressed"]}
    exact = {k: (r["value"] or 0) for k, r in cells.items()}
    hidden = {k for k, r in cells.items() if r["suppressed"]}
    rels = []
    months = [f"2022-{m:02d}" for m in range(1, 13)]

    def span(label: str) -> list[str]:
        if ".." in label:
            a, b = label.split("..")
            return [m for m in months if a <= m <= b]
        if "-Q" in label:
            q = int(label[-1])
            return months[3 * q - 3 : 3 * q]
        return months if label == "2022" else [label]

    units = {k[1] for k in cells}
    codes = {k[2] for k in cells}
    for label in {k[0] for k in cells}:
        for u in units:
            for c in codes:
                parts = [(m, u, c) for m in span(label)]
                if label not in months and (label, u, c) in cells and all(p in cells for p in parts):
                    rels.append(Relation((((label, u, c), -1), *((p, 1) for p in parts)), True))
        munis = {u for u in units if u[0] == "municipality"}
        for c in codes:
            for m in munis:
                members = [
                    u for u in units if u[0] == "room" and cells.get((label, u, c), {}).get("municipality_code") == m[1]
                ]
                if (label, m, c) in cells and members:
                    rels.append(Relation((((label, m, c), -1), *(((label, u, c), 1) for u in members)), True))
            if (label, NATIONAL, c) in cells:
                rels.append(Relation((((label, NATIONAL, c), -1), *(((label, m, c), 1) for m in munis)), True))
    exact_known = {k: v for k, v in exact.items() if k not in hidden}
    return ranges(exact_known, rels, hidden)


@pytest.mark.parametrize("code", ["emergencies.total", "emergencies.acute_treatments", "consumptions.total"])
def test_no_hidden_cell_is_pinned_by_every_range_the_api_serves(client: FlaskClient, world: World, code: str) -> None:
    for token in (world.national_token, world.kbh_token):
        rows = _api_rows(client, token, code)
        assert any(r["suppressed"] for r in rows) or code == "consumptions.total"
        for key, (lo, hi) in _attack(rows).items():
            assert hi - lo >= K, (key, lo, hi)


def test_page_downloads_for_consecutive_periods_pin_nothing(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    import csv
    import io

    auth.login("kbh")
    rows = []
    for period in ("2022-01", "2022-02", "2022-03", "2022-Q1", "2022"):
        text = client.get(f"/municipality/export.csv?period={period}").get_data(as_text=True).lstrip("\ufeff")
        for r in csv.DictReader(io.StringIO(text), delimiter=";"):
            if r["Indikator"] != "emergencies.total" or r["Rolle"] != "perioden":
                continue  # since opening and last year are sums of earlier published years: not modelled here
            hidden = r["Skjult"] == ".."
            value = None if hidden or r["Værdi"] in ("", None) else int(float(r["Værdi"].replace(",", ".")))
            if not hidden and value is None:
                continue
            first, last = r["Første måned"], r["Sidste måned"]
            label = first if first == last else f"{first}..{last}"
            rows.append({"period": label, "room_id": int(r["Rum-id"]) if r["Rum-id"] else None,
                         "municipality_code": r["Kommunekode"] or None, "indicator": r["Indikator"],
                         "value": value, "suppressed": hidden})  # fmt: skip
    for key, (lo, hi) in _attack(rows).items():
        assert hi - lo >= K, (key, lo, hi)


# --- what is published, and to whom ------------------------------------------------------------


@pytest.mark.both_databases
def test_every_audience_gets_the_same_cells_whoever_asks_first(client: FlaskClient, world: World) -> None:
    url = "/api/v1/aggregates?from=2022-01&to=2022-12&granularity=month&limit=10000"  # one page each
    seen: dict[str, dict] = {}
    for name, token in (("odense", world.odense_token), ("kbh", world.kbh_token), ("national", world.national_token)):
        rows = client.get(url, headers=bearer(token)).get_json()["rows"]
        seen[name] = {
            (r["municipality_code"], r["room_id"], r["period"], r["indicator"]): (r["value"], r["suppressed"])
            for r in rows
        }
    for name in ("odense", "kbh"):
        assert seen[name] and all(seen["national"][k] == v for k, v in seen[name].items())


def test_an_open_month_never_leaves_the_room(
    make: Factory, client: FlaskClient, world: World, auth: AuthActions
) -> None:
    month = today_local().replace(day=1)
    at = dt.datetime.combine(month, dt.time(12), tzinfo=dt.UTC)
    for _ in range(7):
        make.visit(world.skyen, occurred_at=at)
    label = month.strftime("%Y-%m")
    data = client.get(
        f"/api/v1/aggregates?from={label}&to={label}&indicator=visits.total", headers=bearer(world.national_token)
    ).get_json()
    assert {r["value"] for r in data["rows"]} == {None} and {r["status"] for r in data["rows"]} == {"not_published"}
    auth.login("kbh")
    page = client.get(f"/municipality/?period={label}").get_data(as_text=True)
    assert 'data-state="not-published"' in page
    text = client.get(f"/municipality/export.csv?period={label}").get_data(as_text=True)
    assert ";7;" not in text
    assert client.get(f"/annual/101/{month.year}").status_code == 200


def _revise_history(dbs: Session, room_id: int, month: dt.date, indicator: str, value: int) -> list[str]:
    """Change one imported history value (imported a second later) and publish; returns the periods published."""
    row = dbs.scalars(
        select(MonthlyHistory).where(
            MonthlyHistory.room_id == room_id, MonthlyHistory.month == month, MonthlyHistory.indicator == indicator
        )
    ).one()
    row.value = value
    row.imported_at = row.imported_at + dt.timedelta(seconds=1)
    dbs.flush()
    return publish(dbs)


def test_a_reapproved_month_is_a_new_version_that_keeps_hidden_cells_hidden(
    make: Factory, dbs: Session, client: FlaskClient, world: World
) -> None:
    before = client.get("/api/v1/aggregates?from=2022-01&to=2022-01&indicator=emergencies.total",
                        headers=bearer(world.national_token)).get_json()  # fmt: skip
    hidden_before = {(r["room_id"], r["municipality_code"]) for r in before["rows"] if r["suppressed"]}
    assert "2022-01" in _revise_history(dbs, world.skyen.id, dt.date(2022, 1, 1), "consumptions.total", 151)
    dbs.commit()
    versions = dbs.scalars(select(Publication.version).where(Publication.period == "2022-01")).all()
    assert sorted(versions) == [1, 2]
    after = client.get("/api/v1/aggregates?from=2022-01&to=2022-01&indicator=emergencies.total",
                       headers=bearer(world.national_token)).get_json()  # fmt: skip
    assert hidden_before <= {(r["room_id"], r["municipality_code"]) for r in after["rows"] if r["suppressed"]}
    assert all(r["revised"] for r in after["rows"])


def test_an_absurd_stored_quantity_is_flagged_and_everything_else_is_served(
    make: Factory, dbs: Session, client: FlaskClient, auth: AuthActions
) -> None:
    world = build_world(make, dbs, publish_now=False)
    make.service(world.odense, quantity=-999999, occurred_at=dt.datetime(2022, 5, 10, 12, tzinfo=dt.UTC))
    publish(dbs)
    dbs.commit()
    assert any(
        c.code == "implausible_values" and c.count == 1 for c in run_checks(dbs, world.odense.id, dt.date(2022, 5, 1))
    )
    query = "from=2022-05&to=2022-05&indicator=services.naloxone_kit&indicator=consumptions.total"
    api = client.get(f"/api/v1/aggregates?{query}", headers=bearer(world.national_token))
    assert api.status_code == 200
    cell = next(
        r
        for r in api.get_json()["rows"]
        if r["room_id"] == world.odense.id and r["indicator"] == "services.naloxone_kit"
    )
    assert cell["value"] is None and cell["status"] == "unknown"
    for user, paths in (("kbh", ["/municipality/?period=2022-05", "/municipality/export.csv?period=2022",
                                 "/municipality/export.xlsx?period=2022", "/annual/101/2022", "/annual/101/2022.xlsx"]),
                        ("ministeriet", ["/national/?period=2022", "/national/export.csv?period=2022",
                                         "/annual/461/2022"])):  # fmt: skip
        auth.login(user)
        for path in paths:
            assert client.get(path).status_code == 200, path
        auth.logout()


def test_reopen_change_and_reapprove_publishes_a_revised_version(
    app: Flask, make: Factory, dbs: Session, client: FlaskClient
) -> None:
    from roomlog.calendar import add_months
    from roomlog.models.codes import EmergencyOutcome, Role
    from roomlog.services.approval import approve_month, reopen_month
    from roomlog.services.tokens import create_token

    month = add_months(today_local().replace(day=1), -1)  # finished, not locked yet
    room = make.room("Solo", "101", opened_on=month)
    lead = make.user(Role.LEAD, rooms=[room], username="solo-lead")
    token = create_token(dbs, make.user(Role.NATIONAL, username="nat")).value
    at = dt.datetime.combine(month.replace(day=10), dt.time(12), tzinfo=dt.UTC)
    visits = [make.visit(room, occurred_at=at, left_at=at + dt.timedelta(minutes=30)) for _ in range(9)]
    for visit in visits[:2]:
        make.emergency(visit, room, outcome=EmergencyOutcome.RECOVERED_ON_SITE)
    with app.app_context():
        approve_month(dbs, room, month, lead, password=None, require_password=False, backdated_reviewed=True)
    dbs.commit()
    label = month.strftime("%Y-%m")
    url = f"/api/v1/aggregates?from={label}&to={label}&indicator=emergencies.total&indicator=visits.total"

    def rows() -> dict:
        data = client.get(url, headers=bearer(token)).get_json()["rows"]
        return {(r["room_id"], r["municipality_code"], r["indicator"]): r for r in data}

    first = rows()
    assert first[(room.id, "101", "emergencies.total")]["suppressed"]  # 2 emergencies
    assert (
        first[(room.id, "101", "visits.total")]["value"] == 9 and not first[(room.id, "101", "visits.total")]["revised"]
    )
    with app.app_context():
        reopen_month(dbs, room, month, lead, "a visit was missing")
        make.visit(room, occurred_at=at, left_at=at + dt.timedelta(minutes=5))
        approve_month(dbs, room, month, lead, password=None, require_password=False, backdated_reviewed=True)
    dbs.commit()
    second = rows()
    assert second[(room.id, "101", "visits.total")]["value"] == 10
    assert all(r["revised"] for r in second.values())
    assert all(second[k]["suppressed"] for k, r in first.items() if r["suppressed"])
    assert sorted(dbs.scalars(select(Publication.version).where(Publication.period == label))) == [1, 2]


def _state(session: Session, rooms: list[RoomInfo], labels: list[str], pick: str) -> tuple[dict, set]:
    """Every cell of ``labels`` in their first (``pick="first"``) or latest version: exact values and hidden keys."""
    from roomlog.reporting.publication.exact import COUNTS, units_of
    from roomlog.reporting.publication.store import exact_counts, versions

    exact: dict = {}
    hidden: set = set()
    for label, found in versions(session, labels).items():
        stored = found[0] if pick == "first" else found[-1]
        keys = [(unit, code) for unit, _m in units_of(rooms, label) for code in COUNTS]
        exact |= {k: v for k, v in exact_counts(stored, keys).items() if v is not None}
        hidden |= {(label, unit, code) for (unit, code), c in stored.cells.items() if c.hidden and code in COUNTS}
    return exact, hidden


def test_an_lp_attacker_with_both_versions_of_a_revised_month_pins_down_nothing(make: Factory, dbs: Session) -> None:
    from roomlog.reporting.publication import sources
    from roomlog.reporting.publication.units import year_labels
    from tests.support.worlds import history

    build_world(make, dbs, publish_now=False)
    third = make.room("Tredje", "101", opened_on=dt.date(2016, 1, 1))
    for month in ("2021-01", "2021-02", "2021-03", "2022-01", "2022-02", "2022-03"):
        history(dbs, third, month, consumptions_total=30, emergencies_total=0, emergencies_acute_treatments=0)
    publish(dbs)
    dbs.commit()
    # February: Skyen 12 and H17 2 are hidden, the third room's 0 is shown, København's 14 too.
    # The third room's 0 becomes 3: with version 1, København's new total would give the 3 away.
    assert "2022-02" in _revise_history(dbs, third.id, dt.date(2022, 2, 1), "emergencies.total", 3)
    dbs.commit()
    with national_scope(dbs):
        rooms = sources.room_infos(dbs)
    months, quarters, year = year_labels(2022)
    labels = [*months, *quarters, year]
    first, first_hidden = _state(dbs, rooms, labels, "first")
    latest, latest_hidden = _state(dbs, rooms, labels, "latest")
    assert first[("2022-02", ("room", str(third.id)), "emergencies.total")] == 0
    assert latest[("2022-02", ("room", str(third.id)), "emergencies.total")] == 3

    def old(key: tuple) -> tuple:
        return (key[0] + "@1", key[1], key[2])

    published = [label for label in labels if any(k[0] == label for k in latest)]
    rels = relations(published, rooms, set(latest))
    rels += [Relation(tuple((old(k), c) for k, c in r.terms), r.exact) for r in relations(published, rooms, set(first))]
    # The strongest reader knows which cells did not change between the versions.
    rels += [Relation(((k, 1), (old(k), -1)), True) for k, v in first.items() if latest.get(k) == v]
    exact = latest | {old(k): v for k, v in first.items()}
    hidden = latest_hidden | {old(k) for k in first_hidden}
    found = ranges(exact, rels, hidden)
    small = {k: r for k, r in found.items() if 0 < exact[k] < K}
    assert small, "the revised month has small hidden cells"
    assert all(hi - lo >= K - 1e-6 for lo, hi in small.values()), {k: r for k, r in small.items() if r[1] - r[0] < K}
