"""Small helpers the capture views share: times from a form, one-tap changes, re-rendering on errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from flask import redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from roomlog.auth.access import room_for_member
from roomlog.extensions import db
from roomlog.i18n import message
from roomlog.messages import N_
from roomlog.models import Room, RoomEvent
from roomlog.rooms.forms import CaptureForm
from roomlog.rooms.submit import record_in_room
from roomlog.services import Conflict, DomainError
from roomlog.services.event_times import Stamp, parse_local, resolve

E = TypeVar("E", bound=RoomEvent)


def change_record(room_id: int, model: type[E], record_id: int, change: Callable[[E], object]) -> tuple[Room, E]:
    """Apply a one-tap change to a record of a room the user works in, and commit; return the room and record.

    The room (members only) and its record are loaded (else 404), then ``change`` calls
    the service, which enforces every rule about changing the record (month lock, approval).
    """
    room = room_for_member(room_id)
    row = record_in_room(model, room, record_id)
    change(row)
    db.session.commit()
    return room, row


def stamp_from(room: Room, form: CaptureForm) -> Stamp:
    """Resolve the time of a submitted capture form (checks back-dating and the period)."""
    when = parse_local(form.occurred_at.data) or parse_local(request.form.get("tapped_at"))
    return resolve(db.session, room, current_user, when, reason=form.reason.data)


def tapped_at() -> dt.datetime | None:
    """Return when a one-tap form was tapped, if it says so (an entry sent later from the offline outbox).

    The outbox sends ``tapped_at``, which is not part of the payload hash: a submission that did
    reach the server before the connection broke is recognised when it is sent again.
    """
    return parse_local(request.form.get("occurred_at") or request.form.get("tapped_at"))


def form_failed(form: CaptureForm, exc: DomainError) -> int:
    """Roll back, attach the error to the form and return the status to re-render with."""
    db.session.rollback()
    if isinstance(exc, Conflict):
        raise exc
    form.form_errors.append(message(exc))
    return exc.status_code


def to_visit(room: Room, visit_id: int) -> Response:
    """Redirect (303) to a visit's page."""
    return redirect(url_for("rooms.visit", room_id=room.id, visit_id=visit_id), 303)


#: A tapped value the server does not know.
INVALID_VALUE = N_("A value is not valid. Check the form.")
