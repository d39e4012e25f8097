"""Tenant isolation for every route × role × tenant-B object, and GET never changes state.

The expectations live in tests/security_routes.py (one entry per endpoint).
"""

from __future__ import annotations

import itertools

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.security_routes import (
    PENDING_ROUTES,
    ROLES,
    ROUTES,
    DatabaseState,
    World,
    build_world,
    concrete_methods,
    db_fingerprint,
    probes,
    spec_for,
)
from tests.support.apps import AuthActions
from tests.support.factories import Factory
from tests.support.pdf_once import SharedDocuments, render_each_once
from tests.support.workbook_once import write_each_once


def test_every_route_has_an_entry_in_the_table(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(ROUTES) - set(PENDING_ROUTES))
    stale = sorted(set(ROUTES) - endpoints)
    assert not missing, f"add these endpoints to tests/security_routes.py ROUTES: {missing}"
    assert not stale, f"these ROUTES entries name no endpoint any more: {stale}"


def _client_for(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    if role != "anonymous":
        response = AuthActions(client).login(role)
        assert response.status_code == 302, f"{role} could not log in"
    return client


def _check(app: Flask, world: World, dbs: Session, role: str) -> list[str]:
    client = _client_for(app, role)
    # The database as the last request left it: only requests change it here (the test client runs each
    # to its end, teardown included), so the state after one request is the state before the next, and
    # every table is read once per request instead of twice.
    database = DatabaseState(dbs.get_bind())
    try:
        return _check_routes(app, client, world, database, role)
    finally:
        database.close()


def _check_routes(app: Flask, client: FlaskClient, world: World, database: DatabaseState, role: str) -> list[str]:
    problems: list[str] = []
    state = database.fingerprint()
    for rule in app.url_map.iter_rules():
        spec = spec_for(rule.endpoint)
        for (url, allowed_roles), method in itertools.product(probes(spec, world), concrete_methods(rule)):
            if spec.self_service and method == "POST":
                continue  # login/logout/language act on the caller's own session, covered in test_auth*
            before = state
            data = spec.form(world) if (spec.form and method == "POST") else {}
            response = client.open(url, method=method, data=data)
            status = response.status_code
            allowed = spec.public or role in allowed_roles
            where = f"{role} {method} {url} ({rule.endpoint}) → {status}"
            if status >= 500:
                problems.append(f"{where}: server error")
            elif spec.api and not spec.public:
                if status != 401:
                    problems.append(f"{where}: the API must refuse a browser session without a bearer token")
            elif role == "anonymous" and not spec.public:
                location = response.headers.get("Location", "")
                if not (status == 401 or (status == 302 and "/auth/login" in location)):
                    problems.append(f"{where}: expected a login redirect or 401")
            elif not allowed and status not in (403, 404):
                problems.append(f"{where}: expected 403 or 404")
            elif allowed and method == "GET" and status >= 400:
                problems.append(f"{where}: an allowed role was refused")
            state = database.fingerprint()
            if (method == "GET" or not allowed) and state != before:
                problems.append(f"{where}: the database changed")
    return problems


@pytest.fixture
def pdf_once(monkeypatch: pytest.MonkeyPatch, run_documents: SharedDocuments, run_workbooks: SharedDocuments) -> None:
    """WeasyPrint renders each distinct document once per run (tests/support/pdf_once.py; the fuzzer reads the same
    ones), and openpyxl writes each distinct workbook once (tests/support/workbook_once.py)."""
    render_each_once(monkeypatch, run_documents)
    write_each_once(monkeypatch, run_workbooks)


@pytest.mark.both_databases
@pytest.mark.parametrize("role", ROLES)
def test_tenant_matrix(app: Flask, make: Factory, dbs: Session, role: str, backend: str, pdf_once: None) -> None:
    world = build_world(make)
    problems = _check(app, world, dbs, role)
    assert not problems, "\n".join(problems)


def test_matrix_catches_a_missing_check(app: Flask, make: Factory, dbs: Session) -> None:
    """The matrix is not vacuous: a route that forgets its access check is reported, and so is a GET that
    commits a change (the fingerprint is hashed again only after a commit: ``DatabaseState``)."""
    world = build_world(make)

    @app.get("/rooms/<int:room_id>/leaky")
    def leaky(room_id: int) -> str:
        return "secret of another room"

    @app.get("/rooms/<int:room_id>/writes")
    def writes(room_id: int) -> str:
        from roomlog.extensions import db
        from roomlog.models import Room

        db.session.get_one(Room, room_id).name += "!"
        db.session.commit()
        return "renamed"

    route = ROUTES["rooms.board"].__class__
    ROUTES["leaky"] = route(lambda w: f"/rooms/{w.room_b.id}/leaky", frozenset({"staff_b"}))
    ROUTES["writes"] = route(lambda w: f"/rooms/{w.room_a.id}/writes", frozenset({"staff_a"}))
    try:
        problems = _check(app, world, dbs, "staff_a")
    finally:
        del ROUTES["leaky"], ROUTES["writes"]
    assert any("leaky" in p and "expected 403 or 404" in p for p in problems)
    assert any("(writes)" in p and "the database changed" in p for p in problems)


@pytest.mark.both_databases
def test_the_fingerprint_sees_a_changed_row(make: Factory, dbs: Session, backend: str) -> None:
    """The matrix's "the database changed" check is not vacuous: one changed value changes its table's hash only,
    also as the matrix reads it (``DatabaseState``, which hashes again only after a commit)."""
    world = build_world(make)
    database = DatabaseState(dbs.get_bind())
    before = database.fingerprint()
    assert before == db_fingerprint(dbs.get_bind()) == database.fingerprint()
    world.room_b.name = "Room B, renamed"
    dbs.commit()
    after = database.fingerprint()
    database.close()
    assert after == db_fingerprint(dbs.get_bind())
    assert {table for table in before if before[table] != after[table]} == {"rooms"}
