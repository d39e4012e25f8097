"""Tenant scoping applied to every ORM query of a request.

Views check access explicitly; this is the second line: once a request knows its user,
every ORM SELECT touching room-scoped tables is limited to the user's rooms with
``with_loader_criteria``, so a query that forgets its filter cannot leak another tenant's
rows.

On PostgreSQL there is a third line: row-level security on the room tables (migration
``security_row_level_security``). Its policies read the per-transaction setting
``roomlog.room_ids``, which :func:`set_scope` sets (``SET LOCAL`` semantics) at the start of
every request of a room-limited user and again at the start of every later transaction of
that request. Where the setting is absent or empty — the CLI, migrations, backups, national
and admin requests — the policies let every row through, so maintenance keeps working
while a request of a staff, lead or municipality user sees, even through raw SQL, only its
rooms. ``-1`` stands for "no rooms at all".
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import g, has_request_context
from sqlalchemy import Connection, event, text
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from roomlog.models import MonthlyAggregate, MonthlyHistory, PeriodStatus, RoomEvent

ROOM_SCOPED: tuple[type[Any], ...] = (RoomEvent, PeriodStatus, MonthlyAggregate, MonthlyHistory)


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


def scope_setting(ids: frozenset[int] | None) -> str:
    """Return the value of ``roomlog.room_ids`` for a scope ("" = no limit, "-1" = no rooms)."""
    if ids is None:
        return ""
    return ",".join(str(i) for i in sorted(ids)) or "-1"


def _apply_setting(connection: Connection) -> None:
    if connection.dialect.name != "postgresql" or not has_request_context():
        return
    ids = g.get("scope_room_ids")
    if ids is None:
        return
    connection.execute(text("SELECT set_config('roomlog.room_ids', :ids, true)"), {"ids": scope_setting(ids)})


def _after_begin(_session: Session, _transaction: Any, connection: Connection) -> None:
    _apply_setting(connection)


def set_scope(ids: frozenset[int] | None) -> None:
    """Limit this request to ``ids`` (``None``: no limit), in the ORM and in PostgreSQL's RLS."""
    g.scope_room_ids = ids
    from roomlog.extensions import db

    if ids is not None and db.engine.dialect.name == "postgresql":
        _apply_setting(db.session.connection())


def install() -> None:
    """Listen on every ORM session (idempotent)."""
    if not event.contains(Session, "do_orm_execute", _limit_to_scope):
        event.listen(Session, "do_orm_execute", _limit_to_scope)
    if not event.contains(Session, "after_begin", _after_begin):
        event.listen(Session, "after_begin", _after_begin)
