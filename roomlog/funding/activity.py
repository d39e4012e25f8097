"""The ONE adapter between the pool and the published activity of a room and year.

Today it reads the protected year table of the existing read side
(``roomlog.reporting.gather.publish``), the same cells the municipal and national pages and
the API show. A count that is hidden by disclosure control, or not computable comes back as
``None``: the cost is then shown as
unknown, never worked out from a number a reader may not see. Repoint this function (only
this one) when the stored publication replaces the request-time read side.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from roomlog.funding.cost import Activity

CONSUMPTIONS = "consumptions.total"
ACUTE_TREATMENTS = "emergencies.acute_treatments"


def published_activity(session: Session, room_ids: Collection[int], year: int) -> dict[int, Activity]:
    """Return each room's published consumptions and acute treatments in ``year`` (``None`` = hidden/unknown)."""
    from roomlog.reporting.gather import publish
    from roomlog.reporting.windows import year_window

    if not room_ids:
        return {}
    table = publish(session, year_window(year))
    out: dict[int, Activity] = {}
    for room_id in room_ids:
        counts: list[int | None] = []
        provisional = False
        for code in (CONSUMPTIONS, ACUTE_TREATMENTS):
            try:
                cell = table.cell(("room", room_id), code)
            except KeyError:
                counts.append(None)
                continue
            provisional = provisional or cell.provisional
            counts.append(None if cell.suppressed or cell.value is None else int(cell.value))
        out[room_id] = Activity(counts[0], counts[1], provisional)
    return out
