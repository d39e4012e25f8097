"""A municipality's applications to the pool. Every query is limited to the user's own municipality.

===========================================  =========  =============================================
URL                                          method     what
===========================================  =========  =============================================
/applications/                               GET        own applications, link to cost next to activity
/applications/new                            GET/POST   start a draft (own room, or a new planned room)
/applications/<id>                           GET        the application, its eligibility checks, decision
/applications/<id>/establishment             POST       establishment budget and amount asked for
/applications/<id>/years                     POST       add or replace an operating year
/applications/<id>/years/<year>/remove       POST       take a year out
/applications/<id>/submit                    POST       submit (every blocking check must hold)
/applications/<id>/years/<year>/funding      POST       own operating funding of a year (any state)
===========================================  =========  =============================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from roomlog.applications.forms import ConfirmForm, EstablishmentForm, NewApplicationForm, OwnFundingForm, YearForm
from roomlog.auth.access import roles_required
from roomlog.extensions import db
from roomlog.funding.queries import application_in_scope, applications
from roomlog.i18n import current_language, message
from roomlog.models import Municipality, PoolApplication, Room
from roomlog.models.codes import ApplicationState, PermitStatus, Role
from roomlog.services import DomainError
from roomlog.services import pool_applications as service

bp = Blueprint("applications", __name__, url_prefix="/applications")


@bp.before_request
@roles_required(Role.MUNICIPALITY)
def require_municipality() -> None:
    """Only municipality users apply to the pool."""


def _own(application_id: int) -> PoolApplication:
    """The user's own municipality's application, else 404."""
    app = application_in_scope(db.session, application_id, current_user.municipality_code)
    if app is None:
        abort(404)
    return app


def _to(app: PoolApplication) -> Response:
    return redirect(url_for("applications.detail", application_id=app.id), 303)


@bp.get("/")
def index() -> str:
    """List the municipality's applications."""
    return render_template(
        "applications/index.html", applications=applications(db.session, current_user.municipality_code)
    )


def _new_form() -> NewApplicationForm:
    form = NewApplicationForm()
    rooms = db.session.scalars(
        select(Room).where(Room.municipality_code == current_user.municipality_code).order_by(Room.name)
    )
    form.room_id.choices = [("", _("A new room (name it below)"))] + [(str(r.id), r.name) for r in rooms]
    lang = current_language()
    form.new_room_permit.choices = [(p.value, p.label(lang)) for p in (PermitStatus.PLANNED, PermitStatus.APPLIED)]
    return form


@bp.route("/new", methods=["GET", "POST"])
def new() -> Response | tuple[str, int]:
    """Start an application for one of the municipality's rooms or for a new room."""
    form = _new_form()
    if form.validate_on_submit():
        room = None
        if form.room_id.data:
            room = db.session.scalar(
                select(Room).where(
                    Room.id == int(form.room_id.data), Room.municipality_code == current_user.municipality_code
                )
            ) or abort(404)
        try:
            app = service.create_application(
                db.session, db.session.get_one(Municipality, current_user.municipality_code),
                actor=current_user, room=room,
                new_room_name=form.new_room_name.data or "",
                new_room_permit=PermitStatus(form.new_room_permit.data or "planned"),
                new_room_permit_date=form.new_room_permit_date.data,
                establishment_budget_kr=form.establishment_budget.data or 0,
                establishment_requested_kr=form.establishment_requested.data or 0,
            )  # fmt: skip
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(message(exc))
        else:
            db.session.commit()
            flash(_("Draft application saved. Add the operating years, then submit."), "info")
            return _to(app)
    return render_template("applications/new.html", form=form), 400 if form.errors else 200


def _page(app: PoolApplication, status: int = 200, **forms: object) -> tuple[str, int]:
    est = forms.pop("establishment_form", None) or EstablishmentForm(
        establishment_budget=app.establishment_budget_kr, establishment_requested=app.establishment_requested_kr
    )
    page = render_template(
        "applications/detail.html", application=app, checks=service.checks(app), confirm=ConfirmForm(),
        establishment_form=est, year_form=forms.pop("year_form", None) or YearForm(),
        draft=app.state == ApplicationState.DRAFT, own_form=OwnFundingForm(),
    )  # fmt: skip
    return page, status


@bp.get("/<int:application_id>")
def detail(application_id: int) -> tuple[str, int]:
    """Show an application with its eligibility checks (and the decision once decided)."""
    return _page(_own(application_id))


@bp.post("/<int:application_id>/establishment")
def establishment(application_id: int) -> Response | tuple[str, int]:
    """Change the establishment budget and the amount asked for."""
    app, form = _own(application_id), EstablishmentForm()
    if not form.validate_on_submit():
        return _page(app, 400, establishment_form=form)
    service.set_establishment(
        db.session, app, actor=current_user, budget_kr=form.establishment_budget.data,
        requested_kr=form.establishment_requested.data,
    )  # fmt: skip
    db.session.commit()
    return _to(app)


@bp.post("/<int:application_id>/years")
def year(application_id: int) -> Response | tuple[str, int]:
    """Add or replace one operating year."""
    app, form = _own(application_id), YearForm()
    if not form.validate_on_submit():
        return _page(app, 400, year_form=form)
    operating_year = cast(int, form.year.data)  # validated: InputRequired
    service.set_year(
        db.session, app, actor=current_user, year=operating_year, budget_kr=form.operating_budget.data,
        requested_kr=form.operating_requested.data, municipal_kr=form.municipal_funding.data,
    )  # fmt: skip
    db.session.commit()
    return _to(app)


@bp.post("/<int:application_id>/years/<int:year>/remove")
def remove_year(application_id: int, year: int) -> Response:
    """Take an operating year out of the draft."""
    app = _own(application_id)
    _attempt(lambda: service.remove_year(db.session, app, actor=current_user, year=year))  # CSRF: checked app-wide
    return _to(app)


@bp.post("/<int:application_id>/submit")
def submit(application_id: int) -> Response:
    """Submit the application to the ministry (every eligibility check must hold)."""
    app = _own(application_id)
    if _attempt(lambda: service.submit(db.session, app, actor=current_user)):
        flash(_("The application is submitted to the ministry."), "info")
    return _to(app)


@bp.post("/<int:application_id>/years/<int:year>/funding")
def own_funding(application_id: int, year: int) -> Response:
    """Change the municipality's own operating funding of a year (also after submitting: it decides payments)."""
    app, form = _own(application_id), OwnFundingForm()
    if not form.validate_on_submit():
        flash(_("Write a whole number of kroner from 0 up, e.g. 1.500.000."), "error")
        return _to(app)
    own = form.municipal_funding.data
    if _attempt(lambda: service.set_own_funding(db.session, app, actor=current_user, year=year, municipal_kr=own)):
        flash(_("The municipality's own operating funding is saved."), "info")
    return _to(app)


def _attempt(action: Callable[[], object]) -> bool:
    """Run one service call and commit; a broken rule is rolled back and shown as a message."""
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        flash(message(exc), "error")
        return False
    db.session.commit()
    return True
