"""Check-in, anonymous visit, turn-away, the visit page and check-out."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from roomlog.auth.access import room_for_member
from roomlog.extensions import db
from roomlog.i18n import local_time
from roomlog.messages import N_
from roomlog.models import Room, Visit
from roomlog.models.codes import Nationality, Sex, TurnAwayReason
from roomlog.rooms import undo_views, visit_page
from roomlog.rooms.blueprint import bp
from roomlog.rooms.capture import change_record, form_failed, stamp_from, tapped_at, to_visit
from roomlog.rooms.forms import CheckInForm, TurnAwayForm, localise
from roomlog.rooms.submit import form_key, form_payload, save_once, visit_in_room, writes_late
from roomlog.services import DomainError, visits
from roomlog.services.event_times import current_service_day, resolve
from roomlog.web.code_key import CODE_FIELDS, SealedCodeError, open_sealed_code


def _check_in(form: CheckInForm, room: Room) -> Visit:
    """Turn the typed code into a pseudonym at once and check in once per idempotency key."""
    parts = _parts(form)
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
    try:
        opened = opened_check_in()
        form = CheckInForm() if opened is None else CheckInForm(formdata=opened)
    except SealedCodeError:
        form = CheckInForm(formdata=None)
        localise(form)
        form.form_errors.append(_("The code kept on the tablet could not be read. Type the code again."))
        return render_template("rooms/check_in.html", room=room, form=form, confirm_minor=False), 400
    localise(form)
    status, confirm_minor = (400 if form.is_submitted() else 200), False
    if form.validate_on_submit():
        try:
            earlier = _already_here(form, room)
            if earlier is not None:
                flash(_("This visitor is already checked in (since %(time)s): here is the open visit.",
                        time=local_time(earlier.occurred_at)), "info")  # fmt: skip
                return to_visit(room, earlier.id)
            confirm_minor = _minor_unconfirmed(form, room)
            if not confirm_minor:
                return to_visit(room, _check_in(form, room).id)
            status = 200
        except DomainError as exc:
            status = form_failed(form, exc)
    return render_template("rooms/check_in.html", room=room, form=form, confirm_minor=confirm_minor), status


def opened_check_in() -> MultiDict[str, str] | None:
    """Return the submitted form with a code sealed offline opened, or ``None`` to read the request as it is.

    A tablet that checked someone in offline sends the code parts sealed with the server's
    public key (``sealed_code``, ``sealed_kid``): they are opened here and take the place of
    any code field sent beside them; the rest of the form is used as sent.
    """
    if "sealed_code" not in request.form:
        return None
    data: MultiDict[str, str] = MultiDict(
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in CODE_FIELDS and name not in ("sealed_code", "sealed_kid")
    )
    for name, value in open_sealed_code(request.form["sealed_code"], request.form.get("sealed_kid", "")).items():
        data.add(name, value)
    return data


def _parts(form: CheckInForm) -> visits.CodeParts:
    birth_date = form.birth_date()
    if birth_date is None:
        raise DomainError(N_("That date does not exist."))
    last, first = form.last_letters.data or "", form.first_letters.data or ""  # validated: DataRequired
    return visits.CodeParts(last, first, birth_date, Sex(form.sex.data))


def _already_here(form: CheckInForm, room: Room) -> Visit | None:
    """Return the visitor's open visit of today (only for a check-in at "now")."""
    if form.occurred_at.data:
        return None
    day = current_service_day(room)
    return visits.open_visit_today(db.session, room, current_app.config["PSEUDONYM_KEY"], _parts(form), day)


def _minor_unconfirmed(form: CheckInForm, room: Room) -> bool:
    """Return whether the birth date makes the person under 18 and staff has not confirmed yet."""
    return form.confirm_under_18.data != "yes" and visits.is_minor(_parts(form).birth_date, current_service_day(room))


@bp.post("/<int:room_id>/visits/anonymous")
@writes_late
def anonymous_visit(room_id: int) -> Response:
    """Register an anonymous visit with one tap."""
    room = room_for_member(room_id)

    def create(digest: str) -> Visit:
        stamp = resolve(db.session, room, current_user, tapped_at(), check_period=False)  # checked with the insert
        return visits.anonymous_visit(db.session, room, current_user, stamp, key=form_key(), payload_hash=digest)

    row = save_once(Visit, form_key(), form_payload(), create, insert_first=True)  # one statement: see create
    undo_views.offer("visit", row.id, _("Anonymous visit at %(time)s", time=local_time(row.occurred_at)))
    return to_visit(room, row.id)


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
    room, visit = change_record(room_id, Visit, visit_id, lambda v: visits.check_out(db.session, v, current_user))
    undo_views.offer("check_out", visit.id, _("Checked out at %(time)s", time=local_time(visit.left_at)))
    target = "rooms.end_of_shift" if request.form.get("next") == "end-of-shift" else "rooms.board"
    return redirect(url_for(target, room_id=room.id), 303)
