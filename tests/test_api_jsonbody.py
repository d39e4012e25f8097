"""The API's JSON bodies: orjson writes the very bytes ``jsonify`` would (sorted keys, ASCII escapes)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from roomlog.api.jsonbody import ascii_json, json_response
from tests.support.factories import Factory
from tests.support.worlds import World, bearer, build_world

MONTHS = "/api/v1/aggregates?from=2021-01&to=2022-12"


def same_bytes(app: Flask, body: dict) -> tuple[bytes, bytes]:
    with app.test_request_context("/api/v1/aggregates"):
        return json_response(body).get_data(), jsonify(body).get_data()


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "København, Århus, Ærø",
        "øæ then æ alone, and ø",  # a run inside a longer run: the longer is escaped first
        "DEL \x7f and controls \x00\x1f\n\t",
        'quotes " and \\ backslashes',
        "astral 🚑 and 𝔘",  # surrogate pairs
        "€ and \u2028 \u2029",
    ],
)
def test_escapes_are_those_of_the_standard_library(text: str) -> None:
    import orjson

    assert ascii_json(orjson.dumps({"k": text})) == json.dumps({"k": text}, separators=(",", ":")).encode()


def test_a_body_is_the_bytes_jsonify_gives(app: Flask) -> None:
    body = {
        "rows": [{"room": "Mændenes Hjem", "value": 12, "rate": 3.45, "missing": None, "suppressed": False}],
        "when": dt.date(2026, 1, 2),
        "at": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "amount": Decimal("1.50"),
        "b": {"z": 1, "a": [1, 2.5, "x"]},
    }
    mine, flask = same_bytes(app, body)
    assert mine == flask and mine.endswith(b"}\n")


def test_what_orjson_cannot_write_goes_through_jsonify(app: Flask) -> None:
    for body in ({"big": 2**70}, {"lone": "\udc80"}):
        mine, flask = same_bytes(app, body)
        assert mine == flask
    debug = Flask("debug")
    debug.debug = True  # indented JSON
    mine, flask = same_bytes(debug, {"a": [1, 2]})
    assert mine == flask and b"\n  " in mine


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.integers(min_value=0, max_value=10**9).map(lambda n: n / 100)  # the API's rates: two decimals
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(body=st.dictionaries(st.text(max_size=8), values, max_size=6))
def test_any_body_of_the_apis_kinds_of_values_is_the_same_bytes(body: dict) -> None:
    mine, flask = same_bytes(PLAIN, body)
    assert mine == flask


#: A bare Flask app: the default JSON provider, as roomlog's app has (hypothesis runs many examples in one test).
PLAIN = Flask("jsonbody")


@pytest.fixture
def world(make: Factory, dbs: Session) -> World:
    return build_world(make, dbs)


def test_aggregates_pages_are_the_bytes_jsonify_gives(client: FlaskClient, world: World, app: Flask) -> None:
    response = client.get(MONTHS + "&limit=500", headers=bearer(world.national_token))
    body = response.get_json()
    with app.test_request_context("/"):
        assert response.data == jsonify(body).get_data()
    assert len(body["rows"]) == 500
