"""Helpers for the capture tests: log in to a fresh room and post capture forms."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from roomlog.models import Room, User
from roomlog.models.codes import Role
from tests.support.apps import AuthActions
from tests.support.factories import Factory

#: A distinctive visitor code (letters and birth date) for privacy canaries.
CODE = {
    "last_letters": "QXZ",
    "first_letters": "JW",
    "birth_day": "17",
    "birth_month": "3",
    "birth_year": "1981",
    "sex": "m",
    "nationality": "dk",
}
CODE_TEXT = "QXZJW17031981M"


def key() -> str:
    """Return a fresh idempotency key."""
    return uuid.uuid4().hex


def staffed_room(make: Factory, auth: AuthActions, role: Role = Role.STAFF, **user: Any) -> tuple[Room, User]:
    """Create a room with a logged-in user of ``role``."""
    room = make.room(assisted_allowed=True)
    person = make.user(role, rooms=[room], **user)
    auth.login(person.username)
    return room, person


def stored(dbs: Session, model: Any) -> list[Any]:
    """Every stored row of ``model`` in id order, read again from the database."""
    dbs.expire_all()
    return list(dbs.scalars(select(model).order_by(model.id)))


def location_id(response: TestResponse, kind: str) -> int:
    """Return the id in a redirect to ``/rooms/<room>/<kind>/<id>``."""
    assert response.status_code == 303, response.status_code
    match = re.search(rf"/{kind}/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def check_in(client: FlaskClient, room: Room, **fields: str) -> TestResponse:
    """Post the check-in form."""
    data = {**CODE, "idempotency_key": key(), **fields}
    return client.post(f"/rooms/{room.id}/check-in", data=data)


def one_tap_visit(client: FlaskClient, room: Room, idempotency_key: str | None = None, **fields: str) -> TestResponse:
    """Post the one-tap anonymous visit, with a new idempotency key unless given one."""
    data = {"idempotency_key": idempotency_key or key(), **fields}
    return client.post(f"/rooms/{room.id}/visits/anonymous", data=data)


def visit(client: FlaskClient, room: Room) -> int:
    """Check in an anonymous visitor and return the visit id."""
    return location_id(one_tap_visit(client, room), "visits")


def consume(client: FlaskClient, room: Room, visit_id: int, **fields: Any) -> TestResponse:
    """Post a consumption (heroin, injection place 1, not assisted unless overridden)."""
    data = {
        "idempotency_key": key(),
        "route": "inject",
        "substances": ["heroin"],
        "place": "injection-1",
        "assisted": "no",
        **fields,
    }
    return client.post(f"/rooms/{room.id}/visits/{visit_id}/consumptions", data=data)
