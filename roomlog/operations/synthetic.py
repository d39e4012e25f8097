"""What the demo (``roomlog demo``) and the scale generator (``make bench``) share when they write made-up activity.

Both load the room activity tables in bulk with ids they allocate themselves, so that children can point at
their parents before anything is inserted, and both approve each finished month the way its lead would.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from roomlog import models
from roomlog.models import Room, User
from roomlog.services.approval import approve_month

#: The activity tables a bulk load writes, parents before children.
ACTIVITY_TABLES: tuple[Any, ...] = (
    models.Visitor,
    models.Visit,
    models.Consumption,
    models.ConsumptionSubstance,
    models.Emergency,
    models.EmergencyActionRecord,
    models.Referral,
    models.ServiceRecord,
)
#: The activity tables with an id column of their own (a consumption's substances have none).
WITH_IDS: tuple[Any, ...] = tuple(t for t in ACTIVITY_TABLES if t is not models.ConsumptionSubstance)


class IdAllocator:
    """Hand out ids above the current maximum of each table."""

    def __init__(self, start: dict[Any, int]) -> None:
        self.next: dict[Any, int] = dict(start)

    def __call__(self, table: Any) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


def next_ids(session: Session) -> dict[Any, int]:
    """The next free id of each activity table that has ids: one above the largest stored."""
    return {t: (session.scalar(select(func.max(t.id))) or 0) + 1 for t in WITH_IDS}


def reset_sequences(session: Session) -> None:
    """PostgreSQL: move each activity table's id sequence past the ids allocated by hand (SQLite needs nothing)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in WITH_IDS:
        name = table.__tablename__
        # Table names come from our own models, never from input.
        sql = f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE((SELECT MAX(id) FROM {name}), 1))"  # noqa: S608 (table names are ours)  # nosec B608
        session.execute(text(sql))


def approve_as_lead(session: Session, room: Room, month: dt.date, lead: User, today: dt.date) -> None:
    """Approve a finished made-up month as its lead: no password asked, back-dated entries taken as reviewed.

    Nothing is published: the caller publishes once when the whole load is done.
    """
    approve_month(
        session,
        room,
        month,
        lead,
        password=None,
        require_password=False,
        backdated_reviewed=True,
        today=today,
        publish=False,
    )
