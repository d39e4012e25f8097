"""Tenant scoping applied to every ORM query of a request.

Views check access explicitly; this is the second line: once a request knows its user,
every ORM SELECT touching room-scoped tables is limited to the user's rooms with
``with_loader_criteria``, so a query that forgets its filter cannot leak another tenant's
rows.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from roomlog.models import MonthlyAggregate, MonthlyHistory, PeriodStatus, RoomEvent

ROOM_SCOPED: tuple[type[Any], ...] = (RoomEvent, PeriodStatus, MonthlyAggregate, MonthlyHistory)


def _limit_to_scope(state: ORMExecuteState) -> None:
    if not state.is_select or not has_request_context():
        return
    ids = g.get("scope_room_ids")
    if ids is None:
        return
    allowed = tuple(sorted(ids))
    for model in ROOM_SCOPED:
        state.statement = state.statement.options(
            with_loader_criteria(model, lambda cls: cls.room_id.in_(allowed), include_aliases=True)
        )


def install() -> None:
    """Listen on every ORM session (idempotent)."""
    if not event.contains(Session, "do_orm_execute", _limit_to_scope):
        event.listen(Session, "do_orm_execute", _limit_to_scope)
