"""``/annual/<kommunekode>/<year>``: the annual report to the ministry — print page, PDF and XLSX."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user

from roomlog.annual.content import Content
from roomlog.annual.national import NationalReport, build_national
from roomlog.annual.report import AnnualReport, build
from roomlog.annual.unfinished import pending_months, pending_text
from roomlog.annual.workbook import national_xlsx, xlsx
from roomlog.auth.access import roles_required
from roomlog.calendar import today_local
from roomlog.extensions import db
from roomlog.funding.report import annual_block
from roomlog.messages import C_, in_danish
from roomlog.models import Municipality
from roomlog.models.codes import Role
from roomlog.reporting.charts import Trends, national_title
from roomlog.reporting.exports import DANISH, Dialect, dialect
from roomlog.reporting.publication import NATIONAL, Unit, reader_rooms
from roomlog.reporting.windows import EARLIEST, LATEST_YEAR
from roomlog.web.aggregates import stored_versions, trend_charts
from roomlog.web.downloads import attachment
from roomlog.web.pdf import render_pdf

bp = Blueprint("annual", __name__, url_prefix="/annual")


def _unfinished(report: AnnualReport) -> str:
    """The warning for a year with months not yet over or closed (``""`` for a finished year)."""
    return pending_text(pending_months(report.months, report.states, today_local()), len(report.months))


def _trends(unit: Unit, title: str, year: int) -> Trends:
    """The report's trend charts up to December of ``year`` (in Danish, like the report)."""
    return trend_charts(db.session, reader_rooms(db.session), unit, title, dt.date(year, 12, 1), "da")


def _report(code: str, year: int) -> AnnualReport:
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


def _report_html(code: str, year: int, pdf: bool) -> str:
    annual = _report(code, year)
    return render_template(
        "annual/report.html",
        report=annual,
        unfinished=_unfinished(annual),
        pdf=pdf,
        funding=annual_block(db.session, code, year, int(current_app.config["SUPPRESSION_THRESHOLD"])),
        trends=_trends(("municipality", code), annual.municipality.official_name, year),
    )


@bp.get("/<code>/<int:year>")
def report(code: str, year: int) -> str:
    """Show the annual report as a printable page."""
    return _report_html(code, year, pdf=False)


@bp.get("/<code>/<int:year>.pdf")
def pdf(code: str, year: int) -> Response:
    """Download the annual report as PDF."""
    return attachment(render_pdf(_report_html(code, year, pdf=True)), f"aarsafrapportering-{code}-{year}.pdf")


@bp.get("/<code>/<int:year>.xlsx")
def workbook(code: str, year: int) -> Response:
    """Download the annual report as XLSX."""
    d = _dialect()
    report = _report(code, year)
    return attachment(xlsx(report, _versions(report.content), d), f"aarsafrapportering-{code}-{year}{_suffix(d)}.xlsx")


def _national(year: int) -> NationalReport:
    """The national report for the national role (403 for everyone else, 404 outside the years)."""
    if not EARLIEST.year <= year <= LATEST_YEAR:
        abort(404)
    return build_national(db.session, year, threshold=int(current_app.config["SUPPRESSION_THRESHOLD"]))


def _national_html(year: int, pdf: bool) -> str:
    report = _national(year)
    names = {m.code: m.official_name for m in report.municipalities}
    trends = _trends(NATIONAL, national_title("da"), year)
    return render_template("annual/national.html", report=report, names=names, pdf=pdf, trends=trends)


@bp.get("/national/<int:year>")
@roles_required(Role.NATIONAL)
def national(year: int) -> str:
    """Show the national annual report as a printable page."""
    return _national_html(year, pdf=False)


@bp.get("/national/<int:year>.pdf")
@roles_required(Role.NATIONAL)
def national_pdf(year: int) -> Response:
    """Download the national annual report as PDF."""
    return attachment(render_pdf(_national_html(year, pdf=True)), f"aarsafrapportering-hele-landet-{year}.pdf")


@bp.get("/national/<int:year>.xlsx")
@roles_required(Role.NATIONAL)
def national_workbook(year: int) -> Response:
    """Download the national annual report as XLSX."""
    d = _dialect()
    report = _national(year)
    return attachment(
        national_xlsx(report, _versions(report.content), d), f"aarsafrapportering-hele-landet-{year}{_suffix(d)}.xlsx"
    )


def _dialect() -> Dialect:
    """``dialect=danish|international`` of a workbook URL (400 with a Danish message otherwise)."""
    try:
        return dialect(request.args.get("dialect"))
    except ValueError as exc:
        abort(Response(str(exc), status=400, mimetype="text/plain"))


def _suffix(d: Dialect) -> str:
    return "" if d is DANISH else "-international"


def _versions(content: Content) -> str:
    """The stored versions the report's year and last year were read from."""
    labels = [w.label for w in (content.window, content.last_year) if ".." not in w.label]
    return stored_versions(db.session, labels) if labels else in_danish(C_("annual report", "latest published months"))
