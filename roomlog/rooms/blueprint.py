"""The ``rooms`` blueprint object, shared by the view modules of this package."""

from __future__ import annotations

from flask import Blueprint

from roomlog.services.idempotency import new_key

bp = Blueprint("rooms", __name__, url_prefix="/rooms")
bp.add_app_template_global(new_key, "new_idempotency_key")
