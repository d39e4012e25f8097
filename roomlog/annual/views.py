"""``/annual/<kommunekode>/<year>``: the annual report to the ministry — print page, PDF and XLSX."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template
from flask_login import current_user

from roomlog.annual.report import STATE_DA, AnnualReport, build, xlsx
from roomlog.annual.unfinished import pending_months, pending_text
from roomlog.extensions import db
from roomlog.funding.report import annual_block
from roomlog.models import Municipality
from roomlog.models.codes import Role
from roomlog.reporting.windows import EARLIEST, LATEST_YEAR
from roomlog.reports.pdf import render_pdf
from roomlog.services.periods import today_local

bp = Blueprint("annual", __name__, url_prefix="/annual")


def _unfinished(report: AnnualReport) -> str:
    """The warning for a year with months not yet over or closed (``""`` for a finished year)."""
    return pending_text(pending_months(report.months, report.states, today_local()), len(report.months))


def _report(code: str, year: int):  # type: ignore[no-untyped-def]
    """Return the report if the user may see this municipality (its own, or national), else 404."""
    allowed = current_user.role == Role.NATIONAL or (
        current_user.role == Role.MUNICIPALITY and current_user.municipality_code == code
    )
    municipality = db.session.get(Municipality, code) if allowed else None
    if municipality is None or not EARLIEST.year <= year <= LATEST_YEAR:
        abort(404)
    config = current_app.config
    return build(
        db.session,
        municipality,
        year,
        threshold=int(config["SUPPRESSION_THRESHOLD"]),
        lock_after_days=int(config["LOCK_AFTER_DAYS"]),
    )


@bp.get("/<code>/<int:year>")
def report(code: str, year: int) -> str:
    """Show the annual report as a printable page."""
    annual = _report(code, year)
    return render_template(
        "annual/report.html",
        report=annual,
        unfinished=_unfinished(annual),
        states=STATE_DA,
        pdf=False,
        funding=annual_block(db.session, code, year, int(current_app.config["SUPPRESSION_THRESHOLD"])),
    )


@bp.get("/<code>/<int:year>.pdf")
def pdf(code: str, year: int) -> Response:
    """Download the annual report as PDF."""
    annual = _report(code, year)
    html = render_template(
        "annual/report.html",
        report=annual,
        unfinished=_unfinished(annual),
        states=STATE_DA,
        pdf=True,
        funding=annual_block(db.session, code, year, int(current_app.config["SUPPRESSION_THRESHOLD"])),
    )
    name = f"aarsafrapportering-{code}-{year}.pdf"
    return Response(
        render_pdf(html), mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/<code>/<int:year>.xlsx")
def workbook(code: str, year: int) -> Response:
    """Download the annual report as XLSX."""
    name = f"aarsafrapportering-{code}-{year}.xlsx"
    return Response(
        xlsx(_report(code, year)),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
