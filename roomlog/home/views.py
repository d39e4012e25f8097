"""``/``: take each user to their own start page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from roomlog.auth.access import rooms_in_scope
from roomlog.models.codes import ROOM_ROLES, Role

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> Response | str:
    """Send staff and leads to their room, admins to admin, others to their overview."""
    user = current_user
    if user.role in ROOM_ROLES:
        if len(user.rooms) == 1:
            return redirect(url_for("rooms.board", room_id=user.rooms[0].id))
        return redirect(url_for("rooms.index"))
    if user.role == Role.ADMIN:
        return redirect(url_for("admin.index"))
    if user.role in (Role.MUNICIPALITY, Role.NATIONAL):
        return redirect(url_for(f"{user.role.value}.index"))
    return render_template("home/overview.html", rooms=rooms_in_scope(user))
