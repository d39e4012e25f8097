"""Permits per room: status and date at creation, dated steps with history and audit; capture needs a granted permit."""

from __future__ import annotations

import datetime as dt

from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roomlog.models import AuditEntry, PermitEvent, Room, Visit
from roomlog.models.codes import PermitStatus, Role
from tests.support.apps import AuthActions
from tests.support.capture import check_in, key
from tests.support.factories import Factory


def _room(dbs: Session, name: str) -> Room:
    dbs.expire_all()
    return dbs.scalar(select(Room).where(Room.name == name))


def _steps(dbs: Session, room: Room) -> list[tuple[str, dt.date]]:
    rows = dbs.scalars(select(PermitEvent).where(PermitEvent.room_id == room.id).order_by(PermitEvent.id))
    return [(e.status.value, e.on_date) for e in rows]


def _create_esbjerg(runner: FlaskCliRunner, permit: str, on: str) -> Result:
    """``roomlog room create`` of a room Esbjerg in municipality 561 with a permit status and its date."""
    return runner.invoke(
        args=["room", "create", "--name", "Esbjerg", "--municipality", "561", "--permit", permit, "--permit-date", on]
    )


def test_room_create_needs_a_permit_and_its_date(runner: FlaskCliRunner, dbs: Session) -> None:
    missing = runner.invoke(args=["room", "create", "--name", "Esbjerg", "--municipality", "561"])
    assert missing.exit_code == 2 and "--permit" in missing.output
    bad = _create_esbjerg(runner, "refused", "2026-01-05")
    assert bad.exit_code == 2
    ok = _create_esbjerg(runner, "applied", "2026-01-05")
    assert ok.exit_code == 0, ok.output
    room = _room(dbs, "Esbjerg")
    assert (room.permit_status, room.permit_date) == (PermitStatus.APPLIED, dt.date(2026, 1, 5))
    assert _steps(dbs, room) == [("applied", dt.date(2026, 1, 5))]
    assert dbs.scalar(select(AuditEntry).where(AuditEntry.action == "room.permit", AuditEntry.room_id == room.id))


def test_room_permit_moves_the_permit_on_and_refuses_impossible_steps(runner: FlaskCliRunner, dbs: Session) -> None:
    _create_esbjerg(runner, "planned", "2025-09-01")
    skip = runner.invoke(args=["room", "permit", "--name", "Esbjerg", "--status", "granted", "--date", "2025-10-01"])
    assert skip.exit_code == 1 and "kan ikke gå fra planlagt til tilladelse meddelt" in skip.output
    earlier = runner.invoke(args=["room", "permit", "--name", "esbjerg", "--status", "applied", "--date", "2025-08-01"])
    assert earlier.exit_code == 1 and "seneste trin" in earlier.output
    for status, day in (("applied", "2025-10-01"), ("granted", "2026-02-01")):
        result = runner.invoke(
            args=["room", "permit", "--name", "esbjerg", "--status", status, "--date", day, "--note", "SST ref 12"]
        )
        assert result.exit_code == 0, result.output
    room = _room(dbs, "Esbjerg")
    assert room.permit_status == PermitStatus.GRANTED and room.permit_date == dt.date(2026, 2, 1)
    assert [s for s, _ in _steps(dbs, room)] == ["planned", "applied", "granted"]
    audits = dbs.scalars(
        select(AuditEntry).where(AuditEntry.action == "room.permit", AuditEntry.room_id == room.id)
    ).all()
    assert len(audits) == 3 and audits[-1].reason == "SST ref 12"
    unknown = runner.invoke(args=["room", "permit", "--name", "Nowhere", "--status", "granted", "--date", "2026-02-01"])
    assert unknown.exit_code == 1 and "no room named" in unknown.output


def test_admin_permit_page_shows_history_and_records_the_next_step(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    make.user(Role.ADMIN, username="root")
    auth.login("root")
    form = {"name": "Esbjerg", "municipality_code": "561", "operator_type": "municipal", "model": "integrated",
            "permit_status": "applied", "permit_date": "2025-11-03", "places_injection": "2", "places_smoking": "2",
            "service_day_cutoff": "05:00", "active": "y"}  # fmt: skip
    assert client.post("/admin/rooms/new", data=form).status_code == 302
    room = _room(dbs, "Esbjerg")
    page = client.get(f"/admin/rooms/{room.id}/permit").get_data(as_text=True)
    assert 'data-permit="applied"' in page and "ansøgt" in page
    refused = client.post(f"/admin/rooms/{room.id}/permit", data={"status": "applied", "on_date": "2025-12-01"})
    assert refused.status_code == 400 and "allerede" in refused.get_data(as_text=True)
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    assert "fremtiden" in client.post(
        f"/admin/rooms/{room.id}/permit", data={"status": "granted", "on_date": future}
    ).get_data(as_text=True)
    done = client.post(
        f"/admin/rooms/{room.id}/permit", data={"status": "granted", "on_date": "2025-12-01", "note": "ref 7"}
    )
    assert done.status_code == 302
    assert _room(dbs, "Esbjerg").permit_status == PermitStatus.GRANTED
    edit = client.get(f"/admin/rooms/{room.id}").get_data(as_text=True)
    assert 'name="permit_status"' not in edit and "tilladelse meddelt" in edit
    # Editing the room's other facts leaves the permit (and its history) alone.
    client.post(f"/admin/rooms/{room.id}", data={**form, "places_injection": "3", "permit_status": "planned"})
    room = _room(dbs, "Esbjerg")
    assert room.places_injection == 3 and room.permit_status == PermitStatus.GRANTED
    assert [s for s, _ in _steps(dbs, room)] == ["applied", "granted"]


def test_capture_is_refused_until_the_permit_is_granted(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session, app: Flask
) -> None:
    room = make.room("Aalborg", municipality="851", permit_status=PermitStatus.APPLIED, permit_date=dt.date(2026, 1, 2))
    staff = make.user(Role.STAFF, rooms=[room])
    auth.login(staff.username)
    response = check_in(client, room)
    assert response.status_code == 403
    assert "tilladelse" in response.get_data(as_text=True) and "ansøgt" in response.get_data(as_text=True)
    anonymous = client.post(f"/rooms/{room.id}/visits/anonymous", data={"idempotency_key": key()})
    assert anonymous.status_code == 403
    assert dbs.scalar(select(func.count()).select_from(Visit)) == 0
    with app.test_request_context():
        from roomlog.extensions import db
        from roomlog.services.permits import change_permit

        change_permit(db.session, db.session.get(Room, room.id), PermitStatus.GRANTED, dt.date(2026, 1, 20))
        db.session.commit()
    assert check_in(client, room).status_code == 303
    assert dbs.scalar(select(func.count()).select_from(Visit)) == 1
