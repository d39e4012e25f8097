"""Serve the service worker from the site root; a lead's discard of another user's queued entry."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, send_from_directory
from flask_login import current_user

from roomlog.auth.access import public, room_for_member
from roomlog.extensions import db
from roomlog.i18n import message
from roomlog.models.codes import EmergencyAction, Role
from roomlog.services import DomainError, outbox
from roomlog.services.emergencies import NALOXONE_PRESETS
from roomlog.web.code_key import code_key

bp = Blueprint("offline", __name__)


@bp.get("/sw.js")
@public
def service_worker() -> Response:
    """Return the service worker script (no secrets in it: anyone may fetch it)."""
    # Not cached (the security headers say no-store): a new version is picked up on the next load.
    return send_from_directory(str(current_app.static_folder), "js/sw.js", mimetype="text/javascript", max_age=0)


@bp.post("/rooms/<int:room_id>/outbox/discarded")
def outbox_discarded(room_id: int) -> tuple[Response, int]:
    """Record (audit log) that a room lead discarded an entry another user left queued on a tablet."""
    room = room_for_member(room_id, Role.LEAD)
    form = request.form
    try:
        entry = outbox.record_discard(
            db.session,
            room,
            current_user,
            owner_id=form.get("owner", ""),
            key=form.get("idempotency_key", ""),
            kind=form.get("kind", ""),
            tapped_at=form.get("tapped_at", ""),
            reason=form.get("reason", ""),
        )
    except DomainError as exc:
        db.session.rollback()
        return jsonify(error=message(exc)), exc.status_code
    db.session.commit()
    return jsonify(recorded=entry is not None), 200


@bp.app_template_global("outbox_code_key")
def outbox_code_key() -> dict[str, str]:
    """Return the public key (base64 SPKI) and its id, for sealing a code typed offline."""
    key = code_key()
    return {"spki": key.public_spki, "kid": key.kid}


@bp.app_template_global("offline_emergency_taps")
def offline_emergency_taps() -> dict[str, object]:
    """Return the naloxone presets and the other actions for the offline emergency panel."""
    return {
        "presets": NALOXONE_PRESETS,
        "actions": [a for a in EmergencyAction if a != EmergencyAction.NALOXONE],
    }
