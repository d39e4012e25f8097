"""Serve the service worker from the site root (its scope must cover the capture screens)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, send_from_directory

from roomlog.auth.access import public
from roomlog.models.codes import EmergencyAction
from roomlog.services.emergencies import NALOXONE_PRESETS

bp = Blueprint("offline", __name__)


@bp.get("/sw.js")
@public
def service_worker() -> Response:
    """Return the service worker script (no secrets in it: anyone may fetch it)."""
    # Not cached (the security headers say no-store): a new version is picked up on the next load.
    return send_from_directory(str(current_app.static_folder), "js/sw.js", mimetype="text/javascript", max_age=0)


@bp.app_template_global("offline_emergency_taps")
def offline_emergency_taps() -> dict[str, object]:
    """Return the naloxone presets and the other actions for the offline emergency panel."""
    return {
        "presets": NALOXONE_PRESETS,
        "actions": [a for a in EmergencyAction if a != EmergencyAction.NALOXONE],
    }
