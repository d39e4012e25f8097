"""Record pages: any record with its history, corrected or voided with a reason."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from roomlog.auth.access import room_for_member
from roomlog.extensions import db
from roomlog.i18n import message
from roomlog.models import Room, RoomEvent, User
from roomlog.models.codes import Substance
from roomlog.rooms.blueprint import bp
from roomlog.rooms.submit import record_in_room
from roomlog.services import DomainError, corrections, dependants
from roomlog.web import history_text
from roomlog.web.history_text import FIELD_LABELS, KIND_LABELS


def _usernames(ids: set[int | None]) -> dict[int, str]:
    rows = db.session.execute(select(User.id, User.username).where(User.id.in_([i for i in ids if i])))
    return {user_id: name for user_id, name in rows}


def _record(room: Room, kind: str, record_id: int) -> RoomEvent:
    model = corrections.KINDS.get(kind) or abort(404)
    return record_in_room(model, room, record_id)


def _page(
    room: Room, kind: str, row: RoomEvent, error: str | None = None, status: int = 200, reason: str = ""
) -> tuple[str, int]:
    entries = corrections.history(db.session, kind, row.id)
    found = dependants.dependants(db.session, kind, row)
    values = corrections.current_values(kind, row)
    return render_template(
        "rooms/record.html",
        field_labels=FIELD_LABELS,
        kind_labels=KIND_LABELS,
        substance_codes=list(Substance),
        users=_usernames({e.user_id for e in entries}),
        room=room,
        kind=kind,
        record=row,
        values=values,
        shown={name: history_text.value_text(kind, name, value) for name, value in values.items()},
        fields=corrections.FIELDS[kind],
        history=history_text.rows(kind, entries, FIELD_LABELS),
        can_correct=corrections.may_correct(current_user, row, room),
        error=error,
        dependants=found,
        dependants_signature=dependants.signature(found),
        void_reason=reason,
    ), status


@bp.get("/<int:room_id>/records/<kind>/<int:record_id>")
def record(room_id: int, kind: str, record_id: int) -> tuple[str, int]:
    """Show a record, its history from the audit log, and the correction and void forms."""
    room = room_for_member(room_id)
    return _page(room, kind, _record(room, kind, record_id))


@bp.post("/<int:room_id>/records/<kind>/<int:record_id>/correct")
def correct(room_id: int, kind: str, record_id: int) -> Response | tuple[str, int]:
    """Correct a record with a reason (the diff goes to the audit log)."""
    room = room_for_member(room_id)
    row = _record(room, kind, record_id)
    try:
        values = corrections.parse_values(kind, request.form.to_dict(flat=False))
        changes = corrections.correct(db.session, room, kind, row, current_user, values, request.form.get("reason", ""))
    except DomainError as exc:
        db.session.rollback()
        return _page(room, kind, _record(room, kind, record_id), message(exc), exc.status_code)
    db.session.commit()
    flash(_("Correction saved.") if changes else _("Nothing was changed."), "info")
    return redirect(url_for("rooms.record", room_id=room.id, kind=kind, record_id=row.id), 303)


@bp.post("/<int:room_id>/records/<kind>/<int:record_id>/void")
def void(room_id: int, kind: str, record_id: int) -> Response | tuple[str, int]:
    """Void a record with a reason; it stays in the log and leaves every count."""
    room = room_for_member(room_id)
    row = _record(room, kind, record_id)
    reason = request.form.get("reason", "")
    try:
        voided = corrections.void(
            db.session, room, kind, row, current_user, reason, confirmed=request.form.get("dependants")
        )
    except DomainError as exc:
        db.session.rollback()
        return _page(room, kind, _record(room, kind, record_id), message(exc), exc.status_code, reason)
    db.session.commit()
    flash(_("The record is voided, with %(count)s records that belong to it.", count=len(voided)) if voided
          else _("The record is voided."), "info")  # fmt: skip
    return redirect(url_for("rooms.record", room_id=room.id, kind=kind, record_id=row.id), 303)
