"""Check-in, anonymous visit, turn-away, the visit page and check-out."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from roomlog.auth.access import room_for_member
from roomlog.extensions import db
from roomlog.models import Room, Visit
from roomlog.models.codes import Nationality, Sex, TurnAwayReason
from roomlog.rooms import visit_page
from roomlog.rooms.blueprint import bp
from roomlog.rooms.capture import form_failed, stamp_from, tapped_at, to_visit
from roomlog.rooms.forms import CheckInForm, TurnAwayForm, localise
from roomlog.rooms.submit import form_key, form_payload, save_once, visit_in_room, writes_late
from roomlog.services import DomainError, visits
from roomlog.services.event_times import resolve
from roomlog.services.periods import check_change_allowed


def _check_in(form: CheckInForm, room: Room) -> Visit:
    """Turn the typed code into a pseudonym at once and check in once per idempotency key."""
    birth_date = form.birth_date()
    if birth_date is None:
        raise DomainError(_("That date does not exist."))
    parts = visits.CodeParts(form.last_letters.data, form.first_letters.data, birth_date, Sex(form.sex.data))
    key = current_app.config["PSEUDONYM_KEY"]
    # The payload hash must not be a hash of the raw code: use the keyed pseudonym instead.
    payload = {
        "visitor": visits.visitor_pseudonym(key, parts),
        "nationality": form.nationality.data,
        "occurred_at": form.occurred_at.data,
        "reason": form.reason.data,
    }

    def create(digest: str) -> Visit:
        nationality = Nationality(form.nationality.data or "u")
        return visits.check_in(
            db.session, room, current_user, stamp_from(room, form),
            pseudonym_key=key, parts=parts, nationality=nationality, key=form_key(), payload_hash=digest,
        )  # fmt: skip

    return save_once(Visit, form_key(), payload, create)


@bp.route("/<int:room_id>/check-in", methods=["GET", "POST"])
@writes_late
def check_in(room_id: int) -> str | Response | tuple[str, int]:
    """Check a visitor in from the parts of the visitor code (never put in a URL or log)."""
    room = room_for_member(room_id)
    form = CheckInForm()
    localise(form)
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            return to_visit(room, _check_in(form, room).id)
        except DomainError as exc:
            status = form_failed(form, exc)
    return render_template("rooms/check_in.html", room=room, form=form), status


@bp.post("/<int:room_id>/visits/anonymous")
@writes_late
def anonymous_visit(room_id: int) -> Response:
    """Register an anonymous visit with one tap."""
    room = room_for_member(room_id)

    def create(digest: str) -> Visit:
        stamp = resolve(db.session, room, current_user, tapped_at())
        return visits.anonymous_visit(db.session, room, current_user, stamp, key=form_key(), payload_hash=digest)

    return to_visit(room, save_once(Visit, form_key(), form_payload(), create).id)


@bp.route("/<int:room_id>/turn-away", methods=["GET", "POST"])
@writes_late
def turn_away(room_id: int) -> str | Response | tuple[str, int]:
    """Record that someone was turned away, with the reason."""
    room = room_for_member(room_id)
    form = TurnAwayForm()
    localise(form)
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        reason = TurnAwayReason(form.turn_away_reason.data)

        def create(digest: str) -> Visit:
            stamp = stamp_from(room, form)
            return visits.turn_away(
                db.session, room, current_user, stamp, reason=reason, key=form_key(), payload_hash=digest
            )

        try:
            return to_visit(room, save_once(Visit, form_key(), form_payload(), create).id)
        except DomainError as exc:
            status = form_failed(form, exc)
    return render_template("rooms/turn_away.html", room=room, form=form), status


@bp.get("/<int:room_id>/visits/<int:visit_id>")
def visit(room_id: int, visit_id: int) -> str:
    """Show a visit: check word, consumption form, emergency button, quick taps, check-out."""
    room = room_for_member(room_id)
    return render_template("rooms/visit.html", **visit_page.context(room, visit_in_room(room, visit_id)))


@bp.post("/<int:room_id>/visits/<int:visit_id>/check-out")
def check_out(room_id: int, visit_id: int) -> Response:
    """Close the visit (ends its consumptions); a second tap changes nothing."""
    room = room_for_member(room_id)
    visit = visit_in_room(room, visit_id)
    check_change_allowed(db.session, room, visit.service_day, current_user, None)
    visits.check_out(db.session, visit, current_user)
    db.session.commit()
    flash(_("Checked out."), "info")
    return redirect(url_for("rooms.board", room_id=room.id), 303)
