"""``/municipality``: indicators × rooms with the municipality total, downloads, accepting months."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from roomlog.auth.access import roles_required
from roomlog.extensions import db
from roomlog.i18n import current_language
from roomlog.models.codes import Role
from roomlog.reporting.indicators import section_title
from roomlog.reporting.overview import lines, municipality_columns
from roomlog.reporting.publication.status import month_states
from roomlog.web.aggregates import chosen_window, download, tables, trend_charts
from roomlog.web.aggregates import datapackage as descriptor_response
from roomlog.web.approval_forms import AcceptForm

bp = Blueprint("municipality", __name__, url_prefix="/municipality")


@bp.before_request
@roles_required(Role.MUNICIPALITY)
def require_municipality() -> None:
    """Only municipality users use these pages (national users have /national)."""


@bp.get("/")
def index() -> str:
    """Show the municipality's rooms and total for a month, quarter or year."""
    t = tables(db.session, chosen_window(db.session, "month"))
    code = current_user.municipality_code
    mine = [r for r in t.rooms if r.municipality_code == code]
    if not mine:
        return render_template("municipality/no_rooms.html", municipality=current_user.municipality)
    columns = municipality_columns(t.rooms, code, _("Municipality total"))
    states = month_states(db.session, t.window, mine, current_app.config["LOCK_AFTER_DAYS"])
    names = {r.id: r.name for r in mine}
    name = current_user.municipality.official_name
    return render_template(
        "municipality/index.html",
        t=t,
        columns=columns,
        lines=lines(t.now, t.before, t.since, columns, current_language()),
        section_title=section_title,
        states=[(names[room_id], room_id, month, state) for room_id, month, state in states],
        accept_form=AcceptForm(next=request.full_path),
        municipality=current_user.municipality,
        trends=trend_charts(
            db.session, t.rooms, ("municipality", code), name, t.window.period.last, current_language()
        ),
    )


@bp.get("/export.<fmt>")
def export(fmt: str) -> Response:
    """Download the page's numbers as CSV or XLSX in the long format (disclosure-controlled)."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    t = tables(db.session, chosen_window(db.session, "month"))
    code = current_user.municipality_code
    if not any(r.municipality_code == code for r in t.rooms):
        abort(404)  # no room, no figures to download
    return download(db.session, t, fmt, code, False, f"kommune-{code}")


@bp.get("/export.datapackage.json")
def datapackage() -> Response:
    """The Frictionless data package descriptor of the page's CSV and XLSX (``dialect`` as the download's)."""
    return descriptor_response(chosen_window(db.session, "month"), f"kommune-{current_user.municipality_code}")
