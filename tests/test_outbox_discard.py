"""A room lead discards another user's entry left in a tablet's offline outbox: recorded in the audit log."""

from __future__ import annotations

import uuid

from flask import Flask
from sqlalchemy import select

from roomlog.extensions import db
from roomlog.models import AuditEntry
from roomlog.models.codes import Role
from roomlog.services.audit import verify
from tests.support.factories import Factory


def _login(app: Flask, username: str) -> object:
    client = app.test_client()
    response = client.post("/auth/login", data={"username": username, "password": Factory.PASSWORD})
    assert response.status_code == 302
    return client


def _form(owner_id: int, **extra: str) -> dict[str, str]:
    form = {
        "owner": str(owner_id),
        "idempotency_key": uuid.uuid4().hex,
        "kind": "Anonymt besøg",
        "tapped_at": "2026-10-01T10:00:00.000Z",
        "reason": "Dobbeltregistrering, allerede indtastet",
    }
    form.update(extra)
    return form


def _discards(app: Flask) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.discard")))


def test_a_lead_discards_with_a_reason_and_the_audit_log_keeps_it(app: Flask, make: Factory) -> None:
    room = make.room()
    ida = make.user(Role.STAFF, rooms=[room], username="ida")
    lead = make.user(Role.LEAD, rooms=[room], username="lis")
    client = _login(app, "lis")
    form = _form(ida.id)
    response = client.post(f"/rooms/{room.id}/outbox/discarded", data=form)
    assert response.status_code == 200 and response.get_json() == {"recorded": True}
    again = client.post(f"/rooms/{room.id}/outbox/discarded", data=form)  # the answer was lost: no second entry
    assert again.status_code == 200 and again.get_json() == {"recorded": False}
    [entry] = _discards(app)
    assert entry.user_id == lead.id and entry.room_id == room.id and entry.reason == form["reason"]
    assert entry.changes == {
        "owner_user_id": ida.id,
        "kind": "Anonymt besøg",
        "tapped_at": "2026-10-01T10:00:00+00:00",
        "idempotency_key": form["idempotency_key"],
    }
    with app.app_context():
        assert verify(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))) == []


def test_discard_needs_a_reason_and_another_user_of_the_room(app: Flask, make: Factory) -> None:
    room, other_room = make.room("Kælderen"), make.room("Loftet")
    ida = make.user(Role.STAFF, rooms=[room], username="ida")
    outsider = make.user(Role.STAFF, rooms=[other_room], username="ole")
    lead = make.user(Role.LEAD, rooms=[room], username="lis")
    client = _login(app, "lis")
    url = f"/rooms/{room.id}/outbox/discarded"
    for form in (
        _form(ida.id, reason="  "),
        _form(ida.id, reason="x" * 501),
        _form(ida.id, idempotency_key="short"),
        _form(ida.id, tapped_at="yesterday"),
        {"owner": "abc"},
    ):
        response = client.post(url, data=form)
        assert response.status_code == 400, form
        assert response.get_json()["error"]
    for form in (_form(outsider.id), _form(lead.id), _form(0)):  # not another user of this room: refused
        response = client.post(url, data=form)
        assert response.status_code == 403, form
        assert response.get_json()["error"]
    assert _discards(app) == []


def test_staff_may_not_discard(app: Flask, make: Factory) -> None:
    room = make.room()
    ida = make.user(Role.STAFF, rooms=[room], username="ida")
    make.user(Role.STAFF, rooms=[room], username="ole")
    response = _login(app, "ole").post(f"/rooms/{room.id}/outbox/discarded", data=_form(ida.id))
    assert response.status_code == 403
    assert _discards(app) == []
