"""Pure rules over the action rows of emergencies: acute treatments and oxygen administrations.

Oxygen is recorded as a *start* row and a *stop* row; one administration is a start with its
stop, and a start without a stop (or a stop whose start was voided) is one administration too.
A row without a phase (entered before phases existed) is one administration.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from roomlog.models.codes import ACUTE_TREATMENT_ACTIONS, NOT_POISONING_TYPES, EmergencyAction, OxygenPhase
from roomlog.reporting.rows import ActionRow

ACUTE = frozenset(a.value for a in ACUTE_TREATMENT_ACTIONS)
NOT_POISONING = frozenset(t.value for t in NOT_POISONING_TYPES)
OXYGEN = EmergencyAction.OXYGEN.value


def oxygen_administrations(starts: int, stops: int, unphased: int = 0) -> int:
    """Return the administrations of one emergency from its oxygen start, stop and unphased rows."""
    return max(starts, stops) + unphased


def is_acute_treatment(emergency_type: str | None, actions: Iterable[str]) -> bool:
    """Return whether an emergency is an acute treatment: an overdose or poisoning type (not
    ``other_medical``) with naloxone, oxygen, ventilation, CPR or AED given by staff."""
    return emergency_type not in NOT_POISONING and bool(ACUTE & set(actions))


@dataclass
class EmergencyActions:
    """The actions of one emergency: how often each was done (oxygen in administrations)."""

    room_id: int
    month: dt.date
    emergency_type: str | None = None
    rows: Counter[str] = field(default_factory=Counter)
    oxygen_phases: Counter[str | None] = field(default_factory=Counter)

    @property
    def actions(self) -> set[str]:
        return {a for a, n in self.rows.items() if n}

    def times(self, action: str) -> int:
        """Return how many times ``action`` was done (oxygen: administrations, else rows)."""
        if action != OXYGEN:
            return self.rows[action]
        phases = self.oxygen_phases
        return oxygen_administrations(phases[OxygenPhase.START.value], phases[OxygenPhase.STOP.value], phases[None])

    @property
    def acute_treatment(self) -> bool:
        return is_acute_treatment(self.emergency_type, self.actions)


def by_emergency(rows: Iterable[ActionRow]) -> dict[int, EmergencyActions]:
    """Group action rows by emergency."""
    out: dict[int, EmergencyActions] = {}
    for row in rows:
        found = out.get(row.emergency_id)
        if found is None:
            found = out[row.emergency_id] = EmergencyActions(row.room_id, row.month, row.emergency_type)
        found.rows[row.action] += row.count
        if row.action == OXYGEN:
            found.oxygen_phases[row.phase] += row.count
    return out


def per_room_month(rows: Iterable[ActionRow]) -> dict[tuple[int, dt.date], list[EmergencyActions]]:
    """Group the emergencies of the action rows by room and month."""
    out: dict[tuple[int, dt.date], list[EmergencyActions]] = defaultdict(list)
    for found in by_emergency(rows).values():
        out[(found.room_id, found.month)].append(found)
    return dict(out)
