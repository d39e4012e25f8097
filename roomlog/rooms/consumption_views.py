"""Consumptions: register before the intake, set "assisted" later, end (frees the place)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from roomlog.auth.access import room_for_member
from roomlog.extensions import db
from roomlog.i18n import label
from roomlog.models import Consumption, Room
from roomlog.models.codes import PlaceKind, Route, Substance
from roomlog.rooms import undo_views, visit_page
from roomlog.rooms.blueprint import bp
from roomlog.rooms.capture import change_record, form_failed, stamp_from, to_visit
from roomlog.rooms.forms import ConsumptionForm
from roomlog.rooms.submit import form_key, form_payload, save_once, visit_in_room
from roomlog.services import DomainError, consumptions


def _place(value: str | None, room: Room) -> tuple[PlaceKind, int] | None:
    if not value:
        if consumptions.places(room):
            raise DomainError(consumptions.CHOOSE_PLACE)
        return None
    kind, _sep, number = value.partition("-")
    try:
        return PlaceKind(kind), int(number)
    except ValueError as exc:
        raise DomainError(consumptions.CHOOSE_PLACE) from exc


@bp.post("/<int:room_id>/visits/<int:visit_id>/consumptions")
def consumption(room_id: int, visit_id: int) -> Response | tuple[str, int]:
    """Register a consumption (route, substances, place, assisted yes/no) before the intake."""
    room = room_for_member(room_id)
    visit = visit_in_room(room, visit_id)
    form = visit_page.consumption_form(room, ConsumptionForm())
    status = 400
    if form.validate_on_submit():

        def create(digest: str) -> Consumption:
            return consumptions.register(
                db.session, visit, current_user, stamp_from(room, form),
                route=Route(form.route.data), substances=[Substance(s) for s in form.substances.data or ()],
                assisted=form.assisted.data == "yes", place=_place(form.place.data, room),
                key=form_key(), payload_hash=digest,
            )  # fmt: skip

        try:
            return to_visit(room, save_once(Consumption, form_key(), form_payload(), create).visit_id)
        except DomainError as exc:
            status = form_failed(form, exc)
    return render_template("rooms/visit.html", **visit_page.context(room, visit, form)), status


@bp.post("/<int:room_id>/consumptions/<int:consumption_id>/assisted")
def assisted(room_id: int, consumption_id: int) -> Response:
    """Set or clear "assisted" before the intake, stamping its own time."""

    def change(row: Consumption) -> None:
        consumptions.set_assisted(db.session, row, current_user, _yes(form_value("assisted")))

    room, row = change_record(room_id, Consumption, consumption_id, change)
    return to_visit(room, row.visit_id)


@bp.post("/<int:room_id>/consumptions/<int:consumption_id>/end")
def end_consumption(room_id: int, consumption_id: int) -> Response:
    """End a consumption and free its place; a second tap changes nothing."""
    room, row = change_record(
        room_id, Consumption, consumption_id, lambda r: consumptions.end(db.session, r, current_user)
    )
    place = f" {label(row.place_kind)} {row.place_number}" if row.place_kind else ""
    undo_views.offer("consumption_end", row.id, _("Consumption ended%(place)s", place=place))
    return back_or_visit(room, row.visit_id)


def form_value(name: str) -> str:
    """Return a submitted field's value ('' when missing)."""
    return request.form.get(name, "")


def _yes(value: str) -> bool:
    if value not in {"yes", "no"}:
        raise DomainError(consumptions.ASSISTED_UNANSWERED)
    return value == "yes"


def back_or_visit(room: Room, visit_id: int) -> Response:
    """Go back to the board when the tap came from there, else to the visit."""
    if form_value("next") == "board":
        return redirect(url_for("rooms.board", room_id=room.id), 303)
    if form_value("next") == "end-of-shift":
        return redirect(url_for("rooms.end_of_shift", room_id=room.id), 303)
    return to_visit(room, visit_id)
