"""Pure breakdowns for the monthly page that are not indicators: when visitors arrive
(time bands, weekday × hour), every emergency action and every outcome.

``detail_values`` flattens them into named counts (what approval stores beside the snapshot,
``MonthlyDetail``); ``detail_of`` turns such counts back into the page's tables, so a closed
month shows exactly what was approved."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from roomlog.calendar import COPENHAGEN
from roomlog.models.codes import EmergencyAction, EmergencyOutcome
from roomlog.reporting.emergency_actions import by_emergency
from roomlog.reporting.rows import ActionRow, EmergencyRow

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


def _grid(moments: Iterable[dt.datetime]) -> list[list[int]]:
    grid = [[0] * 24 for _ in range(7)]
    for weekday, hour in local_hours(moments):
        grid[weekday][hour] += 1
    return grid


def heat_map(moments: Iterable[dt.datetime]) -> HeatMap:
    """Count arrivals per weekday × local hour (daylight saving handled by the time zone)."""
    return _heat(_grid(moments))


def _heat(grid: list[list[int]]) -> HeatMap:
    peak = max(max(row) for row in grid)
    levels = tuple(tuple(_level(n, peak) for n in row) for row in grid)
    return HeatMap(tuple(tuple(row) for row in grid), levels, peak)


def _level(count: int, peak: int) -> int:
    if count == 0 or peak == 0:
        return 0
    return max(1, -(-count * HEAT_LEVELS // peak))  # ceil, so any arrival is visible


def time_bands(moments: Iterable[dt.datetime]) -> tuple[Bar, ...]:
    """Count arrivals in three-hour local time bands (00–03 … 21–24)."""
    return _bands(_grid(moments))


def _bands(grid: list[list[int]]) -> tuple[Bar, ...]:
    counts: Counter[int] = Counter()
    for row in grid:
        for hour, n in enumerate(row):
            counts[hour // BAND_HOURS] += n
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


@dataclass(frozen=True)
class Detail:
    """The page's tables that are not indicators: arrivals (heat map, bands), actions, outcomes."""

    heat: HeatMap
    bands: tuple[Bar, ...]
    actions: tuple[ActionCount, ...]
    outcomes: tuple[tuple[EmergencyOutcome | None, int], ...]


def _outcome_item(outcome: EmergencyOutcome | None) -> str:
    return f"outcomes.{outcome.value if outcome else 'none'}"


def detail_values(
    arrivals: Iterable[dt.datetime], actions: Iterable[ActionRow], emergencies: Iterable[EmergencyRow]
) -> dict[str, int]:
    """Flatten the page's non-indicator tables into named counts (arrival cells only where not zero)."""
    out: dict[str, int] = {}
    for weekday, row in enumerate(_grid(arrivals)):
        out.update({f"arrivals.{weekday}.{hour}": n for hour, n in enumerate(row) if n})
    for a in action_counts(actions):
        out[f"actions.{a.action.value}.emergencies"] = a.emergencies
        out[f"actions.{a.action.value}.times"] = a.rows
    out.update({_outcome_item(outcome): n for outcome, n in outcome_counts(emergencies)})
    return out


def detail_of(values: Mapping[str, int]) -> Detail:
    """Rebuild the page's non-indicator tables from named counts (missing counts are zero)."""
    grid = [[int(values.get(f"arrivals.{d}.{h}", 0)) for h in range(24)] for d in range(7)]
    actions = tuple(
        ActionCount(
            a, int(values.get(f"actions.{a.value}.emergencies", 0)), int(values.get(f"actions.{a.value}.times", 0))
        )
        for a in EmergencyAction
    )
    choices: list[EmergencyOutcome | None] = [*EmergencyOutcome, None]
    outcomes = tuple((o, int(values.get(_outcome_item(o), 0))) for o in choices)
    return Detail(_heat(grid), _bands(grid), actions, outcomes)
