"""URLs of ``/reports``: the monthly summary of a room, its PDF, approval and definitions.

Who may do what: staff and leads of the room read the summary (exact numbers, inside the
room); only a lead runs the checks, approves, reopens an approved month and grants lock
exceptions; a municipality user accepts (or withdraws acceptance of) months of rooms in
its municipality but reads their numbers in the municipality views, with disclosure
control, not here. Anyone else gets 404.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager, nullcontext

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from roomlog.auth.access import room_for_member
from roomlog.calendar import add_months, format_month, month_start, today_local
from roomlog.extensions import db
from roomlog.i18n import LANGUAGES, message
from roomlog.models import Room
from roomlog.models.codes import ROOM_ROLES, Role
from roomlog.reporting.indicators import INDICATORS, SECTIONS
from roomlog.reports import changes, page
from roomlog.reports.converters import MonthConverter, reject_bad_month
from roomlog.services import DomainError, approval
from roomlog.web.approval_forms import AcceptForm, ApproveForm, LockExceptionForm, ReopenForm
from roomlog.web.form_changes import commit_or_show
from roomlog.web.pdf import render_pdf
from roomlog.web.redirects import safe_next

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _register_month(state: BlueprintSetupState) -> None:
    state.app.url_map.converters.setdefault("month", MonthConverter)


bp.record_once(_register_month)
bp.before_request(reject_bad_month)


def _language() -> AbstractContextManager[None]:
    """Honour ``?lang=da|en`` over the user's language (for a PDF in the other language)."""
    lang = request.args.get("lang")
    return force_locale(lang) if lang in LANGUAGES else nullcontext()


def _municipality_room(room_id: int) -> Room:
    """Return a room of the municipality user's own municipality, else 404."""
    room = db.session.get(Room, room_id)
    if current_user.role != Role.MUNICIPALITY or room is None:
        abort(404)
    if room.municipality_code != current_user.municipality_code:
        abort(404)
    return room


def summary_html(data: page.MonthlyPage, can_approve: bool, **forms: object) -> str:
    """Render the monthly summary page (the approval forms empty unless given)."""
    forms.setdefault("approve_form", ApproveForm())
    forms.setdefault("reopen_form", ReopenForm())
    forms.setdefault("lock_form", LockExceptionForm())
    return render_template(
        "reports/summary.html",
        page=data,
        can_approve=can_approve,
        changed_records=changes.record_lines(data.changes),
        indicator=changes.indicator,
        indicator_label=changes.indicator_label,
        **forms,
    )


def pdf_html(data: page.MonthlyPage) -> str:
    """Render the print template the PDF is made from."""
    return render_template("reports/pdf.html", page=data, pdf_layout=True)


def _render(room: Room, month: dt.date, status: int = 200, **forms: object) -> tuple[str, int]:
    lead = current_user.role == Role.LEAD
    data = page.build(db.session, room, month, with_checks=lead)
    return summary_html(data, lead, **forms), status


@bp.get("/<int:room_id>/")
def latest(room_id: int) -> BaseResponse:
    """Open the summary of the last finished month."""
    room_for_member(room_id)
    return redirect(url_for("reports.summary", room_id=room_id, month=add_months(month_start(today_local()), -1)))


@bp.get("/<int:room_id>/<month:month>")
def summary(room_id: int, month: dt.date) -> tuple[str, int]:
    """Show the monthly summary of a room."""
    room = room_for_member(room_id)
    with _language():
        return _render(room, month)


@bp.get("/<int:room_id>/<month:month>.pdf")
def pdf(room_id: int, month: dt.date) -> BaseResponse:
    """Download the monthly summary as an A4 PDF."""
    room = room_for_member(room_id)
    with _language():
        html = pdf_html(page.build(db.session, room, month, with_checks=False, with_changes=False))
    name = f"maanedsopgoerelse-{room.id}-{format_month(month)}.pdf"
    return Response(
        render_pdf(html, reuse_layout=True),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@bp.post("/<int:room_id>/<month:month>/approve")
def approve(room_id: int, month: dt.date) -> BaseResponse | tuple[str, int]:
    """Approve the month (password again; the checks must pass)."""
    room = room_for_member(room_id, Role.LEAD)
    form = ApproveForm()
    if form.validate_on_submit() and commit_or_show(
        form.password,
        lambda: approval.approve_month(
            db.session,
            room,
            month,
            current_user,
            password=form.password.data,
            backdated_reviewed=bool(form.backdated_reviewed.data),
        ),
        lambda _approved: _("%(month)s is approved.", month=format_month(month)),
    ):
        return redirect(url_for("reports.summary", room_id=room.id, month=month))
    return _render(room, month, 400, approve_form=form)


@bp.post("/<int:room_id>/<month:month>/lock-exception")
def lock_exception(room_id: int, month: dt.date) -> BaseResponse | tuple[str, int]:
    """Keep the month open for changes past its lock date, with a reason."""
    room = room_for_member(room_id, Role.LEAD)
    form = LockExceptionForm()
    if form.validate_on_submit() and form.until.data:
        try:
            approval.grant_lock_exception(db.session, room, month, current_user, form.until.data, form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            form.until.errors = [message(exc)]
        else:
            db.session.commit()
            flash(_("%(month)s stays open for changes until %(day)s.", month=format_month(month), day=form.until.data))
            return redirect(url_for("reports.summary", room_id=room.id, month=month))
    return _render(room, month, 400, lock_form=form)


@bp.post("/<int:room_id>/<month:month>/reopen")
def reopen(room_id: int, month: dt.date) -> BaseResponse | tuple[str, int]:
    """Go back one step with a reason (a lead reopens; the municipality withdraws acceptance)."""
    lead = current_user.is_authenticated and current_user.role in ROOM_ROLES
    room = room_for_member(room_id, Role.LEAD) if lead else _municipality_room(room_id)
    form = ReopenForm()
    back = safe_next(form.next.data) or (url_for("reports.summary", room_id=room.id, month=month) if lead else "/")
    try:
        approval.reopen_month(db.session, room, month, current_user, form.reason.data if form.validate() else None)
    except DomainError as exc:
        db.session.rollback()
        if lead:
            form.reason.errors = [message(exc)]
            return _render(room, month, exc.status_code, reopen_form=form)
        flash(message(exc), "error")
        return redirect(back)
    db.session.commit()
    flash(_("%(month)s was taken back one step.", month=format_month(month)), "info")
    return redirect(back)


@bp.post("/<int:room_id>/<month:month>/accept")
def accept(room_id: int, month: dt.date) -> BaseResponse:
    """Accept an approved month (the room's municipality)."""
    room = _municipality_room(room_id)
    form = AcceptForm()
    back = safe_next(form.next.data) or "/"
    if not form.validate_on_submit():
        abort(400)
    try:
        approval.accept_month(db.session, room, month, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(message(exc), "error")
        return redirect(back)
    db.session.commit()
    flash(_("%(month)s of %(room)s is accepted.", month=format_month(month), room=room.name), "info")
    return redirect(back)


@bp.get("/definitions")
def definitions() -> str:
    """List every indicator with its code and definition."""
    with _language():
        return render_template("reports/definitions.html", sections=SECTIONS, indicators=INDICATORS)
