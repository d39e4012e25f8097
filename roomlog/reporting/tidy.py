"""The tidy long format every download shares: one row per figure, its period, role, level, unit and state.

Pure functions. A figure is one published cell placed in its context: which period (kind, first
and last month), which role it plays on the page (the period, the same period last year, since
opening, and for a year to date inside a quarter the period and since opening through its last
whole quarter), which unit of the hierarchy (room, municipality, nation) and what it measures (the
indicator code with a unique label and a unit). Writers live in :mod:`roomlog.reporting.exports`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from roomlog.messages import C_, both, pick
from roomlog.models.organisation import official_name
from roomlog.reporting.indicators import INDICATORS, Indicator, Kind
from roomlog.reporting.publication.read import Cell
from roomlog.reporting.publication.units import RoomInfo
from roomlog.reporting.windows import Window, kind_of

#: ``consumptions.route.other`` → the group its label belongs to (Danish, English).
GROUPS: Mapping[str, tuple[str, str]] = {
    "visits.turned_away.reason": both(C_("download value", "Turned away")),
    "consumptions.route": both(C_("download value", "Route")),
    "consumptions.substance": both(C_("download value", "Substance")),
    "visitors.sex": both(C_("download value", "Sex")),
    "visitors.age": both(C_("download value", "Age")),
    "emergencies.type": both(C_("download value", "Emergency type")),
    "referrals.target": both(C_("download value", "Referred to")),
    "referrals.kind": both(C_("download value", "Referral kind")),
    "services": both(C_("download value", "Service")),
}
PERIOD_KINDS = {
    "month": both(C_("download value", "month")),
    "quarter": both(C_("download value", "quarter")),
    "year": both(C_("download value", "year")),
    "range": both(C_("download value", "range")),
    "since_opening": both(C_("download value", "since_opening")),
}
ROLES = {
    "period": both(C_("download value", "period")),
    "last_year": both(C_("download value", "same_period_last_year")),
    "since_opening": both(C_("download value", "since_opening")),
    "change": both(C_("download value", "change_on_last_year")),
    # A year to date that ends inside a quarter, through its last whole quarter (the national start page).
    "to_last_quarter": both(C_("download value", "to_last_whole_quarter")),
    "since_opening_to_last_quarter": both(C_("download value", "since_opening_to_last_whole_quarter")),
}
LEVELS = {
    "room": both(C_("download value", "room")),
    "municipality": both(C_("download value", "municipality")),
    "nation": both(C_("download value", "nation")),
}
#: Cell status → state; a status not listed here is written as it is (new statuses flow through).
STATES = {
    "approved": both(C_("download value", "published")),
    "revised": both(C_("download value", "revised")),
    "unknown": both(C_("download value", "unknown")),
    "not_published": both(C_("download value", "not_published")),
    "not_available": both(C_("download value", "not_available")),
    "not_applicable": both(C_("download value", "not_applicable")),
}
UNITS = {
    "count": both(C_("download value", "count")),
    "persons": both(C_("download value", "persons")),
    "days": both(C_("download value", "days")),
    "per_1000": both(C_("download value", "per 1,000")),
    "percent": both(C_("download value", "percent")),
    "kr": both(C_("download value", "DKK")),
}
NATION_NAME = both(C_("download value", "National total"))


@dataclass(frozen=True)
class Meaning:
    """What an indicator measures: code, unique labels, unit and definition."""

    code: str
    label_da: str
    label_en: str
    unit: str
    definition_da: str
    definition_en: str

    def label(self, english: bool) -> str:
        return self.label_en if english else self.label_da

    def unit_text(self, english: bool) -> str:
        return UNITS[self.unit][english]


def _group(code: str) -> tuple[str, str] | None:
    for prefix, names in GROUPS.items():
        if code.startswith(prefix + "."):
            return names
    return None


def _unit(indicator: Indicator) -> str:
    if indicator.kind == Kind.RATE:
        return "per_1000"
    if indicator.code == "opening.days":
        return "days"
    return "persons" if indicator.kind == Kind.DISTINCT else "count"


def meaning(indicator: Indicator) -> Meaning:
    """The indicator with labels made unique by their group («Henvist til: andet»)."""
    group = _group(indicator.code)
    da, en = indicator.label_da, indicator.label_en
    if group is not None:
        da, en = f"{group[0]}: {da}", f"{group[1]}: {en}"
    return Meaning(indicator.code, da, en, _unit(indicator), indicator.definition_da, indicator.definition_en)


MEANINGS: dict[str, Meaning] = {i.code: meaning(i) for i in INDICATORS}
for _lang in (0, 1):
    _twice = [k for k, n in Counter(m.label(bool(_lang)) for m in MEANINGS.values()).items() if n > 1]
    if _twice:  # checked at import: a pivot by label must never merge indicators
        raise RuntimeError(f"indicator labels must be unique: {_twice}")


@dataclass(frozen=True)
class Figure:
    """One row of the long format."""

    period_kind: str
    first_month: str
    last_month: str
    role: str
    level: str
    municipality_code: str | None
    name: str
    room_id: int | None
    meaning: Meaning
    value: int | Decimal | None
    hidden: bool
    status: str
    revised: bool
    #: A unit other than the indicator's (``percent`` for a change).
    unit: str | None = None

    def unit_text(self, english: bool) -> str:
        return UNITS[self.unit][english] if self.unit else self.meaning.unit_text(english)


def period_kind(window: Window, role: str = "period") -> str:
    """``month``, ``quarter``, ``year``, ``range`` (``..``) or ``since_opening``."""
    if role in ("since_opening", "since_opening_to_last_quarter"):
        return "since_opening"
    kind = kind_of(window)
    return "range" if kind == "total" else kind


def official_names(rooms: Sequence[RoomInfo]) -> dict[str, str]:
    """Municipality code → official name («Københavns Kommune»)."""
    return {r.municipality_code: official_name(r.municipality_code, r.municipality_name) for r in rooms}


def level_and_name(cell: Cell, names: Mapping[str, str]) -> tuple[str, str]:
    """``(level, name)``: the room's name, the municipality's official name or nothing (the nation)."""
    if cell.room_id is not None:
        return "room", cell.room or ""
    if cell.municipality_code is not None:
        return "municipality", names.get(cell.municipality_code, cell.municipality_code)
    return "nation", ""


def municipality_total(name: str, english: bool) -> str:
    """«Københavns Kommune i alt» (or «… total» in English)."""
    return pick(english, C_("download value", "%(name)s total")) % {"name": name}


def name(figure: Figure, english: bool) -> str:
    """The room's name, «Københavns Kommune i alt» or «Hele landet»."""
    if figure.level == "municipality":
        return municipality_total(figure.name, english)
    return NATION_NAME[english] if figure.level == "nation" else figure.name


def figures(
    cells: Iterable[Cell],
    window: Window,
    role: str,
    names: Mapping[str, str],
    meanings: Mapping[str, Meaning] = MEANINGS,
) -> list[Figure]:
    """The cells of one period (all with ``window``) as figures playing ``role``."""
    kind = period_kind(window, role)
    first, last = window.period.first.strftime("%Y-%m"), window.period.last.strftime("%Y-%m")
    out = []
    for c in cells:
        level, name = level_and_name(c, names)
        value = None if c.suppressed else c.value
        # A partial figure (since opening) covers its known months only: its first month says so.
        out.append(
            Figure(kind, c.coverage or first, last, role, level, c.municipality_code, name, c.room_id,
                   meanings[c.indicator], value, c.suppressed, c.status, c.revised)
        )  # fmt: skip
    return out


def state(figure: Figure, english: bool) -> str:
    """The month's state from the cell's status («offentliggjort», «revideret», «ukendt» …)."""
    status = "revised" if figure.status == "approved" and figure.revised else figure.status
    return STATES[status][english] if status in STATES else status


def used_meanings(rows: Sequence[Figure]) -> list[Meaning]:
    """The indicators of ``rows`` in their first order."""
    return list({f.meaning.code: f.meaning for f in rows}.values())
