"""Who may see what: roles, room membership, municipality scope, the login allow-list."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, g
from flask_login import current_user
from sqlalchemy import select

from roomlog.extensions import db
from roomlog.logs import security_event
from roomlog.models import Room, User
from roomlog.models.codes import ROOM_ROLES, Role

F = TypeVar("F", bound=Callable[..., Any])


def public(view: F) -> F:
    """Mark a view as reachable without logging in (the explicit allow-list)."""
    view.is_public = True  # type: ignore[attr-defined]  # a mark on the function object, read by the login check
    return view


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Allow a view only for the given roles (403 for the others)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated or current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)  # functools.wraps keeps the view's signature

    return decorator


def scope_room_ids(user: User) -> frozenset[int] | None:
    """Return the rooms a user's queries are limited to, or ``None`` for no limit.

    Staff and leads see their rooms; a municipality user the rooms of their municipality;
    national and admin users are not limited by room (what they may open is decided by
    their role: neither has event-level pages).
    """
    if user.role in ROOM_ROLES:
        return frozenset(room.id for room in user.rooms)
    if user.role == Role.MUNICIPALITY:
        ids = db.session.scalars(select(Room.id).where(Room.municipality_code == user.municipality_code))
        return frozenset(ids)
    return None


def room_for_member(room_id: int, *roles: Role) -> Room:
    """Return a room the current user works in (optionally with one of ``roles``), else 404."""
    user = current_user._get_current_object()  # the loaded user (or the anonymous one), not the proxy
    if not user.is_authenticated or user.role not in ROOM_ROLES:
        security_event("access.denied", logging.WARNING, room=room_id, reason="not a room role")
        abort(404)
    if roles and user.role not in roles:
        abort(403)
    room: Room | None = next((r for r in user.rooms if r.id == room_id), None)
    if room is None:
        security_event("access.denied", logging.WARNING, room=room_id, reason="not a member")
        abort(404)
    g.room = room
    return room


def rooms_in_scope(user: User) -> list[Room]:
    """Return the rooms the user may see aggregates for, ordered by name."""
    stmt = select(Room).order_by(Room.name)
    ids = scope_room_ids(user)
    if ids is not None:
        stmt = stmt.where(Room.id.in_(ids))
    return list(db.session.scalars(stmt))
