"""Endpoint × role matrix for every ``rooms.*`` URL, generated from the app's URL map."""

from __future__ import annotations

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roomlog.models import EVENT_MODELS, AuditEntry
from roomlog.models.codes import Role
from tests.support.apps import AuthActions
from tests.support.capture import key
from tests.support.factories import Factory


def _room_urls(app: Flask, ids: dict[str, object]) -> list[tuple[str, str]]:
    """Return (method, url) for every rooms.* rule that takes a room id."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("rooms.") or "room_id" not in rule.arguments:
            continue
        values = {name: ids[name] for name in rule.arguments}
        with app.test_request_context():
            url = url_for(rule.endpoint, **values)
        urls += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return urls


def _world(make: Factory):
    room = make.room("Target")
    visit = make.visit(room)
    consumption = make.consumption(visit, room)
    emergency = make.emergency(visit, room)
    ids = {
        "room_id": room.id,
        "visit_id": visit.id,
        "consumption_id": consumption.id,
        "emergency_id": emergency.id,
        "kind": "visit",
        "record_id": visit.id,
    }
    return room, ids


def _count_rows(dbs: Session) -> int:
    dbs.expire_all()
    models = [*EVENT_MODELS, AuditEntry]
    return sum(int(dbs.scalar(select(func.count()).select_from(m)) or 0) for m in models)


@pytest.mark.parametrize(
    ("role", "expected"),
    [("other_staff", 404), ("other_lead", 404), (Role.MUNICIPALITY, 404), (Role.NATIONAL, 404), (Role.ADMIN, 404)],
)
def test_outsiders_get_404_everywhere_and_change_nothing(
    app: Flask, make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session, role: object, expected: int
) -> None:
    _room, ids = _world(make)
    other = make.room("Elsewhere", municipality="461")
    if role in ("other_staff", "other_lead"):
        make.user(Role.STAFF if role == "other_staff" else Role.LEAD, rooms=[other], username="x")
    else:
        make.user(role, municipality="101" if role == Role.MUNICIPALITY else None, username="x")
    auth.login("x")
    before = _count_rows(dbs)
    urls = _room_urls(app, ids)
    assert len(urls) >= 20
    for method, url in urls:
        data = {"idempotency_key": key(), "reason": "r", "action": "cpr", "target": "ost", "service": "testing"}
        response = client.open(url, method=method, data=data if method == "POST" else None)
        assert response.status_code == expected, (method, url, response.status_code)
    assert _count_rows(dbs) == before


@pytest.mark.parametrize("role", [Role.STAFF, Role.LEAD])
def test_members_can_open_every_page(
    app: Flask, make: Factory, client: FlaskClient, auth: AuthActions, role: Role
) -> None:
    room, ids = _world(make)
    make.user(role, rooms=[room], username="member")
    auth.login("member")
    for method, url in _room_urls(app, ids):
        if method == "GET":
            assert client.get(url).status_code == 200, url


def test_unauthenticated_is_sent_to_login(app: Flask, make: Factory, client: FlaskClient) -> None:
    _room, ids = _world(make)
    for method, url in _room_urls(app, ids):
        response = client.open(url, method=method)
        assert response.status_code in (302, 303) and "/auth/login" in response.headers["Location"], url


def test_unknown_record_kind_is_404(make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    room, ids = _world(make)
    make.user(Role.STAFF, rooms=[room], username="s")
    auth.login("s")
    assert client.get(f"/rooms/{room.id}/records/visitor/{ids['visit_id']}").status_code == 404
    assert client.get(f"/rooms/{room.id}/visits/999999").status_code == 404
