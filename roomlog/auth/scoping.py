"""Tenant scoping applied to every ORM query of a request.

Views check access explicitly; this is the second line: once a request knows its user,
every ORM SELECT touching room-scoped tables is limited to the user's rooms with
``with_loader_criteria``, so a query that forgets its filter cannot leak another tenant's
rows.

On PostgreSQL there is a third line: row-level security on every table with room data
(migrations ``security_row_level_security`` and ``security_roles_and_secrets``). Its
policies read the per-transaction setting ``roomlog.room_ids`` and **deny by default**: a
transaction that did not set it sees no room data. The transaction's ``begin`` hook
(roomlog/database.py) sets it (``SET LOCAL`` semantics) from :func:`current_setting`, in the
round trip of ``BEGIN``: the user's rooms for a staff, lead or municipality user, ``*`` (an
explicit all-rooms scope) for national and admin users and for work outside a request (the
CLI, tests' factories), ``-1`` ("no rooms") for a request whose user is not known yet (the
login page, and the login-session look-up itself). :func:`set_scope` changes it once the user
is known, with the transaction's next statement. The app role cannot bypass the policies;
the schema owner (maintenance, backups) is not subject to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import Connection, event
from sqlalchemy.orm import Mapper, ORMExecuteState, Session, with_loader_criteria

from roomlog.models import (
    MonthlyAggregate,
    MonthlyDetail,
    MonthlyHistory,
    PeriodStatus,
    Room,
    RoomEvent,
    RoomVisitorSet,
    YearlyHistory,
)
from roomlog.models.codes import Role

ROOM_SCOPED: tuple[type[Any], ...] = (
    RoomEvent,
    PeriodStatus,
    MonthlyAggregate,
    MonthlyDetail,
    MonthlyHistory,
    YearlyHistory,
    RoomVisitorSet,
)


@lru_cache(maxsize=256)
def _criteria(ids: frozenset[int]) -> tuple[Any, ...]:
    """Return the loader criteria of one scope (built once per scope and worker, they are immutable)."""
    allowed = tuple(sorted(ids))
    return tuple(
        with_loader_criteria(model, lambda cls: cls.room_id.in_(allowed), include_aliases=True) for model in ROOM_SCOPED
    )


def _limit_to_scope(state: ORMExecuteState) -> None:
    if not state.is_select or not has_request_context():
        return
    ids = g.get("scope_room_ids")
    if ids is None:
        return
    state.statement = state.statement.options(*_criteria(ids))


ALL_ROOMS = "*"
NO_ROOMS = "-1"


def scope_setting(ids: frozenset[int] | None) -> str:
    """Return the value of ``roomlog.room_ids`` for a scope ("*" = every room, "-1" = no rooms)."""
    if ids is None:
        return ALL_ROOMS
    return ",".join(str(i) for i in sorted(ids)) or NO_ROOMS


def current_setting() -> str:
    """Return the scope this transaction should run under (see the module docstring)."""
    if not has_request_context():
        return ALL_ROOMS
    if not g.get("scope_decided"):
        return NO_ROOMS
    return scope_setting(g.get("scope_room_ids"))


def scope_undecided() -> bool:
    """Return whether this is a request whose user (and so its scope) is not known yet."""
    return has_request_context() and not g.get("scope_decided")


@contextmanager
def rooms_for_one_check(ids: frozenset[int]) -> Iterator[None]:
    """Let the statements in this block see ``ids`` under row-level security, then go back to the request's scope.

    For a check made before the request's user is known (the login-session guard's "is an
    emergency open in my rooms?"): the block's next statement carries the scope, the statement
    after the block the request's own (no rooms while it is undecided). The ORM's tenant
    filter is not touched.
    """
    from roomlog.extensions import db
    from roomlog.row_security import defer_scope

    postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        defer_scope(db.session.connection(), scope_setting(ids))
    try:
        yield
    finally:
        if postgres:
            defer_scope(db.session.connection(), current_setting())


def set_scope(ids: frozenset[int] | None) -> None:
    """Limit this request to ``ids`` (``None``: no limit), in the ORM and in PostgreSQL's RLS."""
    g.scope_room_ids = ids
    g.scope_decided = True
    from roomlog.extensions import db
    from roomlog.row_security import defer_scope

    if db.engine.dialect.name == "postgresql" and db.session().in_transaction():
        # A transaction not yet begun names this scope when it begins; one under way (the login
        # session was read in it) sends it with its next statement, in that statement's round trip.
        defer_scope(db.session.connection(), current_setting())


def _room_created(_mapper: Mapper[Any], connection: Connection, room: Room) -> None:
    """A room a municipality user creates in their own municipality is in their scope from its ``INSERT`` on.

    Their scope is "the rooms of my municipality", read as a list of ids when the request began
    (a new room planned for the pool, ``services.pool_applications``): without this the room's own
    audit entry and permit, written in the same transaction, would be refused by row-level security.
    """
    if not has_request_context() or not g.get("scope_decided"):
        return
    ids = g.get("scope_room_ids")
    user = current_user
    if ids is None or room.id in ids or not user.is_authenticated or user.role != Role.MUNICIPALITY:
        return
    if room.municipality_code != user.municipality_code:
        return
    g.scope_room_ids = ids | {room.id}
    if connection.dialect.name == "postgresql":
        from roomlog.row_security import defer_scope

        defer_scope(connection, current_setting())


def install() -> None:
    """Listen on every ORM session, and on new rooms (idempotent)."""
    if not event.contains(Session, "do_orm_execute", _limit_to_scope):
        event.listen(Session, "do_orm_execute", _limit_to_scope)
    if not event.contains(Room, "after_insert", _room_created):
        event.listen(Room, "after_insert", _room_created)
