"""Bounds on every numeric and date input of capture: hostile values get a Danish 4xx, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from roomlog.models import Room
from tests.capture_helpers import CODE, key, location_id, staffed_room, visit
from tests.conftest import AuthActions
from tests.factories import Factory

TWENTY = "9" * 20
HOSTILE = [TWENTY, "-" + TWENTY, "NaN", "inf", "-1", "0", "1e309", "0001-01-01T00:00", "9999-12-31T23:59", "", "x"]


def _emergency(client: FlaskClient, room: Room) -> tuple[int, int]:
    v = visit(client, room)
    e = location_id(client.post(f"/rooms/{room.id}/emergencies", data={"idempotency_key": key(), "visit_id": v}), "emergencies")
    return v, e


@pytest.mark.parametrize("value", HOSTILE)
def test_probe(client: FlaskClient, make: Factory, auth: AuthActions, value: str) -> None:
    room, _u = staffed_room(make, auth)
    v, e = _emergency(client, room)
    posts: list[tuple[str, dict[str, Any]]] = [
        (f"/rooms/{room.id}/check-in", {**CODE, "birth_day": value}),
        (f"/rooms/{room.id}/check-in", {**CODE, "birth_year": value}),
        (f"/rooms/{room.id}/check-in", {**CODE, "occurred_at": value}),
        (f"/rooms/{room.id}/emergencies", {"visit_id": value}),
        (f"/rooms/{room.id}/emergencies", {"consumption_id": value}),
        (f"/rooms/{room.id}/emergencies/{e}/actions", {"action": "naloxone", "naloxone_route": "in", "naloxone_dose_mg": value}),
        (f"/rooms/{room.id}/visits/{v}/services", {"service": "conversation", "quantity": value}),
        (f"/rooms/{room.id}/visits/{v}/consumptions", {"route": "inject", "substances": "heroin", "assisted": "no", "place": f"injection-{value}", "occurred_at": value}),
        (f"/rooms/{room.id}/incidents", {"type": "other", "visit_id": value, "occurred_at": value}),
        (f"/rooms/{room.id}/turn-away", {"turn_away_reason": "other", "occurred_at": value}),
        (f"/rooms/{room.id}/records/emergency/{e}/correct", {"occurred_at": value, "reason": "x"}),
    ]
    bad = []
    for url, data in posts:
        r = client.post(url, data={"idempotency_key": key(), **data})
        if r.status_code >= 500:
            bad.append((url, list(data)))
    assert not bad
