"""Hostile input to every form and query parameter of every route never gives a 500.

Generic over ``app.url_map``: field names are read from each page's own form (and the
route table's sample form), so routes that land later are covered without new code.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security_routes import World, build_world, concrete_methods, spec_for
from tests.support.apps import AuthActions
from tests.support.factories import Factory
from tests.support.pdf_once import SharedDocuments, render_each_once
from tests.support.workbook_once import write_each_once

PREFERENCE = ("admin", "staff_b", "lead_a", "staff_a", "municipality_other", "national")
NAME = re.compile(r'\bname="([^"]+)"')
SPECIAL = [
    "", " ", "0", "-1", "1e309", "NaN", "9" * 40, "2026-13-45", "25:99", "\x00", "nul\x00byte",
    "' OR 1=1 --", "<script>alert(1)</script>", "../../etc/passwd", "%00", "ÆØÅ æøå", "\u202eevil",
    "\r\nSet-Cookie: x=1", "\x1b[31m", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🙂", "true", "[]", "{}", "null",
]  # fmt: skip
hostile_text = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.integers(min_value=200, max_value=20_000).map(lambda n: "A" * n),
    st.integers().map(str),
)
hostile_value = st.one_of(hostile_text, st.lists(hostile_text, min_size=2, max_size=3))


def _role_for(endpoint: str) -> str:
    spec = spec_for(endpoint)
    if spec.self_service and endpoint in ("auth.login", "auth.logout", "account.language"):
        return "anonymous"
    return next((r for r in PREFERENCE if r in spec.allowed), "admin")


def _client(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    if role != "anonymous":
        assert AuthActions(client).login(role).status_code == 302
    return client


def _field_names(client: FlaskClient, url: str, endpoint: str, world: World) -> list[str]:
    names = set()
    spec = spec_for(endpoint)
    if spec.form:
        names |= set(spec.form(world))
    page = client.get(url)
    if page.status_code == 200 and page.mimetype == "text/html":
        names |= set(NAME.findall(page.get_data(as_text=True)))
    return sorted(names - {"csrf_token"}) or ["q"]


def _fuzz_route(app: Flask, world: World, endpoint: str, method: str, url: str, examples: int) -> None:
    client = _client(app, _role_for(endpoint))
    names = _field_names(client, url, endpoint, world)

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(data=st.dictionaries(st.sampled_from([*names, "unexpected"]), hostile_value, max_size=len(names) + 1))
    def run(data: dict[str, object]) -> None:
        path, _, query = url.partition("?")
        if method == "GET":
            response = client.get(path, query_string={**dict(parse_qsl(query)), **data})
        else:
            response = client.post(url, data=data)
        assert response.status_code < 500, f"{method} {url} {data!r} → {response.status_code}"

    run()


@pytest.fixture
def pdf_once_per_document(monkeypatch: pytest.MonkeyPatch, run_documents: SharedDocuments) -> dict[str, int]:
    """WeasyPrint renders each distinct document once per run (tests/support/pdf_once.py); the PDF routes
    (report, annual reports, pool letter) were 60 % of the fuzzer's time on SQLite, each example rendering the
    same document again (query noise the view ignores)."""
    return render_each_once(monkeypatch, run_documents)


@pytest.fixture
def workbook_once(monkeypatch: pytest.MonkeyPatch, run_workbooks: SharedDocuments) -> dict[str, int]:
    """openpyxl writes each distinct workbook once per run (tests/support/workbook_once.py): the module's ~50
    workbook requests, ~10 % of its CPU, were mostly the same national annual workbook again."""
    return write_each_once(monkeypatch, run_workbooks)


@pytest.mark.both_databases
def test_hostile_input_never_gives_a_server_error(
    app: Flask, make: Factory, backend: str, pdf_once_per_document: dict[str, int], workbook_once: dict[str, int]
) -> None:
    world = build_world(make)
    # Admin routes last: fuzzing them may disable or re-password the users the others log in as.
    rules = sorted(app.url_map.iter_rules(), key=lambda r: _role_for(r.endpoint) == "admin")
    for rule in rules:
        if rule.endpoint == "static":
            continue
        url = spec_for(rule.endpoint).url(world)
        for method in concrete_methods(rule):
            _fuzz_route(app, world, rule.endpoint, method, url, examples=20 if method == "POST" else 8)
    assert pdf_once_per_document["rendered"] > 0  # the PDF routes were reached and rendered
    assert workbook_once["written"] > 0  # and the workbook routes


@pytest.mark.both_databases
def test_out_of_range_ids_in_paths_are_not_found(app: Flask, make: Factory, backend: str) -> None:
    build_world(make)
    client = _client(app, "admin")
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        for number in ("0", str(2**63), str(2**70)):
            url = re.sub(r"<int:[^>]+>", number, rule.rule)
            for method in concrete_methods(rule):
                response = client.open(url, method=method)
                assert response.status_code < 500, f"{method} {url} → {response.status_code}"


def test_a_value_the_database_refuses_is_a_400_not_a_500(app: Flask, make: Factory) -> None:
    from sqlalchemy.exc import DataError

    @app.get("/_test/data-error")
    def data_error() -> str:
        raise DataError("INSERT …", {}, Exception("value too long"))

    build_world(make)
    client = _client(app, "admin")
    response = client.get("/_test/data-error")
    assert response.status_code == 400 and "INSERT" not in response.get_data(as_text=True)
    assert client.get("/auth/login", query_string={"next": "a\x00b"}).status_code == 400
