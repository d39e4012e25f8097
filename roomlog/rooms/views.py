"""Room pages for staff and leads: ``/rooms/<room_id>/…``."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from roomlog.auth.access import roles_required, room_for_member
from roomlog.models.codes import Role

bp = Blueprint("rooms", __name__, url_prefix="/rooms")


@bp.get("/")
@roles_required(Role.STAFF, Role.LEAD)
def index() -> str:
    """List the rooms the user works in."""
    return render_template("rooms/index.html", rooms=current_user.rooms)


@bp.get("/<int:room_id>/")
def board(room_id: int) -> str:
    """Show the room board."""
    room = room_for_member(room_id)
    return render_template("rooms/board.html", room=room)
