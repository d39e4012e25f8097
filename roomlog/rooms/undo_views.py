"""Undo after a one-tap entry: the screen offers it for about ten seconds, then it is gone."""

from __future__ import annotations

import time
from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from roomlog.auth.access import room_for_member
from roomlog.extensions import db
from roomlog.models import (
    Consumption,
    Emergency,
    EmergencyActionRecord,
    Referral,
    Room,
    RoomEvent,
    ServiceRecord,
    Visit,
)
from roomlog.rooms import undo_cookie
from roomlog.rooms.blueprint import bp
from roomlog.rooms.capture import INVALID_VALUE
from roomlog.rooms.submit import record_in_room
from roomlog.services import DomainError, bounds, undo

#: Seconds the Undo button shows on the next page.
UNDO_SECONDS = 10
MODELS: dict[str, type[RoomEvent]] = {
    "visit": Visit,
    "emergency": Emergency,
    "emergency_action": EmergencyActionRecord,
    "referral": Referral,
    "service": ServiceRecord,
    "consumption_end": Consumption,
    "check_out": Visit,
}


def offer(kind: str, record_id: int, text: str) -> None:
    """Offer Undo for the record just saved, on the next page this user sees (its own cookie, see undo_cookie)."""
    offered = {"kind": kind, "id": record_id, "text": text, "at": int(time.time())}
    undo_cookie.put(offered, int(undo.UNDO_WINDOW.total_seconds()))


@bp.app_template_global("take_undo")
def take_undo() -> dict[str, Any] | None:
    """Return (once) the Undo offered by the last tap, while it is fresh."""
    offer = undo_cookie.take()
    if not isinstance(offer, dict) or time.time() - offer.get("at", 0) > undo.UNDO_WINDOW.total_seconds():
        return None
    return {**offer, "seconds": UNDO_SECONDS}


def _back(room: Room, kind: str, row: RoomEvent) -> Response:
    if kind == "emergency_action":
        target = url_for("rooms.emergency", room_id=room.id, emergency_id=row.emergency_id)  # type: ignore[attr-defined]  # MODELS[kind]: EmergencyActionRecord
    elif kind == "check_out":
        target = url_for("rooms.visit", room_id=room.id, visit_id=row.id)
    elif kind in ("referral", "service", "consumption_end") and row.visit_id:  # type: ignore[attr-defined]  # these kinds' models have visit_id
        target = url_for("rooms.visit", room_id=room.id, visit_id=row.visit_id)  # type: ignore[attr-defined]  # as above
    else:
        target = url_for("rooms.board", room_id=room.id)
    return redirect(target, 303)


@bp.post("/<int:room_id>/undo")
def undo_last(room_id: int) -> Response:
    """Take back the entry just made (voided with an audit entry), then go back where it was made."""
    room = room_for_member(room_id)
    kind = request.form.get("kind", "")
    model = MODELS.get(kind)
    record_id = bounds.record_id(request.form.get("record_id"))
    if model is None or record_id is None:
        raise DomainError(INVALID_VALUE)
    row = record_in_room(model, room, record_id)
    if kind == "consumption_end":
        undo.undo_end(db.session, room, row, current_user)  # type: ignore[arg-type]  # MODELS[kind]: Consumption
    elif kind == "check_out":
        undo.undo_check_out(db.session, room, row, current_user)  # type: ignore[arg-type]  # MODELS[kind]: Visit
    else:
        undo.undo(db.session, room, kind, row, current_user, reason=_(undo.UNDONE))
    db.session.commit()
    undo_cookie.take()  # an offer still pending is spent (its cookie is deleted)
    flash(_("Undone."), "info")
    return _back(room, kind, row)
