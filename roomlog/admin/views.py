"""Admin area: rooms, users and municipalities."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from roomlog.admin.forms import PasswordResetForm, RoomForm, UserForm
from roomlog.auth.access import roles_required
from roomlog.auth.totp import reset as reset_totp
from roomlog.extensions import db
from roomlog.i18n import current_language, message
from roomlog.models import Municipality, Room, User
from roomlog.models.codes import INITIAL_PERMITS, OperatorType, PermitStatus, Role, RoomModel
from roomlog.services import DomainError
from roomlog.services.accounts import create_user, end_all_sessions, set_password, update_user
from roomlog.services.rooms import create_room, update_room
from roomlog.web.form_changes import commit_or_show

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@roles_required(Role.ADMIN)
def require_admin() -> None:
    """Only administrators use the admin area."""


def _municipality_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(select(Municipality.code, Municipality.name).order_by(Municipality.name))
    return [(code, f"{name} ({code})") for code, name in rows]


def _localise(form: RoomForm | UserForm) -> None:
    lang = current_language()
    if isinstance(form, RoomForm):
        form.operator_type.choices = OperatorType.choices(lang)
        form.model.choices = RoomModel.choices(lang)
        if getattr(form, "permit_status", None) is not None:
            form.permit_status.choices = [(p.value, p.label(lang)) for p in INITIAL_PERMITS]
        form.municipality_code.choices = _municipality_choices()
    else:
        form.role.choices = Role.choices(lang)
        form.municipality_code.choices = [("", "–"), *_municipality_choices()]
        form.rooms.choices = [(r.id, r.name) for r in db.session.scalars(select(Room).order_by(Room.name))]


@bp.get("/")
def index() -> str:
    """Show rooms and users at a glance."""
    rooms = db.session.scalars(select(Room).order_by(Room.name)).all()
    users = db.session.scalars(select(User).order_by(User.username)).all()
    return render_template("admin/index.html", rooms=rooms, users=users)


@bp.route("/rooms/new", methods=["GET", "POST"])
def room_new() -> str | Response:
    """Create a room."""
    form = RoomForm()
    _localise(form)
    if form.validate_on_submit() and commit_or_show(
        form.name,
        lambda: create_room(
            db.session,
            actor=current_user,
            permit_status=PermitStatus(form.permit_status.data),
            permit_date=form.permit_date.data,
            **_room_values(form),
        ),
        lambda room: _("Room %(name)s created.", name=room.name),
    ):
        return redirect(url_for("admin.index"))
    return render_template("admin/room_form.html", form=form, room=None)


@bp.route("/rooms/<int:room_id>", methods=["GET", "POST"])
def room_edit(room_id: int) -> str | Response:
    """Change a room."""
    room = db.session.get(Room, room_id) or abort(404)
    form = RoomForm(obj=room)
    del form.permit_status, form.permit_date  # changed on the permit page, with its history
    _localise(form)
    if form.validate_on_submit() and commit_or_show(
        form.name,
        lambda: update_room(db.session, room, actor=current_user, **_room_values(form)),
        lambda _none: _("Room %(name)s saved.", name=room.name),
    ):
        return redirect(url_for("admin.index"))
    return render_template("admin/room_form.html", form=form, room=room)


def _room_values(form: RoomForm) -> dict[str, object]:
    return {
        "name": form.name.data,
        "municipality_code": form.municipality_code.data,
        "operator_name": form.operator_name.data or "",
        "operator_type": OperatorType(form.operator_type.data),
        "model": RoomModel(form.model.data),
        "opened_on": form.opened_on.data,
        "places_injection": form.places_injection.data or 0,
        "places_smoking": form.places_smoking.data or 0,
        "assisted_allowed": form.assisted_allowed.data,
        "opening_hours": form.opening_hours.data or "",
        "service_day_cutoff": form.service_day_cutoff.data,
        "active": form.active.data,
    }


def _scope(form: UserForm) -> tuple[list[Room], Municipality | None]:
    rooms = list(db.session.scalars(select(Room).where(Room.id.in_(form.rooms.data or []))))
    code = form.municipality_code.data
    return rooms, (db.session.get(Municipality, code) if code else None)


@bp.route("/users/new", methods=["GET", "POST"])
def user_new() -> str | Response:
    """Create a user."""
    form = UserForm()
    _localise(form)
    if form.validate_on_submit():
        rooms, municipality = _scope(form)
        if commit_or_show(
            form.username,
            lambda: create_user(
                db.session,
                username=form.username.data or "",
                password=form.password.data or "",
                role=Role(form.role.data),
                rooms=rooms,
                municipality=municipality,
                can_backdate=form.can_backdate.data,
                actor=current_user,
                hashing=current_app.config.get("ARGON2_PARAMS"),
            ),
            lambda user: _("User %(name)s created.", name=user.username),
        ):
            return redirect(url_for("admin.index"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int) -> str | Response:
    """Change a user's role, rooms, municipality and status."""
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(obj=user, rooms=[r.id for r in user.rooms], role=user.role.value)
    _localise(form)
    if form.validate_on_submit():
        rooms, municipality = _scope(form)
        if commit_or_show(
            form.role,
            lambda: update_user(
                db.session,
                user,
                role=Role(form.role.data),
                rooms=rooms,
                municipality=municipality,
                active=form.active.data,
                can_backdate=form.can_backdate.data,
                actor=current_user,
            ),
            lambda _none: _("User %(name)s saved.", name=user.username),
        ):
            return redirect(url_for("admin.index"))
    return render_template("admin/user_form.html", form=form, user=user, reset_form=PasswordResetForm())


@bp.post("/users/<int:user_id>/password")
def user_password(user_id: int) -> str | Response:
    """Set a new password for a user (ends their sessions)."""
    user = db.session.get(User, user_id) or abort(404)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            set_password(
                db.session, user, form.password.data or "", actor=current_user,
                hashing=current_app.config.get("ARGON2_PARAMS"),
            )  # fmt: skip
        except DomainError as exc:
            db.session.rollback()
            flash(message(exc), "error")
        else:
            db.session.commit()
            flash(_("New password set for %(name)s.", name=user.username), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/users/<int:user_id>/second-factor/reset")
def user_totp_reset(user_id: int) -> Response:
    """Remove a user's second factor (lost phone); they enrol again at the next login."""
    user = db.session.get(User, user_id) or abort(404)
    reset_totp(db.session, user, actor=current_user)  # CSRF: checked app-wide by CSRFProtect
    end_all_sessions(db.session, user, "second_factor_reset")
    db.session.commit()
    flash(_("The second factor of %(name)s is removed.", name=user.username), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.get("/municipalities")
def municipalities() -> str:
    """List the 98 municipalities and their rooms (read in one more statement, not one per municipality)."""
    rows = db.session.scalars(
        select(Municipality).options(selectinload(Municipality.rooms)).order_by(Municipality.code)
    ).all()
    return render_template("admin/municipalities.html", municipalities=rows)
