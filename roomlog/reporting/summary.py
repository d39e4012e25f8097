"""Pure functions: grouped rows → indicator values. No database, no Flask.

``additive_by_month`` turns event rows into the additive indicators of every room-month;
``distinct_values`` recounts distinct visitors over any set of rooms and months; ``rate``
derives the emergency rate from totals. ``roomlog.reporting.combine`` puts them together
with approved snapshots and imported history.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from roomlog.models.codes import REFERRAL_KINDS, AgeBand, EmergencyOutcome, Sex, VisitOutcome
from roomlog.reporting import emergency_actions
from roomlog.reporting.indicators import ADDITIVE_CODES, BY_CODE, CODES, Kind
from roomlog.reporting.periods import Period
from roomlog.reporting.rows import (
    ActionRow,
    ConsumptionRow,
    DaysRow,
    EmergencyRow,
    FirstVisitRow,
    ReferralRow,
    ServiceRow,
    SubstanceRow,
    VisitorRow,
    VisitRow,
)

Number = int | Decimal
RoomMonth = tuple[int, dt.date]
ACTION_INDICATORS = ("naloxone", "oxygen", "ventilation", "cpr", "ambulance_called")
RATE_PLACES = Decimal("0.01")
_SEX_CODES = frozenset(Sex.codes())
REFERRAL_KIND_OF = {target.value: kind.value for target, kind in REFERRAL_KINDS.items()}


@dataclass(frozen=True)
class EventRows:
    """Everything the event queries return for a set of rooms and a window of months."""

    visits: tuple[VisitRow, ...] = ()
    days: tuple[DaysRow, ...] = ()
    consumptions: tuple[ConsumptionRow, ...] = ()
    substances: tuple[SubstanceRow, ...] = ()
    emergencies: tuple[EmergencyRow, ...] = ()
    actions: tuple[ActionRow, ...] = ()
    referrals: tuple[ReferralRow, ...] = ()
    services: tuple[ServiceRow, ...] = ()
    visitors: tuple[VisitorRow, ...] = ()
    first_visits: tuple[FirstVisitRow, ...] = ()

    def room_months(self) -> set[RoomMonth]:
        """Return the room-months that hold at least one (not voided) event."""
        found: set[RoomMonth] = set()
        for rows in (self.visits, self.consumptions, self.emergencies, self.referrals, self.services):
            found.update((row.room_id, row.month) for row in rows)
        return found


@dataclass(frozen=True)
class Values:
    """Indicator values by code; a code that could not be computed maps to ``None``."""

    data: Mapping[str, Number | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))

    def __getitem__(self, code: str) -> Number | None:
        if code not in BY_CODE:
            raise KeyError(code)
        return self.data.get(code)

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def items(self) -> Iterable[tuple[str, Number | None]]:
        """Return ``(code, value)`` pairs in dictionary order."""
        return [(code, self.data.get(code)) for code in CODES]


def zero_additive() -> dict[str, int]:
    """Return every additive indicator set to zero."""
    return dict.fromkeys(ADDITIVE_CODES, 0)


def _add(bucket: dict[RoomMonth, dict[str, int]], key: RoomMonth, code: str, amount: int) -> None:
    if code in BY_CODE:  # an unknown code in the data (a code list since shortened) is not an indicator
        bucket[key][code] += amount


def additive_by_month(rows: EventRows) -> dict[RoomMonth, dict[str, int]]:
    """Return the additive indicators of every room-month that has rows."""
    out: dict[RoomMonth, dict[str, int]] = defaultdict(zero_additive)
    for v in rows.visits:
        key = (v.room_id, v.month)
        if v.outcome == VisitOutcome.ADMITTED.value:
            _add(out, key, "visits.total", v.count)
            if v.anonymous:
                _add(out, key, "visits.anonymous", v.count)
        elif v.outcome == VisitOutcome.TURNED_AWAY.value:
            _add(out, key, "visits.turned_away", v.count)
            if v.reason:
                _add(out, key, f"visits.turned_away.reason.{v.reason}", v.count)
    for d in rows.days:
        _add(out, (d.room_id, d.month), "opening.days", d.days)
    for c in rows.consumptions:
        key = (c.room_id, c.month)
        _add(out, key, "consumptions.total", c.count)
        if c.route:
            _add(out, key, f"consumptions.route.{c.route}", c.count)
        if c.assisted:
            _add(out, key, "consumptions.assisted", c.count)
    for s in rows.substances:
        _add(out, (s.room_id, s.month), f"consumptions.substance.{s.substance}", s.count)
    for e in rows.emergencies:
        key = (e.room_id, e.month)
        _add(out, key, "emergencies.total", e.count)
        _add(out, key, f"emergencies.type.{e.type}", e.count)
        if e.outcome == EmergencyOutcome.TRANSPORTED.value:
            _add(out, key, "emergencies.hospital_transfers", e.count)
        elif e.outcome == EmergencyOutcome.DIED.value:
            _add(out, key, "emergencies.deaths", e.count)
    _add_actions(out, rows.actions)
    for r in rows.referrals:
        _add(out, (r.room_id, r.month), "referrals.total", r.count)
        _add(out, (r.room_id, r.month), f"referrals.target.{r.target}", r.count)
        kind = REFERRAL_KIND_OF.get(r.target)
        if kind:
            _add(out, (r.room_id, r.month), f"referrals.kind.{kind}", r.count)
    for sr in rows.services:
        _add(out, (sr.room_id, sr.month), f"services.{sr.service}", sr.quantity)
    return dict(out)


def _add_actions(out: dict[RoomMonth, dict[str, int]], actions: Iterable[ActionRow]) -> None:
    """Emergencies with each action, acute treatments, naloxone doses and oxygen administrations."""
    for key, found in emergency_actions.per_room_month(actions).items():
        for emergency in found:
            _add(out, key, "emergencies.naloxone_doses", emergency.times("naloxone"))
            _add(out, key, "emergencies.oxygen_administrations", emergency.times("oxygen"))
            if emergency.acute_treatment:
                _add(out, key, "emergencies.acute_treatments", 1)
            for action in ACTION_INDICATORS:
                if action in emergency.actions:
                    _add(out, key, f"emergencies.{action}", 1)


def sex_code(sex: str) -> str:
    """The sex code a visitor is counted under (an unknown code counts as unknown, ``u``)."""
    return sex if sex in _SEX_CODES else Sex.U.value


def age_band(birth_year: int | None, year: int) -> str:
    """Return the age band code for someone born in ``birth_year``, aged ``year − birth_year``."""
    if birth_year is None:
        return AgeBand.U.value
    age = year - birth_year
    if age < 30:  # ages under 18 are refused at the door; a stray one counts in the youngest band
        return AgeBand.A18_29.value
    if age < 40:
        return AgeBand.A30_39.value
    if age < 50:
        return AgeBand.A40_49.value
    return AgeBand.A50_PLUS.value


def distinct_values(
    visitors: Iterable[VisitorRow],
    first_visits: Iterable[FirstVisitRow],
    room_ids: Collection[int],
    period: Period,
) -> dict[str, int]:
    """Recount the distinct-visitor indicators over ``room_ids`` and the whole ``period``."""
    rooms = set(room_ids)
    people: dict[int, tuple[str, int | None]] = {}
    for v in visitors:
        if v.room_id in rooms and period.first <= v.month <= period.last:
            people[v.visitor_id] = (v.sex, v.birth_year)
    out = {code: 0 for code in BY_CODE if BY_CODE[code].kind == Kind.DISTINCT}
    out["visitors.unique"] = len(people)
    for sex, birth_year in people.values():
        out[f"visitors.sex.{sex_code(sex)}"] += 1
        out[f"visitors.age.{age_band(birth_year, period.last.year)}"] += 1
    first_in_set: dict[int, dt.date] = {}
    for f in first_visits:
        if f.room_id in rooms:
            seen = first_in_set.get(f.visitor_id)
            first_in_set[f.visitor_id] = f.first_day if seen is None else min(seen, f.first_day)
    out["visitors.new"] = sum(1 for visitor_id, day in first_in_set.items() if visitor_id in people and day in period)
    return out


def rate(emergencies: Number | None, consumptions: Number | None) -> Decimal | None:
    """Return 1000 × emergencies ÷ consumptions to two decimals (``None`` without consumptions)."""
    if emergencies is None or not consumptions:
        return None
    return (Decimal(1000) * Decimal(emergencies) / Decimal(consumptions)).quantize(RATE_PLACES, ROUND_HALF_UP)


def sum_additive(parts: Iterable[Mapping[str, Number | None]]) -> dict[str, int]:
    """Add up the additive indicators of several room-months (missing codes count as zero)."""
    total = zero_additive()
    for part in parts:
        for code in ADDITIVE_CODES:
            value = part.get(code)
            if value is not None:
                total[code] += int(value)
    return total


def month_values(rows: EventRows, room_id: int, month: dt.date) -> dict[str, Number | None]:
    """Return every indicator of one room-month computed from events (what a snapshot stores)."""
    additive = additive_by_month(rows).get((room_id, month), zero_additive())
    distinct = distinct_values(rows.visitors, rows.first_visits, (room_id,), Period(month, month))
    values: dict[str, Number | None] = {**additive, **distinct}
    values["emergencies.per_1000_consumptions"] = rate(additive["emergencies.total"], additive["consumptions.total"])
    return values
