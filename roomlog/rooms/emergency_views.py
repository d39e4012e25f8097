"""The emergency screen: open at "now", one tap per action, outcome, details afterwards."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TypeVar

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from roomlog.auth.access import room_for_member
from roomlog.extensions import db
from roomlog.i18n import label, local_time, number
from roomlog.models import Consumption, Emergency, EmergencyActionRecord, Room
from roomlog.models.base import utcnow
from roomlog.models.codes import EmergencyAction, EmergencyOutcome, EmergencyType, NaloxoneRoute, OxygenPhase, Severity
from roomlog.rooms import emergency_screen, undo_views
from roomlog.rooms.blueprint import bp
from roomlog.rooms.capture import INVALID_VALUE, change_record, tapped_at
from roomlog.rooms.submit import form_key, form_payload, record_in_room, save_once, visit_in_room
from roomlog.services import DomainError, bounds, emergencies
from roomlog.services.event_times import resolve


@bp.app_template_global("duration")
def duration(since: dt.datetime, until: dt.datetime | None) -> str:
    """Format how long something lasted (``until`` ``None``: until now) for the emergency screen."""
    return emergency_screen.clock(since, until, utcnow())


@bp.app_template_filter("seconds")
def with_seconds(value: dt.datetime | None) -> str:
    """Format a local clock time with seconds (HH:MM:SS): re-dosing is timed to the second."""
    return "" if value is None else format_time(value, "HH:mm:ss")


def _to_screen(room: Room, emergency_id: int) -> Response:
    return redirect(url_for("rooms.emergency", room_id=room.id, emergency_id=emergency_id), 303)


def _action_text(row: EmergencyActionRecord) -> str:
    """Say what was stamped, for the Undo bar: "Naloxone i.n. 1,8 mg at 20:43"."""
    what = " ".join(
        part
        for part in (
            label(row.action),
            label(row.naloxone_route) if row.naloxone_route else "",
            f"{number(row.naloxone_dose_mg, 1)} mg" if row.naloxone_dose_mg is not None else "",
            label(row.oxygen_phase) if row.oxygen_phase else "",
        )
        if part
    )
    return _("%(action)s at %(time)s", action=what, time=local_time(row.occurred_at))


E = TypeVar("E", bound=Enum)


def _code(enum_cls: type[E], name: str) -> E | None:
    value = request.form.get(name) or None
    if value is None:
        return None
    try:
        return enum_cls(value)
    except ValueError as exc:
        raise DomainError(INVALID_VALUE) from exc


@bp.post("/<int:room_id>/emergencies")
def open_emergency(room_id: int) -> Response:
    """Open an emergency at now (from a place, a visit or the board) with one tap."""
    room = room_for_member(room_id)
    consumption_id = bounds.record_id(request.form.get("consumption_id"))
    visit_id = bounds.record_id(request.form.get("visit_id"))
    consumption = record_in_room(Consumption, room, consumption_id) if consumption_id else None
    visit = visit_in_room(room, visit_id) if visit_id else None

    def create(digest: str) -> Emergency:
        stamp = resolve(db.session, room, current_user, tapped_at())
        return emergencies.open_emergency(
            db.session, room, current_user, stamp,
            visit=visit, consumption=consumption, key=form_key(), payload_hash=digest,
        )  # fmt: skip

    row = save_once(Emergency, form_key(), form_payload(), create)
    undo_views.offer("emergency", row.id, _("Emergency opened at %(time)s", time=local_time(row.occurred_at)))
    return _to_screen(room, row.id)


@bp.get("/<int:room_id>/emergencies/<int:emergency_id>")
def emergency(room_id: int, emergency_id: int) -> str:
    """Show the emergency screen: one button per action and the running timeline."""
    room = room_for_member(room_id)
    row = record_in_room(Emergency, room, emergency_id)
    return render_template(
        "rooms/emergency.html",
        room=room,
        emergency=row,
        status=emergency_screen.status(row, utcnow()),
        actions=[a for a in EmergencyAction if a != EmergencyAction.NALOXONE],
        presets=emergencies.NALOXONE_PRESETS,
        oxygen_running=emergencies.oxygen_running(row),
        outcomes=list(EmergencyOutcome),
        types=list(EmergencyType),
        severities=list(Severity),
    )


@bp.get("/<int:room_id>/emergencies/<int:emergency_id>/timeline")
def emergency_timeline(room_id: int, emergency_id: int) -> str:
    """Return the running timeline (HTML fragment), so every tablet sees every tap."""
    room = room_for_member(room_id)
    row = record_in_room(Emergency, room, emergency_id)
    return render_template(
        "rooms/_timeline.html", room=room, emergency=row, status=emergency_screen.status(row, utcnow())
    )


@bp.get("/<int:room_id>/emergencies/<int:emergency_id>/handover")
def emergency_handover(room_id: int, emergency_id: int) -> str:
    """Print one page for the ambulance crew: times, doses, oxygen, ambulance (no visitor code)."""
    room = room_for_member(room_id)
    row = record_in_room(Emergency, room, emergency_id)
    now = utcnow()
    return render_template(
        "rooms/handover.html", room=room, emergency=row, status=emergency_screen.status(row, now), now=now
    )


@bp.post("/<int:room_id>/emergencies/<int:emergency_id>/actions")
def emergency_action(room_id: int, emergency_id: int) -> Response:
    """Stamp one action (naloxone dose, oxygen start/stop, 112 …) at now."""
    room = room_for_member(room_id)
    row = record_in_room(Emergency, room, emergency_id)
    action = _code(EmergencyAction, "action")
    if action is None:
        raise DomainError(INVALID_VALUE)

    def create(digest: str) -> EmergencyActionRecord:
        return emergencies.add_action(
            db.session, row, current_user, resolve(db.session, room, current_user, tapped_at()),
            action=action, naloxone_route=_code(NaloxoneRoute, "naloxone_route"),
            dose=emergencies.parse_dose(request.form.get("naloxone_dose_mg")),
            oxygen_phase=_code(OxygenPhase, "oxygen_phase"), key=form_key(), payload_hash=digest,
        )  # fmt: skip

    saved = save_once(EmergencyActionRecord, form_key(), form_payload(emergency=row.id), create)
    undo_views.offer("emergency_action", saved.id, _action_text(saved))
    return _to_screen(room, row.id)


@bp.post("/<int:room_id>/emergencies/<int:emergency_id>/outcome")
def emergency_outcome(room_id: int, emergency_id: int) -> Response:
    """Record the outcome with one tap."""

    def change(row: Emergency) -> None:
        outcome = _code(EmergencyOutcome, "outcome")
        if outcome is None:
            raise DomainError(INVALID_VALUE)
        emergencies.set_outcome(db.session, row, current_user, outcome)

    room, row = change_record(room_id, Emergency, emergency_id, change)
    return _to_screen(room, row.id)


@bp.post("/<int:room_id>/emergencies/<int:emergency_id>/details")
def emergency_details(room_id: int, emergency_id: int) -> Response:
    """Save type, severity and a short note, filled in after the emergency."""

    def change(row: Emergency) -> None:
        emergencies.set_details(
            db.session, row, current_user,
            type=_code(EmergencyType, "type"), severity=_code(Severity, "severity"), note=request.form.get("note"),
        )  # fmt: skip

    room, row = change_record(room_id, Emergency, emergency_id, change)
    return _to_screen(room, row.id)


@bp.post("/<int:room_id>/emergencies/<int:emergency_id>/reopen")
def emergency_reopen(room_id: int, emergency_id: int) -> Response:
    """Take the outcome back, so that actions after it are stamped in time order (audited)."""
    room, row = change_record(
        room_id, Emergency, emergency_id, lambda r: emergencies.reopen(db.session, r, current_user)
    )
    return _to_screen(room, row.id)


@bp.post("/<int:room_id>/emergencies/<int:emergency_id>/cancel")
def emergency_cancel(room_id: int, emergency_id: int) -> Response:
    """Cancel an emergency opened by mistake (confirmed on the screen; voided and audited)."""

    def change(row: Emergency) -> None:
        emergencies.cancel(db.session, row, current_user, _("Opened by mistake"))

    room, _row = change_record(room_id, Emergency, emergency_id, change)
    flash(_("The emergency was cancelled (opened by mistake)."), "info")
    return redirect(url_for("rooms.board", room_id=room.id), 303)
