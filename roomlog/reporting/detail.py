"""Pure breakdowns for the monthly page that are not indicators: when visitors arrive
(time bands, weekday × hour), every emergency action and every outcome."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from roomlog.models.codes import EmergencyAction, EmergencyOutcome
from roomlog.reporting.emergency_actions import by_emergency
from roomlog.reporting.queries import ActionRow, EmergencyRow
from roomlog.services.service_days import COPENHAGEN

BAND_HOURS = 3
HEAT_LEVELS = 5


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: a label (or code), a value and its share of the largest bar (0–1)."""

    key: str
    value: int
    share: float


@dataclass(frozen=True)
class HeatMap:
    """Arrivals by weekday (0 = Monday) and local hour, with a level 0–5 per cell for colour."""

    counts: tuple[tuple[int, ...], ...]
    levels: tuple[tuple[int, ...], ...]
    peak: int


def bars(pairs: Iterable[tuple[str, int]]) -> tuple[Bar, ...]:
    """Return bars scaled to the largest value."""
    items = list(pairs)
    top = max((v for _, v in items), default=0)
    return tuple(Bar(k, v, (v / top) if top else 0.0) for k, v in items)


def local_hours(moments: Iterable[dt.datetime]) -> list[tuple[int, int]]:
    """Return ``(weekday, hour)`` in Europe/Copenhagen for aware UTC instants."""
    out = []
    for moment in moments:
        local = moment.astimezone(COPENHAGEN)
        out.append((local.weekday(), local.hour))
    return out


def heat_map(moments: Iterable[dt.datetime]) -> HeatMap:
    """Count arrivals per weekday × local hour (daylight saving handled by the time zone)."""
    grid = [[0] * 24 for _ in range(7)]
    for weekday, hour in local_hours(moments):
        grid[weekday][hour] += 1
    peak = max(max(row) for row in grid)
    levels = tuple(tuple(_level(n, peak) for n in row) for row in grid)
    return HeatMap(tuple(tuple(row) for row in grid), levels, peak)


def _level(count: int, peak: int) -> int:
    if count == 0 or peak == 0:
        return 0
    return max(1, -(-count * HEAT_LEVELS // peak))  # ceil, so any arrival is visible


def time_bands(moments: Iterable[dt.datetime]) -> tuple[Bar, ...]:
    """Count arrivals in three-hour local time bands (00–03 … 21–24)."""
    counts = Counter(hour // BAND_HOURS for _, hour in local_hours(moments))
    return bars((f"{b * BAND_HOURS:02d}–{(b + 1) * BAND_HOURS:02d}", counts.get(b, 0)) for b in range(24 // BAND_HOURS))


@dataclass(frozen=True)
class ActionCount:
    """An emergency action: how many emergencies had it, and how many times it was done
    (oxygen: administrations, a start with its stop being one)."""

    action: EmergencyAction
    emergencies: int
    rows: int


def action_counts(rows: Iterable[ActionRow]) -> tuple[ActionCount, ...]:
    """Count every action of the data dictionary over the given emergencies."""
    found = by_emergency(rows).values()
    return tuple(
        ActionCount(
            a,
            sum(1 for e in found if a.value in e.actions),
            sum(e.times(a.value) for e in found),
        )
        for a in EmergencyAction
    )


def outcome_counts(rows: Iterable[EmergencyRow]) -> tuple[tuple[EmergencyOutcome | None, int], ...]:
    """Count emergencies by outcome; ``None`` for those still without one."""
    counts: Counter[str | None] = Counter()
    for row in rows:
        counts[row.outcome] += row.count
    out: list[tuple[EmergencyOutcome | None, int]] = [(o, counts.get(o.value, 0)) for o in EmergencyOutcome]
    out.append((None, counts.get(None, 0)))
    return tuple(out)
