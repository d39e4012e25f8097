"""The state co-financing pool for the ministry, and cost next to activity for ministry and municipalities.

=========================================  ======  ==========  ===========================================
URL                                        method  who         what
=========================================  ======  ==========  ===========================================
/pool/                                     GET     national    overview: committed, paid, remaining, rule
                                                               checks, applications awaiting decision
/pool/overview.xlsx                        GET     national    the overview as a workbook
/pool/applications/<id>                    GET     national    an application with decision and payments
/pool/applications/<id>/decide             POST    national    grant (full, partial) or refuse, per year
/pool/applications/<id>/payments           POST    national    commit a payment of a granted amount
/pool/payments/<id>/pay                    POST    national    mark paid (permit granted, match holds)
/pool/payments/<id>/withhold               POST    national    withhold with a reason
/pool/applications/<id>/letter.pdf         GET     national,   the decision letter (a municipality: its own)
                                                   kommune
/pool/funding                              GET     national,   cost per consumption and acute treatment per
                                                   kommune     room and year (a municipality: its own rooms)
=========================================  ======  ==========  ===========================================
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from roomlog.auth.access import roles_required
from roomlog.extensions import db
from roomlog.funding.money import format_kr
from roomlog.funding.queries import application_in_scope, overview
from roomlog.funding.report import cost_lines
from roomlog.funding.rules import FIRST_YEAR, LAST_YEAR
from roomlog.i18n import current_language, message
from roomlog.models import PoolApplication, PoolPayment
from roomlog.models.codes import ApplicationState, PaymentKind, Role
from roomlog.pool.forms import ConfirmForm, PaymentForm, WithholdForm, decision_form
from roomlog.pool.workbook import overview_xlsx
from roomlog.reporting.exports import generated_at
from roomlog.services import DomainError, pool_applications, pool_decisions
from roomlog.web.downloads import attachment
from roomlog.web.pdf import render_pdf

bp = Blueprint("pool", __name__, url_prefix="/pool")
bp.add_app_template_filter(format_kr, "kr")
bp.add_app_template_filter(lambda amount: format_kr(amount, decimals=True), "kr_ore")


def _total() -> int:
    return int(current_app.config["POOL_TOTAL_DKK"])


def _application(application_id: int) -> PoolApplication:
    return application_in_scope(db.session, application_id, None) or abort(404)


def _to(app: PoolApplication) -> BaseResponse:
    return redirect(url_for("pool.application", application_id=app.id), 303)


@bp.get("/")
@roles_required(Role.NATIONAL)
def index() -> str:
    """Show the pool: committed, paid, remaining, by municipality and room, checks, awaiting decision."""
    return render_template("pool/index.html", overview=overview(db.session, _total()))


@bp.get("/overview.xlsx")
@roles_required(Role.NATIONAL)
def workbook() -> Response:
    """Download the pool overview as XLSX."""
    body = overview_xlsx(overview(db.session, _total()), current_language())
    return attachment(body, "pulje-overblik.xlsx")


def _payment_form(app: PoolApplication) -> PaymentForm:
    form = PaymentForm()
    lang = current_language()
    choices = (
        [(PaymentKind.ESTABLISHMENT.value, PaymentKind.ESTABLISHMENT.label(lang))]
        if app.establishment_granted_kr
        else []
    )
    choices += [
        (f"operating:{y.year}", f"{PaymentKind.OPERATING.label(lang)} {y.year}")
        for y in app.years
        if y.operating_granted_kr
    ]
    form.component.choices = choices
    return form


def _page(app: PoolApplication, status: int = 200, **forms: object) -> tuple[str, int]:
    blockers = {
        p.id: [message(b) for b in pool_decisions.payment_blockers(db.session, p)]
        for p in app.payments
        if p.state.value == "committed"
    }
    page = render_template(
        "pool/application.html", application=app, checks=pool_applications.checks(app),
        decision_form=forms.get("decision_form") or decision_form(app),
        payment_form=forms.get("payment_form") or _payment_form(app), withhold_form=WithholdForm(),
        confirm=ConfirmForm(), blockers=blockers, can_decide=app.state == ApplicationState.SUBMITTED,
        total=_total(),
    )  # fmt: skip
    return page, status


@bp.get("/applications/<int:application_id>")
@roles_required(Role.NATIONAL)
def application(application_id: int) -> tuple[str, int]:
    """Show an application with its checks, the decision form and its payments."""
    return _page(_application(application_id))


def _failed(app: PoolApplication, exc: DomainError, **forms: object) -> tuple[str, int]:
    db.session.rollback()
    flash(message(exc), "error")
    return _page(app, exc.status_code, **forms)


@bp.post("/applications/<int:application_id>/decide")
@roles_required(Role.NATIONAL)
def decide(application_id: int) -> BaseResponse | tuple[str, int]:
    """Decide an application: grant establishment and operating co-financing per year, or refuse."""
    app = _application(application_id)
    form = decision_form(app)
    if not form.validate_on_submit():
        return _page(app, 400, decision_form=form)
    operating = {y.year: getattr(form, f"operating_{y.year}").data for y in app.years}
    try:
        outcome = pool_decisions.decide(
            db.session, app, actor=current_user, establishment_kr=form.establishment.data, operating_kr=operating,
            reason=form.reason.data or "", pool_total_kr=_total(),
        )  # fmt: skip
    except DomainError as exc:
        return _failed(app, exc, decision_form=form)
    db.session.commit()
    flash(_("Decided: %(outcome)s.", outcome=outcome.label(current_language())), "info")
    return _to(app)


@bp.post("/applications/<int:application_id>/payments")
@roles_required(Role.NATIONAL)
def commit_payment(application_id: int) -> BaseResponse | tuple[str, int]:
    """Commit a payment of a granted amount."""
    app = _application(application_id)
    form = _payment_form(app)
    if not form.validate_on_submit():
        return _page(app, 400, payment_form=form)
    kind, _sep, year = form.component.data.partition(":")
    try:
        pool_decisions.commit_payment(
            db.session, app, actor=current_user, kind=PaymentKind(kind), year=int(year) if year else None,
            amount_kr=form.amount.data, request_key=form.request_key.data or None,
        )  # fmt: skip
    except DomainError as exc:
        return _failed(app, exc, payment_form=form)
    db.session.commit()
    return _to(app)


def _payment(payment_id: int) -> PoolPayment:
    return db.session.get(PoolPayment, payment_id) or abort(404)


@bp.post("/payments/<int:payment_id>/pay")
@roles_required(Role.NATIONAL)
def pay(payment_id: int) -> BaseResponse | tuple[str, int]:
    """Mark a committed payment as paid (refused while the permit or the municipal match is missing)."""
    payment = _payment(payment_id)
    app = payment.application
    try:
        pool_decisions.pay(db.session, payment, actor=current_user)  # CSRF: checked app-wide
    except DomainError as exc:
        return _failed(app, exc)
    db.session.commit()
    flash(_("The payment is recorded as paid."), "info")
    return _to(app)


@bp.post("/payments/<int:payment_id>/withhold")
@roles_required(Role.NATIONAL)
def withhold(payment_id: int) -> BaseResponse | tuple[str, int]:
    """Withhold a committed payment, with a reason."""
    payment = _payment(payment_id)
    app = payment.application
    form = WithholdForm()
    if not form.validate_on_submit():
        flash(_("Give a reason (at most 500 characters) for withholding the payment."), "error")
        return _page(app, 400)
    try:
        pool_decisions.withhold(db.session, payment, actor=current_user, reason=form.reason.data or "")
    except DomainError as exc:
        return _failed(app, exc)
    db.session.commit()
    return _to(app)


@bp.get("/applications/<int:application_id>/letter.pdf")
@roles_required(Role.NATIONAL, Role.MUNICIPALITY)
def letter(application_id: int) -> Response:
    """Download the decision letter (PDF) of a decided application."""
    scope = None if current_user.role == Role.NATIONAL else current_user.municipality_code
    app = application_in_scope(db.session, application_id, scope)
    if app is None or app.state != ApplicationState.DECIDED:
        abort(404)
    html = render_template("pool/letter.html", application=app, pool_total=_total(), created=generated_at())
    return attachment(render_pdf(html), f"afgoerelse-pulje-{app.id}.pdf")


@bp.get("/funding")
@roles_required(Role.NATIONAL, Role.MUNICIPALITY)
def funding() -> str:
    """Show cost per consumption and per acute treatment per room and year (a municipality: its own rooms)."""
    scope = None if current_user.role == Role.NATIONAL else current_user.municipality_code
    year = request.args.get("year", type=int)
    if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
        year = None
    return render_template(
        "pool/funding.html",
        lines=cost_lines(db.session, scope, year, int(current_app.config["SUPPRESSION_THRESHOLD"])),
        year=year,
    )
