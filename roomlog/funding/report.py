"""Cost next to activity for the pages, the API and the annual report: funding + published activity → costs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.funding.activity import published_activity
from roomlog.funding.cost import RoomYearCost, room_year_costs
from roomlog.funding.queries import granted_years
from roomlog.models import Room


@dataclass(frozen=True)
class CostLine:
    """One room and year: who, the funding, the published activity and the cost per unit."""

    room: Room
    cost: RoomYearCost


def cost_lines(session: Session, municipality_code: str | None, year: int | None, threshold: int) -> list[CostLine]:
    """Every granted room-year in scope (one year, or all) with its cost per consumption and per acute treatment."""
    funding = granted_years(session, municipality_code, year)
    activity = {}
    for y in sorted({f.year for f in funding}):
        ids = sorted({f.room_id for f in funding if f.year == y})
        for room_id, counts in published_activity(session, ids, y, threshold).items():
            activity[(room_id, y)] = counts
    rooms = {r.id: r for r in session.scalars(select(Room).where(Room.id.in_({f.room_id for f in funding})))}
    costs = room_year_costs(funding, activity)
    return sorted(
        (CostLine(rooms[c.funding.room_id], c) for c in costs),
        key=lambda ln: (ln.cost.funding.year, ln.room.municipality_code, ln.room.name),
    )


def annual_block(session: Session, municipality_code: str, year: int, threshold: int) -> list[CostLine]:
    """The grant beside the activity of one municipality's rooms in one year (empty when it received no grant)."""
    return cost_lines(session, municipality_code, year, threshold)
