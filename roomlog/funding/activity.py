"""The ONE adapter between the pool and the published activity of a room and year.

It reads the stored, protected publication of the year
(:mod:`roomlog.reporting.publication`), the same cells the municipal and national pages and
the API show. A count that is hidden by disclosure control, unknown or not yet published
comes back as ``None``: the cost is then shown as unknown, never worked out from a number a
reader may not see.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from roomlog.funding.cost import Activity
from roomlog.reporting.publication import reader_rooms
from roomlog.reporting.publication import table as read_table
from roomlog.reporting.windows import year_window

CONSUMPTIONS = "consumptions.total"
ACUTE_TREATMENTS = "emergencies.acute_treatments"


def published_activity(session: Session, room_ids: Collection[int], year: int, threshold: int) -> dict[int, Activity]:
    """Return each room's published consumptions and acute treatments in ``year`` (``None`` = hidden/unknown)."""
    if not room_ids:
        return {}
    window = year_window(year)
    rooms = reader_rooms(session)
    table = read_table(session, window, rooms, threshold, (CONSUMPTIONS, ACUTE_TREATMENTS))
    out: dict[int, Activity] = {}
    for room_id in room_ids:
        counts: list[int | None] = []
        provisional = False
        for code in (CONSUMPTIONS, ACUTE_TREATMENTS):
            try:
                cell = table.cell(("room", str(room_id)), code)
            except KeyError:
                counts.append(None)
                continue
            provisional = provisional or cell.status == "not_published"
            counts.append(None if cell.suppressed or cell.value is None else int(cell.value))
        out[room_id] = Activity(counts[0], counts[1], provisional)
    return out
