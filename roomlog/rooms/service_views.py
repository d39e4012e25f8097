"""Referrals and services (one tap each from the visit) and incidents (with a no-names warning)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TypeVar

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from roomlog.auth.access import room_for_member
from roomlog.extensions import db
from roomlog.i18n import label, local_time, message
from roomlog.models import Incident, Referral, Room, ServiceRecord, Visit
from roomlog.models.codes import IncidentType, ReferralMode, ReferralTarget, ServiceCode
from roomlog.rooms import undo_views, visit_page
from roomlog.rooms.blueprint import bp
from roomlog.rooms.capture import INVALID_VALUE, form_failed, stamp_from, to_visit
from roomlog.rooms.forms import IncidentForm, localise
from roomlog.rooms.submit import form_key, form_payload, save_once, visit_in_room
from roomlog.services import Conflict, DomainError, bounds, referrals
from roomlog.services.event_times import resolve

E = TypeVar("E", bound=Enum)


def _code(enum_cls: type[E], name: str, default: str | None = None) -> E:
    try:
        return enum_cls(request.form.get(name) or default)
    except ValueError as exc:
        raise DomainError(INVALID_VALUE) from exc


def _saved_or_visit_page(
    room: Room, visit: Visit, save: Callable[[], Referral | ServiceRecord]
) -> Response | tuple[str, int]:
    """Save and go to the visit, offering Undo; on a mistake show the visit page with the message."""
    try:
        row = save()
        if isinstance(row, Referral):
            text = _("Referral to %(target)s at %(time)s", target=label(row.target), time=local_time(row.occurred_at))
            undo_views.offer("referral", row.id, text)
        else:
            text = _("%(service)s × %(quantity)s at %(time)s", service=label(row.service), quantity=row.quantity,
                     time=local_time(row.occurred_at))  # fmt: skip
            undo_views.offer("service", row.id, text)
    except Conflict:
        raise
    except DomainError as exc:
        db.session.rollback()
        page = render_template("rooms/visit.html", **visit_page.context(room, visit), error=message(exc))
        return page, exc.status_code
    return to_visit(room, visit.id)


@bp.post("/<int:room_id>/visits/<int:visit_id>/referrals")
def referral(room_id: int, visit_id: int) -> Response | tuple[str, int]:
    """Register a referral to the tapped target (mode defaults to "referral")."""
    room = room_for_member(room_id)
    visit = visit_in_room(room, visit_id)
    target, mode = _code(ReferralTarget, "target"), _code(ReferralMode, "mode", ReferralMode.REFERRAL.value)

    def create(digest: str) -> Referral:
        return referrals.refer(
            db.session, room, current_user, resolve(db.session, room, current_user, None),
            visit=visit, target=target, mode=mode, key=form_key(), payload_hash=digest,
        )  # fmt: skip

    return _saved_or_visit_page(
        room, visit, lambda: save_once(Referral, form_key(), form_payload(visit=visit.id), create)
    )


@bp.post("/<int:room_id>/visits/<int:visit_id>/services")
def service(room_id: int, visit_id: int) -> Response | tuple[str, int]:
    """Register the tapped service with its quantity (default 1)."""
    room = room_for_member(room_id)
    visit = visit_in_room(room, visit_id)
    code = _code(ServiceCode, "service")

    def create(digest: str) -> ServiceRecord:
        quantity = bounds.quantity(request.form.get("quantity"), default=1) or 1  # a mistake shows on the visit page
        return referrals.give_service(
            db.session, room, current_user, resolve(db.session, room, current_user, None),
            visit=visit, service=code, quantity=quantity, key=form_key(), payload_hash=digest,
        )  # fmt: skip

    return _saved_or_visit_page(
        room, visit, lambda: save_once(ServiceRecord, form_key(), form_payload(visit=visit.id), create)
    )


@bp.route("/<int:room_id>/incidents", methods=["GET", "POST"])
def incident(room_id: int) -> str | Response | tuple[str, int]:
    """Register an incident; the narrative warns to write no names and is never exported."""
    room = room_for_member(room_id)
    visit_id = bounds.record_id(request.values.get("visit_id"))
    visit = visit_in_room(room, visit_id) if visit_id else None
    form = IncidentForm()
    localise(form)
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():

        def create(digest: str) -> Incident:
            return referrals.report_incident(
                db.session, room, current_user, stamp_from(room, form), visit=visit,
                type=IncidentType(form.type.data), narrative=form.narrative.data or "",
                key=form_key(), payload_hash=digest,
            )  # fmt: skip

        try:
            row = save_once(Incident, form_key(), form_payload(), create)
            return to_visit(room, row.visit_id) if row.visit_id else _board(room.id)
        except DomainError as exc:
            status = form_failed(form, exc)
    return render_template("rooms/incident.html", room=room, form=form, visit=visit), status


def _board(room_id: int) -> Response:
    return redirect(url_for("rooms.board", room_id=room_id), 303)
