"""Server-side login sessions.

The signed Flask cookie carries a random session token; the database keeps only its hash
and whether it has ended. Logging out, changing the password or being disabled ends the
session server-side, so a copied cookie is worthless afterwards. Idle time is tracked in
the signed cookie (so reading a page writes nothing to the database); the absolute limit of
one shift is checked against the row's creation time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, cast

from flask import Flask, current_app, g, session
from sqlalchemy import ColumnElement, Row, Select, bindparam, select, update
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from roomlog.auth.scoping import rooms_for_one_check
from roomlog.auth.signed_cookies import VerifiedOnceSessions
from roomlog.extensions import db, login_manager
from roomlog.models import Emergency, LoginSession, Room, User
from roomlog.models.accounts import room_memberships
from roomlog.models.base import utcnow
from roomlog.models.codes import Role
from roomlog.row_security import STANDALONE_READ

#: The idle clock in the cookie is moved on at most this often: a request within this many
#: seconds of the last touch sends no new cookie (no signing, no Set-Cookie). The clock then
#: lags by less than this, so an idle logout can come up to this much early, never late.
TOUCH_SECONDS = 10


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def idle_limit_seconds(user: User) -> int:
    """Return the idle timeout for this user: short for staff on shared tablets."""
    minutes = (
        current_app.config["STAFF_IDLE_MINUTES"] if user.role == Role.STAFF else current_app.config["IDLE_MINUTES"]
    )
    return int(minutes) * 60


def start_session(db_session: Session, user: User, *, second_factor_done: bool = False) -> None:
    """Begin a fresh login session (a new token, nothing carried over from before login)."""
    language = session.get("language")
    session.clear()
    token = secrets.token_urlsafe(32)
    db_session.add(
        LoginSession(
            token_hash=_hash(token), user_id=user.id, second_factor_at=utcnow() if second_factor_done else None
        )
    )
    db_session.flush()
    session["sid"] = token
    session["seen"] = int(time.time())
    session.permanent = False
    if language:
        session["language"] = language


def end_session(db_session: Session, reason: str = "logout") -> None:
    """End the current login session server-side and clear the cookie."""
    token = session.get("sid")
    if token:
        db_session.execute(
            update(LoginSession)
            .where(LoginSession.token_hash == _hash(token), LoginSession.ended_at.is_(None))
            .values(ended_at=utcnow(), end_reason=reason)
        )
    session.clear()


@lru_cache(maxsize=1)
def _session_by_token() -> Select[LoginSession]:
    """Return the ORM look-up of an open session with its user and rooms, built once (one round trip).

    On PostgreSQL it may run before the request's transaction begins (``STANDALONE_READ``): one
    statement, consistent in itself, that reads no room data; ``BEGIN`` then goes out with the
    user's room scope, in front of the next statement.
    """
    return (
        select(LoginSession)
        .where(LoginSession.token_hash == bindparam("token_hash"), LoginSession.ended_at.is_(None))
        .options(joinedload(LoginSession.user).joinedload(User.rooms))
        .execution_options(**{STANDALONE_READ: True})
    )


class _Columns:
    """The login session, user and rooms as one Core statement, and which attribute each column fills."""

    def __init__(self) -> None:
        self.shapes: list[tuple[type[Any], list[str], slice]] = []
        columns: list[ColumnElement[Any]] = []
        for model in (LoginSession, User, Room):
            table = model.__table__
            keys = [model.__mapper__.get_property_by_column(column).key for column in table.c]
            self.shapes.append((model, keys, slice(len(columns), len(columns) + len(keys))))
            columns.extend(table.c)
        login, user, room = LoginSession.__table__, User.__table__, Room.__table__
        self.statement = (
            select(*columns)
            .join_from(login, user, user.c.id == login.c.user_id)
            .outerjoin(room_memberships, room_memberships.c.user_id == user.c.id)
            .outerjoin(room, room.c.id == room_memberships.c.room_id)
            .where(login.c.token_hash == bindparam("token_hash"), login.c.ended_at.is_(None))
            .order_by(room.c.name)  # ``User.rooms`` is ordered by name, as its eager load orders it
            .execution_options(**{STANDALONE_READ: True})
        )


_columns = lru_cache(maxsize=1)(_Columns)


def _loaded(db_session: Session, model: type[Any], keys: list[str], values: Sequence[Any]) -> Any:
    """Return ``model`` with ``values`` as if a query had loaded it into ``db_session`` (``None`` if it holds one)."""
    identity = db_session.identity_key(model, values[keys.index("id")])
    if identity in db_session.identity_map:
        return None
    found = model.__mapper__.class_manager.new_instance()  # as the ORM's loader makes one: no ``__init__``
    found.__dict__.update(zip(keys, values, strict=True))  # and fills it
    make_transient_to_detached(found)  # loaded, no history; its identity from ``id``; persistent once added
    return found


def _from_rows(db_session: Session, rows: Sequence[Row[Any]]) -> LoginSession | None:
    """Build the session, its user and rooms from the Core rows without the ORM's loading (``None``: let the ORM)."""
    (login_model, login_keys, login_at), (user_model, user_keys, user_at), (room_model, room_keys, room_at) = (
        _columns().shapes
    )
    first = rows[0]
    login = _loaded(db_session, login_model, login_keys, first[login_at])
    user = _loaded(db_session, user_model, user_keys, first[user_at])
    room_id = room_keys.index("id")
    rooms = [
        _loaded(db_session, room_model, room_keys, row[room_at]) for row in rows if row[room_at][room_id] is not None
    ]
    if login is None or user is None or any(room is None for room in rooms):
        return None  # already in this session (a test's own): load through the ORM instead
    set_committed_value(user, "rooms", rooms)
    set_committed_value(login, "user", user)
    db_session.add(login)  # with its user and rooms (the save-update cascade): no SQL, nothing to flush
    return cast(LoginSession, login)


def current_login_session() -> LoginSession | None:
    """Return the open server-side session of this request, if the cookie names one.

    One Core statement reads the session, its user and the user's rooms (``ended_at`` and the
    user's flags as stored now: a logout, a deactivation or a room change counts at once); the
    objects are then put into the request's ORM session as a query would have loaded them,
    which costs a fraction of the ORM's row processing for three entities. When the session
    already holds one of them (a test's own), the ORM query runs instead.
    """
    token = session.get("sid")
    if not token:
        return None
    token_hash = _hash(token)
    rows = db.session.execute(_columns().statement, {"token_hash": token_hash}).all()
    if not rows:
        return None
    built = _from_rows(db.session(), rows)
    if built is not None:
        return built
    found = db.session.execute(_session_by_token(), {"token_hash": token_hash})
    return found.unique().scalar_one_or_none()


def _load_user(user_id: str) -> User | None:
    login = current_login_session()
    if login is None or str(login.user_id) != user_id:
        return None
    user = login.user
    if not user.active:
        return None
    now = time.time()
    absolute = dt.timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    seen = int(session.get("seen", 0))
    if utcnow() - login.created_at > absolute or (now - seen > idle_limit_seconds(user) and not _emergency_open(user)):
        g.session_expired = True
        return None
    if now - seen >= TOUCH_SECONDS:
        session["seen"] = int(now)
    g.login_session = login
    return user


def _emergency_open(user: User) -> bool:
    """Return whether an emergency in one of the user's rooms is open (no idle logout during one).

    Only emergencies opened within the absolute session limit count, so one left without an
    outcome does not keep tablets logged in for days; the end-of-shift screen lists it.
    """
    room_ids = [room.id for room in user.rooms]
    if not room_ids:
        return False
    since = utcnow() - dt.timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    stmt = select(Emergency.id).where(
        Emergency.room_id.in_(room_ids),
        Emergency.outcome.is_(None),
        Emergency.voided.is_(False),
        Emergency.occurred_at >= since,
    )
    with rooms_for_one_check(frozenset(room_ids)):  # row-level security: the user's scope is not set yet
        return db.session.scalar(stmt.limit(1)) is not None


def idle_context() -> dict[str, object]:
    """Give templates the idle limit of the logged-in user (for the visible countdown)."""
    from flask_login import current_user

    if current_user and current_user.is_authenticated:
        return {"idle_seconds": idle_limit_seconds(current_user)}
    return {"idle_seconds": None}


def init_app(app: Flask) -> None:
    """Bind Flask-Login to the server-side sessions."""
    app.session_interface = VerifiedOnceSessions()  # Flask's signed cookie, each string checked once
    app.context_processor(idle_context)
    login_manager.init_app(app)
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # the server-side token does this job
