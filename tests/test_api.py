"""The aggregate API: tokens, scopes, known answers, bad parameters, formats, rate limit."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.models import ApiToken
from roomlog.models.codes import Role
from roomlog.services.tokens import create_token, revoke_token
from tests.support.factories import Factory
from tests.support.worlds import World, bearer, build_world

Q1 = "/api/v1/aggregates?from=2022-01&to=2022-03&granularity=quarter&indicator=consumptions.total"


@pytest.fixture
def world(make: Factory, dbs: Session) -> World:
    return build_world(make, dbs)


def rows_by(data: dict, indicator: str) -> dict[tuple, object]:
    return {
        (r["municipality_code"], r["room"], r["period"]): r["value"]
        for r in data["rows"]
        if r["indicator"] == indicator
    }


@pytest.mark.parametrize("path", ["/api/v1/indicators", "/api/v1/rooms", Q1])
def test_no_or_bad_token_is_401_json_without_cookies(client: FlaskClient, world: World, path: str) -> None:
    for headers in ({}, bearer("rlg_not-a-token"), {"Authorization": "Basic abc"}):
        response = client.get(path, headers=headers)
        assert response.status_code == 401
        assert "error" in response.get_json()
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Set-Cookie" not in response.headers


def test_a_revoked_token_stops_working(client: FlaskClient, world: World, dbs: Session) -> None:
    assert client.get("/api/v1/rooms", headers=bearer(world.kbh_token)).status_code == 200
    token = dbs.scalars(select(ApiToken).where(ApiToken.user_id == world.kbh_user.id)).one()
    assert token.last_used_at is not None
    revoke_token(dbs, token)
    dbs.commit()
    assert client.get("/api/v1/rooms", headers=bearer(world.kbh_token)).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(client: FlaskClient, world: World, dbs: Session) -> None:
    """A pull of many pages is one use: no database write per page."""
    import datetime as dt

    from roomlog.services.tokens import LAST_USED_EVERY

    def token() -> ApiToken:
        dbs.expire_all()
        return dbs.scalars(select(ApiToken).where(ApiToken.user_id == world.kbh_user.id)).one()

    assert client.get("/api/v1/rooms", headers=bearer(world.kbh_token)).status_code == 200
    first = token().last_used_at
    assert first is not None
    assert client.get("/api/v1/indicators", headers=bearer(world.kbh_token)).status_code == 200
    assert token().last_used_at == first
    stale = token()
    stale.last_used_at = first - LAST_USED_EVERY - dt.timedelta(seconds=1)
    dbs.commit()
    assert client.get("/api/v1/rooms", headers=bearer(world.kbh_token)).status_code == 200
    assert token().last_used_at > first


def test_only_municipality_and_national_users_own_tokens(make: Factory, dbs: Session) -> None:
    from roomlog.services import DomainError

    room = make.room()
    with pytest.raises(DomainError):
        create_token(dbs, make.user(Role.LEAD, rooms=[room]))
    with pytest.raises(DomainError):
        create_token(dbs, make.user(Role.ADMIN))


def test_tokens_are_stored_as_hash_and_prefix_only(world: World, dbs: Session) -> None:
    stored = dbs.scalars(select(ApiToken)).all()
    assert len(stored) == 3
    for token in stored:
        assert world.kbh_token not in (token.token_hash, token.prefix)
        assert len(token.token_hash) == 64


def test_indicators_list_every_definition(client: FlaskClient, world: World) -> None:
    data = client.get("/api/v1/indicators", headers=bearer(world.odense_token)).get_json()
    codes = {i["code"]: i for i in data["indicators"]}
    assert codes["consumptions.total"]["additive"] is True
    assert codes["visitors.unique"]["additive"] is False
    assert codes["emergencies.acute_treatments"]["label_da"]
    assert set(codes["visits.total"]) == {"code", "label_da", "label_en", "label", "definition", "additive"}
    assert codes["visits.total"]["label"] == codes["visits.total"]["label_en"]
    danish = client.get("/api/v1/indicators?lang=da", headers=bearer(world.odense_token)).get_json()
    assert danish["indicators"][0]["label"] == danish["indicators"][0]["label_da"]


def test_rooms_are_limited_to_the_token_scope(client: FlaskClient, world: World) -> None:
    def names(token: str) -> set[str]:
        return {r["name"] for r in client.get("/api/v1/rooms", headers=bearer(token)).get_json()["rooms"]}

    assert names(world.kbh_token) == {"Skyen", "H17"}
    assert names(world.odense_token) == {"Odense Stue"}
    assert names(world.national_token) == {"Skyen", "H17", "Odense Stue"}


@pytest.mark.both_databases
def test_known_quarter_totals_with_municipality_and_national_rows(client: FlaskClient, world: World) -> None:
    data = client.get(Q1, headers=bearer(world.national_token)).get_json()
    values = rows_by(data, "consumptions.total")
    assert values == {
        ("101", "H17", "2022-Q1"): 180,
        ("101", "Skyen", "2022-Q1"): 450,
        ("101", None, "2022-Q1"): 630,
        ("461", "Odense Stue", "2022-Q1"): 120,
        ("461", None, "2022-Q1"): 120,
        (None, None, "2022-Q1"): 750,
    }
    assert {r["status"] for r in data["rows"]} == {"approved"}  # imported history counts as approved
    assert data["suppression"]["threshold"] == 5


@pytest.mark.both_databases
def test_a_municipality_token_never_sees_another_municipality(client: FlaskClient, world: World) -> None:
    data = client.get(Q1, headers=bearer(world.kbh_token)).get_json()
    assert {r["municipality_code"] for r in data["rows"]} == {"101"}
    response = client.get(Q1 + f"&room={world.odense.id}", headers=bearer(world.kbh_token))
    assert response.status_code == 404
    assert client.get(Q1 + "&room=99999", headers=bearer(world.national_token)).status_code == 404
    assert client.get(Q1 + "&room=999999999999", headers=bearer(world.national_token)).status_code == 404
    one = client.get(Q1 + f"&room={world.skyen.id}", headers=bearer(world.kbh_token)).get_json()
    assert [(r["room"], r["value"]) for r in one["rows"]] == [("Skyen", 450)]


@pytest.mark.both_databases
def test_small_counts_and_their_complements_are_null(client: FlaskClient, world: World) -> None:
    url = "/api/v1/aggregates?from=2022-01&to=2022-01&indicator=emergencies.total"
    data = client.get(url, headers=bearer(world.national_token)).get_json()
    values = rows_by(data, "emergencies.total")
    assert values[("101", "H17", "2022-01")] is None  # 2
    assert values[("101", "Skyen", "2022-01")] is None  # 12, else 14 − 12 gives H17 away
    hidden = {c["room_id"] for c in data["suppression"]["cells"]}
    assert {world.h17.id, world.skyen.id} <= hidden
    assert all("reason" not in c for c in data["suppression"]["cells"])  # never why a cell is hidden
    assert all(r["suppressed"] == (r["value"] is None) for r in data["rows"])


@pytest.mark.both_databases
def test_history_counts_in_every_granularity(client: FlaskClient, world: World) -> None:
    base = "/api/v1/aggregates?from=2021-01&to=2022-12&indicator=consumptions.total&granularity="
    national = {g: rows_by(client.get(base + g, headers=bearer(world.national_token)).get_json(), "consumptions.total")
                for g in ("month", "quarter", "year", "total")}  # fmt: skip
    assert national["month"][(None, None, "2021-02")] == 170
    assert national["quarter"][(None, None, "2021-Q1")] == 510
    assert national["year"][(None, None, "2021")] == 510
    assert national["year"][(None, None, "2022")] == 750
    assert national["total"][(None, None, "2021-01..2022-12")] == 1260


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("to=2022-01", "from"),
        ("from=2022-13&to=2022-12", "from"),
        ("from=2022-01&to=22", "to"),
        ("from=2022-01&to=2022-02&granularity=week", "granularity"),
        ("from=2022-01&to=2022-01&limit=0", "limit"),
        ("from=2022-01&to=2022-01&limit=100001", "limit"),
        ("from=2022-01&to=2022-01&indicator=nope", "indicator"),
        ("from=2022-01&to=2022-01&room=abc", "room"),
        ("from=2022-01&to=2022-01&format=pdf", "format"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    client: FlaskClient, world: World, query: str, parameter: str
) -> None:
    response = client.get(f"/api/v1/aggregates?{query}", headers=bearer(world.national_token))
    assert response.status_code == 400
    body = response.get_json()
    assert body["parameter"] == parameter and parameter in body["error"]


def test_a_cursor_the_api_did_not_give_out_names_no_page(client: FlaskClient, world: World) -> None:
    response = client.get("/api/v1/aggregates?from=2022-01&to=2022-01&cursor=abc", headers=bearer(world.national_token))
    assert response.status_code == 404
    body = response.get_json()
    assert body["parameter"] == "cursor" and "cursor" in body["error"] and body["request_id"]


def test_csv_and_xlsx_agree_with_json(client: FlaskClient, world: World) -> None:
    url = "/api/v1/aggregates?from=2022-01&to=2022-03&indicator=emergencies.total&indicator=consumptions.total"
    data = client.get(url, headers=bearer(world.national_token)).get_json()
    expected = [(r["value"], r["suppressed"]) for r in data["rows"]]
    text = client.get(url + "&format=csv", headers=bearer(world.national_token)).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert [(int(r["Værdi"]) if r["Værdi"] else None, r["Skjult"] == "..") for r in rows] == expected
    assert all(r["Værdi"] == "" for r in rows if r["Skjult"] == "..")
    text = client.get(url + "&format=csv&dialect=international", headers=bearer(world.national_token)).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(int(r["value"]) if r["value"] else None, r["hidden"] == "..") for r in rows] == expected
    response = client.get(url + "&format=xlsx", headers=bearer(world.national_token))
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["Data"]
    assert [c.value for c in sheet[1]][:4] == ["Periodetype", "Første måned", "Sidste måned", "Rolle"]
    values = [(row[11], row[12] == "..") for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert values == expected
    assert book.sheetnames == ["Data", "Definitioner", "Metadata"]
    assert any("diskretioneret" in str(row[1]) for row in book["Metadata"].iter_rows(values_only=True))


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "3 per minute", "RATELIMIT_STORAGE_URI": "memory://"}]
)
def test_the_api_is_rate_limited_per_token(client: FlaskClient, world: World, app: Flask) -> None:
    codes = [client.get("/api/v1/rooms", headers=bearer(world.kbh_token)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/api/v1/rooms", headers=bearer(world.odense_token)).status_code == 200
    assert "error" in client.get("/api/v1/rooms", headers=bearer(world.kbh_token)).get_json()


def test_a_logged_in_browser_session_does_not_open_the_api(client: FlaskClient, world: World, auth) -> None:
    auth.login("ministeriet")
    assert client.get("/api/v1/rooms").status_code == 401


def test_no_hidden_value_follows_from_all_granularities_together(client: FlaskClient, world: World) -> None:
    """Months, quarters, the year and a range, from one national token: attack them all at once."""
    from roomlog.reporting.disclosure_check import disclosed_cells
    from roomlog.reporting.suppression import Equation

    code = "emergencies.total"
    rows = []
    for granularity, frm, to in (("month", "2022-01", "2022-12"), ("quarter", "2022-01", "2022-12"),
                                 ("year", "2022-01", "2022-12"), ("total", "2022-01", "2022-02")):  # fmt: skip
        url = f"/api/v1/aggregates?from={frm}&to={to}&granularity={granularity}&indicator={code}"
        rows += client.get(url, headers=bearer(world.national_token)).get_json()["rows"]
    exact = {  # the true values, known to the test only
        ("101", "H17"): 2, ("101", "Skyen"): 12, ("461", "Odense Stue"): 6,
    }  # fmt: skip
    months = [f"2022-{m:02d}" for m in range(1, 13)]

    def true_value(unit: tuple, period: str) -> int:
        span = {"2022": months, "2022-01..2022-02": months[:2]}.get(period)
        if span is None and "-Q" in period:
            q = int(period[-1])
            span = months[3 * q - 3 : 3 * q]
        span = span or [period]
        in_data = [m for m in span if m <= "2022-03"]
        rooms = [k for k in exact if unit[0] in (None, k[0]) and unit[1] in (None, k[1])]
        return len(in_data) * sum(exact[r] for r in rooms)

    values, hidden = {}, {}
    for r in rows:
        key = (r["municipality_code"], r["room"], r["period"])
        values[key] = true_value((r["municipality_code"], r["room"]), r["period"])
        if r["suppressed"]:
            hidden[key] = "secondary" if values[key] >= 5 or values[key] == 0 else "primary"
        else:
            assert r["value"] == values[key]
    assert hidden, "the test data must have hidden cells"
    periods = sorted({k[2] for k in values})
    eqs = []
    for p in periods:
        eqs.append(Equation(("101", None, p), (("101", "H17", p), ("101", "Skyen", p))))
        eqs.append(Equation((None, None, p), (("101", None, p), ("461", None, p))))
        eqs.append(Equation(("461", None, p), (("461", "Odense Stue", p),)))
    for unit in {(k[0], k[1]) for k in values}:
        eqs.append(Equation((*unit, "2022"), tuple((*unit, f"2022-Q{q}") for q in range(1, 5))))
        for q in range(1, 5):
            eqs.append(Equation((*unit, f"2022-Q{q}"), tuple((*unit, m) for m in months[3 * q - 3 : 3 * q])))
        eqs.append(Equation((*unit, "2022-01..2022-02"), ((*unit, "2022-01"), (*unit, "2022-02"))))
    assert disclosed_cells(values, eqs, hidden, 5) == []
