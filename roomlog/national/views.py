"""``/national``: yearly (or any period's) totals of every municipality, change, acute treatments since opening."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask_babel import gettext as _

from roomlog.auth.access import roles_required
from roomlog.extensions import db
from roomlog.i18n import current_language
from roomlog.models.codes import Role
from roomlog.reporting.charts import national_title
from roomlog.reporting.indicators import section_title
from roomlog.reporting.overview import headline_rows, lines, national_columns
from roomlog.reporting.publication import NATIONAL
from roomlog.web.aggregates import chosen_window, download, tables, trend_charts
from roomlog.web.aggregates import datapackage as descriptor_response

bp = Blueprint("national", __name__, url_prefix="/national")


@bp.before_request
@roles_required(Role.NATIONAL)
def require_national() -> None:
    """Only national users use these pages."""


@bp.get("/")
def index() -> str:
    """Show every room and municipality with the national total for a year (or another period)."""
    t = tables(db.session, chosen_window(db.session, "year"))
    columns = national_columns(t.rooms, _("National total"))
    return render_template(
        "national/index.html",
        t=t,
        headline=headline_rows(
            t.now, t.before, t.since, t.rooms, _("National total"), t.to_quarter, t.to_quarter_since
        ),
        columns=columns,
        lines=lines(t.now, t.before, t.since, columns, current_language()),
        section_title=section_title,
        municipalities=list(dict.fromkeys((r.municipality_code, r.municipality_name) for r in t.rooms)),
        trends=trend_charts(
            db.session, t.rooms, NATIONAL, national_title(current_language()), t.window.period.last, current_language()
        ),
    )


@bp.get("/export.<fmt>")
def export(fmt: str) -> Response:
    """Download every municipality's numbers and the national total as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    return download(db.session, tables(db.session, chosen_window(db.session, "year")), fmt, None, True, "nationalt")


@bp.get("/export.datapackage.json")
def datapackage() -> Response:
    """The Frictionless data package descriptor of the national CSV and XLSX."""
    return descriptor_response(chosen_window(db.session, "year"), "nationalt")
