"""Cost next to activity: the pages, the API and the annual report divide funding by the published activity."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from roomlog.models import Room
from roomlog.models.codes import Role
from roomlog.services.tokens import create_token
from tests.support.apps import AuthActions
from tests.support.factories import Factory
from tests.support.worlds import application, bearer, history, kept, publish

YEAR = 2025


@pytest.fixture
def world(make: Factory, dbs: Session) -> dict[str, object]:
    """Skyen (101) and Odense (461) with a whole year of history and a granted operating year each.

    Built once per process and copied into each test's database (tests.support.worlds.kept): every test only reads it.
    """
    return kept(make, dbs, "test_pool_cost.world", lambda: _build_world(make, dbs), _ids, lambda ids: _load(dbs, ids))


def _build_world(make: Factory, dbs: Session) -> dict[str, object]:
    skyen = make.room("Skyen", "101", opened_on=dt.date(2016, 6, 1))
    odense = make.room("Odense", "461", opened_on=dt.date(2013, 11, 1))
    for month in range(1, 13):
        label = f"{YEAR}-{month:02d}"
        history(dbs, skyen, label, consumptions_total=1000, emergencies_total=12, emergencies_acute_treatments=10)
        acute = 2 if month == 1 else 0  # two in the year: hidden by disclosure control
        history(dbs, odense, label, consumptions_total=500, emergencies_total=acute, emergencies_acute_treatments=acute)
    application(make, skyen, year=YEAR, operating=(4_000_000, 1_500_000, 2_000_000), grant={})
    application(make, odense, year=YEAR, operating=(2_000_000, 600_000, 700_000), grant={})
    users = {
        "kbh": make.user(Role.MUNICIPALITY, municipality="101", username="kbh"),
        "odense": make.user(Role.MUNICIPALITY, municipality="461", username="odense"),
        "national": make.user(Role.NATIONAL, username="ministeriet"),
    }
    tokens = {name: create_token(dbs, user).value for name, user in users.items()}
    publish(dbs)  # the history months are closed: the cost divides by their published figures
    dbs.commit()
    return {"skyen": skyen, "odense": odense, "tokens": tokens}


def _ids(world: dict[str, Any]) -> tuple[int, int, dict[str, str]]:
    return world["skyen"].id, world["odense"].id, world["tokens"]


def _load(dbs: Session, ids: tuple[int, int, dict[str, str]]) -> dict[str, object]:
    skyen, odense, tokens = ids
    return {"skyen": dbs.get_one(Room, skyen), "odense": dbs.get_one(Room, odense), "tokens": dict(tokens)}


def _expected(total_kr: int, count: int) -> float:
    """An independent calculation: exact division, rounded half up to whole øre."""
    return float((Decimal(total_kr) / Decimal(count)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_api_funding_is_scoped_and_cost_equals_an_independent_calculation(client: FlaskClient, world: dict) -> None:
    tokens = world["tokens"]
    national = client.get(f"/api/v1/funding?year={YEAR}", headers=bearer(tokens["national"])).get_json()
    rows = {r["room"]: r for r in national["rows"]}
    assert set(rows) == {"Skyen", "Odense"}
    skyen = rows["Skyen"]
    assert (skyen["state_operating_kr"], skyen["municipal_operating_kr"], skyen["total_operating_kr"]) == (
        1_500_000,
        2_000_000,
        3_500_000,
    )
    assert skyen["consumptions"] == 12 * 1000
    assert skyen["cost_per_consumption_kr"] == _expected(1_500_000 + 2_000_000, 12 * 1000) == 291.67
    odense = rows["Odense"]
    assert odense["cost_per_consumption_kr"] == _expected(600_000 + 700_000, 12 * 500) == 216.67
    # Two acute treatments in the year are hidden: no count, and no cost worked out from it.
    assert odense["acute_treatments"] is None and odense["cost_per_acute_treatment_kr"] is None
    if skyen["acute_treatments"] is not None:  # it may be hidden to protect Odense's cell
        assert skyen["cost_per_acute_treatment_kr"] == _expected(3_500_000, skyen["acute_treatments"])
    kbh = client.get("/api/v1/funding", headers=bearer(tokens["kbh"])).get_json()
    assert [r["room"] for r in kbh["rows"]] == ["Skyen"]
    own = client.get("/api/v1/funding", headers=bearer(tokens["odense"])).get_json()
    assert [r["room"] for r in own["rows"]] == ["Odense"]
    assert client.get("/api/v1/funding").status_code == 401
    bad = client.get("/api/v1/funding?year=19x", headers=bearer(tokens["national"]))
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "year"
    assert client.get("/api/v1/funding?year=2030", headers=bearer(tokens["national"])).get_json()["rows"] == []


def _login(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    AuthActions(client).login(username)
    return client


def test_funding_page_shows_cost_in_scope(app: Flask, world: dict) -> None:
    kbh = _login(app, "kbh").get(f"/pool/funding?year={YEAR}").get_data(as_text=True)
    assert "Skyen" in kbh and "Odense" not in kbh and "291,67 kr." in kbh and "3.500.000 kr." in kbh
    national = _login(app, "ministeriet").get("/pool/funding").get_data(as_text=True)
    assert "Skyen" in national and "Odense" in national and "216,67 kr." in national
    assert 'data-col="per-acute">..</td>' in national


def test_annual_report_shows_the_grant_beside_the_activity(app: Flask, world: dict) -> None:
    page = _login(app, "kbh").get(f"/annual/101/{YEAR}").get_data(as_text=True)
    assert "Statslig medfinansiering og aktivitet" in page and "1.500.000 kr." in page and "291,67 kr." in page
    other = _login(app, "odense").get(f"/annual/101/{YEAR}")
    assert other.status_code == 404
    without = _login(app, "ministeriet").get(f"/annual/101/{YEAR - 1}").get_data(as_text=True)
    assert "Statslig medfinansiering og aktivitet" not in without


def test_funding_rows_match_the_openapi_document(app: Flask, world: dict) -> None:
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema["/funding"]["GET"]

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(case=operation.as_strategy())
    def check(case) -> None:
        # The WSGI transport asks for gzip but does not decode it (HTTP clients do): ask for the plain body.
        headers = {"Accept-Encoding": "identity", **bearer(world["tokens"]["national"])}
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    check()
