"""Red-team regressions: hostile values that once reached a page and broke it (docs/attacks.md, attack 2)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.models import Emergency
from tests.support.apps import AuthActions
from tests.support.capture import key, staffed_room, visit
from tests.support.factories import Factory

#: Free text that looks like an ISO time but cannot be shown in local time (UTC+1 past year 9999).
LOOKS_LIKE_TIMES = ["9999-12-31T23:59", "9999-12-31 23:59:59+00:00", "0001-01-01T00:00", "2026-13-45T25:99"]


@pytest.mark.parametrize("note", LOOKS_LIKE_TIMES)
def test_a_note_that_looks_like_an_absurd_time_never_breaks_the_record_page(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session, note: str
) -> None:
    room, _user = staffed_room(make, auth)
    visit_id = visit(client, room)
    client.post(f"/rooms/{room.id}/emergencies", data={"visit_id": str(visit_id), "idempotency_key": key()})
    emergency = dbs.scalars(select(Emergency).where(Emergency.room_id == room.id)).one()
    url = f"/rooms/{room.id}/records/emergency/{emergency.id}"
    saved = client.post(f"{url}/correct", data={"note": note, "reason": "adversary"})
    assert saved.status_code in (303, 400), saved.status_code
    # The history now holds the text: the record page, and the next correction's re-rendered form, still answer.
    page = client.get(url)
    assert page.status_code == 200
    again = client.post(f"{url}/correct", data={"severity": "not-a-severity", "reason": "adversary"})
    assert again.status_code < 500
