"""The end-of-shift screen: what is still open, each closed with one tap; also the logout warning."""

from __future__ import annotations

from flask import current_app, jsonify, render_template, request
from werkzeug.wrappers import Response

from roomlog.auth.access import room_for_member
from roomlog.extensions import db
from roomlog.models.base import utcnow
from roomlog.rooms import shift
from roomlog.rooms.blueprint import bp


@bp.get("/<int:room_id>/end-of-shift")
def end_of_shift(room_id: int) -> str | Response:
    """List open visits, emergencies without outcome and long consumptions (``?format=json``: counts)."""
    room = room_for_member(room_id)
    now = utcnow()
    summary = shift.build(db.session, room, now, current_app.config["LONG_CONSUMPTION_MINUTES"])
    if request.args.get("format") == "json":
        return jsonify(
            open_visits=len(summary.visits),
            open_emergencies=len(summary.emergencies),
            long_consumptions=len(summary.long_consumptions),
            total=summary.count,
        )
    return render_template(
        "rooms/end_of_shift.html", room=room, summary=summary, now=now, before_logout=request.args.get("logout") == "1"
    )
