"""Pure comparisons for the monthly page: a value beside the previous month, the same month
last year (with % change), year to date and since opening."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from roomlog.reporting.indicators import BY_CODE, Indicator
from roomlog.reporting.summary import Number, Values

#: The indicators of the main table, in order; the parts are shown in the breakdowns.
HEADLINE: tuple[str, ...] = (
    "visits.total",
    "visits.turned_away",
    "visits.anonymous",
    "opening.days",
    "visitors.unique",
    "visitors.new",
    "consumptions.total",
    "consumptions.assisted",
    "emergencies.total",
    "emergencies.acute_treatments",
    "emergencies.naloxone",
    "emergencies.naloxone_doses",
    "emergencies.oxygen",
    "emergencies.oxygen_administrations",
    "emergencies.ventilation",
    "emergencies.cpr",
    "emergencies.ambulance_called",
    "emergencies.hospital_transfers",
    "emergencies.deaths",
    "emergencies.per_1000_consumptions",
    "referrals.total",
)


@dataclass(frozen=True)
class Comparison:
    """One indicator across the comparison periods."""

    indicator: Indicator
    month: Number | None
    previous: Number | None
    last_year: Number | None
    change_pct: Decimal | None
    year_to_date: Number | None
    since_opening: Number | None


def change_pct(now: Number | None, before: Number | None) -> Decimal | None:
    """Return the change from ``before`` to ``now`` in percent, one decimal (``None`` from zero)."""
    if now is None or before is None or before == 0:
        return None
    return (Decimal(100) * (Decimal(now) - Decimal(before)) / Decimal(before)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def compare(
    codes: Iterable[str], month: Values, previous: Values, last_year: Values, ytd: Values, since: Values
) -> list[Comparison]:
    """Return one comparison row per code."""
    return [
        Comparison(
            BY_CODE[code],
            month[code],
            previous[code],
            last_year[code],
            change_pct(month[code], last_year[code]),
            ytd[code],
            since[code],
        )
        for code in codes
    ]
