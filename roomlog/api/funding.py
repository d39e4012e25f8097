"""``GET /api/v1/funding``: funding next to published activity per room and year, scoped like the aggregates.

A municipality token sees its own rooms, a national token every room. Counts hidden by
disclosure control are ``null`` and so is any cost that would need them.
"""

from __future__ import annotations

from decimal import Decimal

from flask import current_app, g, jsonify, request
from werkzeug.wrappers import Response

from roomlog.api.errors import bad_parameter
from roomlog.api.views import bp
from roomlog.auth.access import public
from roomlog.extensions import db
from roomlog.funding.report import CostLine, cost_lines
from roomlog.funding.rules import FIRST_YEAR, LAST_YEAR
from roomlog.messages import N_, Message


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _row(line: CostLine) -> dict[str, object]:
    c = line.cost
    return {
        "municipality_code": line.room.municipality_code,
        "room_id": line.room.id,
        "room": line.room.name,
        "year": c.funding.year,
        "state_operating_kr": c.funding.state_kr,
        "municipal_operating_kr": c.funding.municipal_kr,
        "total_operating_kr": c.funding.total_kr,
        "consumptions": c.activity.consumptions,
        "acute_treatments": c.activity.acute_treatments,
        "cost_per_consumption_kr": _number(c.per_consumption),
        "cost_per_acute_treatment_kr": _number(c.per_acute_treatment),
        "provisional": c.activity.provisional,
    }


@bp.get("/funding")
@public  # the API's own bearer-token check runs before every request of the blueprint
def funding() -> Response | tuple[Response, int]:
    """Operating funding (state + municipal) per room and year with the cost per consumption and acute treatment."""
    raw = request.args.get("year")
    year = None
    if raw is not None:
        if not raw.isascii() or not raw.isdigit() or not FIRST_YEAR <= int(raw) <= LAST_YEAR:
            reason = Message(
                N_("'year' must be a year from %(first)s to %(last)s"), {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
            return bad_parameter("year", reason)
        year = int(raw)
    scope = None if g.api_national else g.api_municipality
    return jsonify(
        year=year,
        rows=[
            _row(line) for line in cost_lines(db.session, scope, year, int(current_app.config["SUPPRESSION_THRESHOLD"]))
        ],
    )
