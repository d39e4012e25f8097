"""Admin area: a room's permit — its dated history and the next step (audited)."""

from __future__ import annotations

import datetime as dt
from typing import cast

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from roomlog.admin.forms import PermitForm
from roomlog.admin.views import bp
from roomlog.extensions import db
from roomlog.i18n import current_language
from roomlog.models import Room
from roomlog.models.codes import PermitStatus
from roomlog.services.permits import change_permit, history
from roomlog.web.form_changes import commit_or_show


@bp.route("/rooms/<int:room_id>/permit", methods=["GET", "POST"])
def room_permit(room_id: int) -> tuple[str, int] | Response:
    """Show a room's permit history and record its next step."""
    room = db.session.get(Room, room_id) or abort(404)
    form = PermitForm()
    form.status.choices = PermitStatus.choices(current_language())
    if form.validate_on_submit():
        on = cast(dt.date, form.on_date.data)  # validated: InputRequired
        if commit_or_show(
            form.status,
            lambda: change_permit(
                db.session, room, PermitStatus(form.status.data), on, actor=current_user, note=form.note.data or ""
            ),
            lambda _step: _(
                "The permit of %(name)s is now: %(status)s.",
                name=room.name,
                status=room.permit_status.label(current_language()),
            ),
        ):
            return redirect(url_for("admin.room_permit", room_id=room.id))
    page = render_template("admin/permit.html", room=room, form=form, steps=history(db.session, room))
    return page, 400 if form.errors else 200
