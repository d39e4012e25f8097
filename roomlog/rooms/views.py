"""Room pages for staff and leads: the board and the capture screens, ``/rooms/<room_id>/…``.

Routes (every POST carries ``csrf_token`` and ``idempotency_key``; a successful POST answers
``303 See Other`` to the record's page; a repeated key answers the same redirect; a reused key
with other data answers 409; a form with errors re-renders with 400/403 and keeps the input).
``idempotency_key`` is 16–64 characters of ``[A-Za-z0-9_-]``: the rendered forms carry a fresh
uuid4 hex, and a client (e.g. a load test) may generate its own, one per intended record:

===========================================================  ======  ==========================================
URL                                                          method  fields
===========================================================  ======  ==========================================
/rooms/<room>/                                               GET     board (places, waiting, after-care, counts)
/rooms/<room>/board/live                                     GET     the board's live part (HTML fragment)
/rooms/<room>/check-in                                       GET     check-in form (new idempotency key)
/rooms/<room>/check-in                                       POST    last_letters, first_letters, birth_day,
                                                                     birth_month, birth_year, sex (m/f/x/u),
                                                                     nationality (dk/eu/non_eu/u),
                                                                     [occurred_at, reason] → /visits/<id>
/rooms/<room>/visits/anonymous                               POST    [occurred_at] → /visits/<id>
/rooms/<room>/turn-away                                      GET/POST turn_away_reason, [occurred_at, reason]
/rooms/<room>/visits/<visit>                                 GET     the visit: consumption form, quick taps
/rooms/<room>/visits/<visit>/consumptions                    POST    route, substances (repeat), place
                                                                     ("injection-3"/"smoking-1"), assisted
                                                                     (yes/no), [occurred_at, reason]
/rooms/<room>/consumptions/<id>/assisted                     POST    assisted (yes/no)
/rooms/<room>/consumptions/<id>/end                          POST    —  (frees the place)
/rooms/<room>/visits/<visit>/check-out                       POST    —
/rooms/<room>/emergencies                                    POST    [visit_id, consumption_id] → /emergencies/<id>
/rooms/<room>/emergencies/<id>                               GET     emergency screen with timeline
/rooms/<room>/emergencies/<id>/timeline                      GET     the running timeline (HTML fragment)
/rooms/<room>/emergencies/<id>/actions                       POST    action, [naloxone_route, naloxone_dose_mg,
                                                                     oxygen_phase]
/rooms/<room>/emergencies/<id>/outcome                       POST    outcome
/rooms/<room>/emergencies/<id>/details                       POST    type, severity, note
/rooms/<room>/visits/<visit>/referrals                       POST    target, mode
/rooms/<room>/visits/<visit>/services                        POST    service, quantity
/rooms/<room>/incidents                                      GET/POST type, narrative, [visit_id, occurred_at]
/rooms/<room>/records/<kind>/<id>                            GET     record, history, correction and void forms
/rooms/<room>/records/<kind>/<id>/correct                    POST    the kind's fields + reason
/rooms/<room>/records/<kind>/<id>/void                       POST    reason
/rooms/<room>/emergencies/<id>/reopen                        POST    —  (takes the outcome back, audited)
/rooms/<room>/emergencies/<id>/cancel                        POST    —  (opened by mistake: voided, audited)
/rooms/<room>/emergencies/<id>/handover                      GET     one-page print for the ambulance crew
/rooms/<room>/undo                                           POST    kind, record_id (the entry just made)
/rooms/<room>/end-of-shift                                   GET     open visits, open emergencies, long consumptions
===========================================================  ======  ==========================================
"""

from __future__ import annotations

from flask import current_app, render_template
from flask_login import current_user

from roomlog.auth.access import roles_required, room_for_member
from roomlog.extensions import db
from roomlog.models import Room
from roomlog.models.codes import Role
from roomlog.rooms import board as board_model
from roomlog.rooms.blueprint import bp

__all__ = ["bp"]


@bp.get("/")
@roles_required(Role.STAFF, Role.LEAD)
def index() -> str:
    """List the rooms the user works in."""
    return render_template("rooms/index.html", rooms=current_user.rooms)


@bp.get("/<int:room_id>/")
def board(room_id: int) -> str:
    """Show the room board."""
    room = room_for_member(room_id)
    return render_template("rooms/board.html", room=room, board=_build(room))


@bp.get("/<int:room_id>/board/live")
def board_live(room_id: int) -> str:
    """Return the live part of the board, for the page's own refresh."""
    room = room_for_member(room_id)
    return render_template("rooms/_board.html", room=room, board=_build(room))


def _build(room: Room) -> board_model.Board:
    return board_model.build(db.session, room, long_minutes=current_app.config["LONG_CONSUMPTION_MINUTES"])


# The capture screens register their routes on the same blueprint.
from roomlog.rooms import (  # noqa: E402, F401 (route registration)
    consumption_views,
    correction_views,
    emergency_views,
    hyphens,
    service_views,
    shift_views,
    undo_views,
    visit_views,
)
