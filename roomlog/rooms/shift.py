"""What the end-of-shift screen lists: open visits, emergencies without outcome, long consumptions.

Read side only. The same lists warn before logout and mark long consumptions on the board.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from roomlog.models import Consumption, Emergency, Room, Visit
from roomlog.rooms.board import open_emergencies, open_visits
from roomlog.services.consumptions import active_consumptions


@dataclass(frozen=True)
class LongConsumption:
    consumption: Consumption
    minutes: int


@dataclass(frozen=True)
class EndOfShift:
    """Everything still open in the room."""

    visits: list[Visit]
    emergencies: list[Emergency]
    long_consumptions: list[LongConsumption]
    limit_minutes: int

    @property
    def count(self) -> int:
        return len(self.visits) + len(self.emergencies) + len(self.long_consumptions)


def minutes_since(since: dt.datetime, now: dt.datetime) -> int:
    """Return whole minutes from ``since`` to ``now`` (never negative)."""
    return max(0, int((now - since).total_seconds() // 60))


def build(session: Session, room: Room, now: dt.datetime, limit_minutes: int) -> EndOfShift:
    """Collect what is still open in ``room`` at ``now``."""
    running = [(c, minutes_since(c.occurred_at, now)) for c in active_consumptions(session, room)]
    return EndOfShift(
        visits=open_visits(session, room),
        emergencies=open_emergencies(session, room),
        long_consumptions=[LongConsumption(c, m) for c, m in running if m >= limit_minutes],
        limit_minutes=limit_minutes,
    )
