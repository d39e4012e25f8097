"""Cost next to activity: (state + municipal operating funding of a room and year) ÷ its published activity.

Pure: no database, no Flask. A count that is hidden (disclosure control) or unknown arrives as
``None`` and the cost is then ``None`` too — it is never worked out from a hidden number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Activity:
    """Published activity of a room in a year; ``None`` = hidden or unknown."""

    consumptions: int | None
    acute_treatments: int | None
    #: Some month of the year is not approved yet (foreløbig): the figures may still change.
    provisional: bool = False


@dataclass(frozen=True)
class Funding:
    """Operating funding of one room and year in whole kroner."""

    room_id: int
    year: int
    state_kr: int
    municipal_kr: int

    @property
    def total_kr(self) -> int:
        return self.state_kr + self.municipal_kr


@dataclass(frozen=True)
class RoomYearCost:
    """Funding beside activity, and the cost per unit (``None`` when not computable)."""

    funding: Funding
    activity: Activity
    per_consumption: Decimal | None
    per_acute_treatment: Decimal | None


def cost_per(total_kr: int, count: int | None) -> Decimal | None:
    """Return ``total_kr / count`` in kroner with øre (half up); ``None`` for a hidden, unknown or zero count."""
    if count is None or count <= 0:
        return None
    return (Decimal(total_kr) / Decimal(count)).quantize(CENT, ROUND_HALF_UP)


def room_year_costs(funding: Iterable[Funding], activity: Mapping[tuple[int, int], Activity]) -> list[RoomYearCost]:
    """Pair each room-year's funding with its activity (keyed ``(room_id, year)``) and divide."""
    out = []
    for f in funding:
        act = activity.get((f.room_id, f.year), Activity(None, None))
        out.append(
            RoomYearCost(f, act, cost_per(f.total_kr, act.consumptions), cost_per(f.total_kr, act.acute_treatments))
        )
    return out
