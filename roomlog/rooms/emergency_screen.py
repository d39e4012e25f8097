"""What the emergency screen and its handover print show: a time-ordered timeline and the dose counter.

Read side only: plain dataclasses from an emergency and its actions; the templates format them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from roomlog.models import Emergency, EmergencyActionRecord
from roomlog.models.codes import EmergencyAction, NaloxoneRoute, OxygenPhase


@dataclass(frozen=True)
class RouteDoses:
    """Naloxone given by one route: how many doses and how many mg in all."""

    route: NaloxoneRoute
    count: int
    total_mg: Decimal


@dataclass(frozen=True)
class Entry:
    """One line of the timeline: an action, or the outcome (``action`` is then ``None``)."""

    at: dt.datetime
    action: EmergencyActionRecord | None


@dataclass(frozen=True)
class Status:
    """The emergency at a glance: timeline, doses, oxygen, and when the clock stopped."""

    entries: list[Entry]
    doses: list[RouteDoses]
    dose_count: int
    last_naloxone_at: dt.datetime | None
    oxygen_running: bool
    oxygen_minutes: int
    stopped_at: dt.datetime | None
    is_open: bool

    def elapsed_seconds(self, onset: dt.datetime, now: dt.datetime) -> int:
        """Return the seconds from onset to the outcome (or to ``now`` while it runs)."""
        return max(0, int(((self.stopped_at or now) - onset).total_seconds()))


def _valid(emergency: Emergency) -> list[EmergencyActionRecord]:
    return sorted((a for a in emergency.actions if not a.voided), key=lambda a: (a.occurred_at, a.id))


def _oxygen(actions: list[EmergencyActionRecord], until: dt.datetime) -> tuple[bool, int]:
    started: dt.datetime | None = None
    seconds = 0.0
    for a in actions:
        if a.action != EmergencyAction.OXYGEN:
            continue
        if a.oxygen_phase == OxygenPhase.START and started is None:
            started = a.occurred_at
        elif a.oxygen_phase == OxygenPhase.STOP and started is not None:
            seconds += (a.occurred_at - started).total_seconds()
            started = None
    if started is not None:
        seconds += max(0.0, (until - started).total_seconds())
    return started is not None, int(seconds // 60)


def status(emergency: Emergency, now: dt.datetime) -> Status:
    """Collect what the screen shows about ``emergency`` at ``now``."""
    actions = _valid(emergency)
    naloxone = [a for a in actions if a.action == EmergencyAction.NALOXONE]
    doses = []
    for route in NaloxoneRoute:
        given = [a for a in naloxone if a.naloxone_route == route]
        if given:
            total = sum((a.naloxone_dose_mg or Decimal(0) for a in given), Decimal(0))
            doses.append(RouteDoses(route, len(given), total))
    entries = [Entry(a.occurred_at, a) for a in sorted(emergency.actions, key=lambda a: (a.occurred_at, a.id))]
    if emergency.outcome is not None and emergency.outcome_at is not None:
        entries.append(Entry(emergency.outcome_at, None))
    entries.sort(key=lambda e: e.at)
    running, minutes = _oxygen(actions, emergency.outcome_at or now)
    return Status(
        entries=entries,
        doses=doses,
        dose_count=len(naloxone),
        last_naloxone_at=naloxone[-1].occurred_at if naloxone else None,
        oxygen_running=running,
        oxygen_minutes=minutes,
        stopped_at=emergency.outcome_at,
        is_open=emergency.is_active,
    )


def clock(since: dt.datetime, until: dt.datetime | None, now: dt.datetime) -> str:
    """Format the time from ``since`` to ``until`` (or ``now``) as ``m:ss`` or ``h:mm:ss``."""
    seconds = max(0, int(((until or now) - since).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
