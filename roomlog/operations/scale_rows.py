"""Rows of one synthetic room-month for the scale generator, and their bulk insert.

Rows are plain tuples in a fixed column order (fast to build); ids are allocated here so
children can point at their parents. The distributions are the demo's (roomlog/operations/
scale_mix.py): hours of the day, routes and substances, emergencies with timed actions,
referrals and services, 4 % anonymous visits, 2 % turned away, regulars who return.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Boolean, Date, DateTime
from sqlalchemy.orm import Session

from roomlog.calendar import COPENHAGEN, month_end
from roomlog.models import (
    Consumption,
    ConsumptionSubstance,
    Emergency,
    EmergencyActionRecord,
    Referral,
    ServiceRecord,
    Visit,
    Visitor,
)
from roomlog.models.base import UTCDateTime
from roomlog.operations.scale_mix import HOUR_WEIGHTS, OPIOIDS, PICK, Picker
from roomlog.operations.synthetic import ACTIVITY_TABLES, IdAllocator

EVENT = ("id", "room_id", "occurred_at", "recorded_at", "recorded_by_id", "service_day", "backdated")
EVENT_TAIL = ("idempotency_key", "request_hash", "voided")
#: The columns the generator fills, by activity table (inserted in ``ACTIVITY_TABLES``' order).
COLUMNS: dict[Any, tuple[str, ...]] = {
    Visitor: (
        "id",
        "pseudonym",
        "check_word",
        "birth_year",
        "sex",
        "nationality",
        "first_registered_at",
        "home_room_id",
    ),
    Visit: (*EVENT, *EVENT_TAIL, "visitor_id", "outcome", "turn_away_reason", "left_at"),
    Consumption: (
        *EVENT,
        *EVENT_TAIL,
        "visit_id",
        "route",
        "assisted",
        "assisted_set_at",
        "place_kind",
        "place_number",
        "ended_at",
    ),
    ConsumptionSubstance: ("consumption_id", "substance"),
    Emergency: (*EVENT, *EVENT_TAIL, "visit_id", "consumption_id", "type", "severity", "outcome", "outcome_at"),
    EmergencyActionRecord: (
        *EVENT,
        *EVENT_TAIL,
        "emergency_id",
        "action",
        "naloxone_route",
        "naloxone_dose_mg",
        "oxygen_phase",
    ),
    Referral: (*EVENT, *EVENT_TAIL, "visit_id", "target", "mode"),
    ServiceRecord: (*EVENT, *EVENT_TAIL, "visit_id", "service", "quantity"),
}
TABLES = ACTIVITY_TABLES
BULK_CACHE_KIB = 512 * 1024  # SQLite page cache of the generator's connection


@dataclass(frozen=True)
class RoomProfile:
    """How busy a synthetic room is and how it works."""

    visits_per_day: int = 220
    smoke_share: float = 0.35
    hours: tuple[int, int] = (7, 26)
    injection: int = 10
    smoking: int = 6
    assisted: bool = True


@dataclass
class MonthRows:
    """The rows of one room-month and what the generator itself counted in them."""

    rows: dict[Any, list[tuple[Any, ...]]] = field(default_factory=lambda: {t: [] for t in TABLES})
    counts: Counter[str] = field(default_factory=Counter)
    visitors_seen: set[int] = field(default_factory=set)


class MonthBuilder:
    """Build every row of one room-month from a seeded random generator."""

    def __init__(self, rng: random.Random, ids: IdAllocator, room_id: int, user_id: int, profile: RoomProfile):
        self.rng, self.ids, self.room_id, self.user_id, self.p = rng, ids, room_id, user_id, profile
        self.out = MonthRows()

    def _event(self, table: Any, at: dt.datetime, day: dt.date, *tail: Any) -> int:
        row_id = self.ids(table)
        self.out.rows[table].append(
            (
                row_id,
                self.room_id,
                at,
                at,
                self.user_id,
                day,
                False,
                idempotency_key(row_id, self.rng),
                "",
                False,
                *tail,
            )
        )
        return row_id

    def build(
        self, month: dt.date, now: dt.datetime, pool: Sequence[int], regulars: Sequence[int], new: Sequence[int]
    ) -> MonthRows:
        """Build the month's visits day by day; every new visitor (``new``) comes at least once."""
        rng, p = self.rng, self.p
        hours = list(range(p.hours[0], p.hours[1]))
        hour_pick = Picker([(h, HOUR_WEIGHTS[h]) for h in hours])
        pending = list(new)
        last = month_end(month)
        days = (last - month).days + 1
        # Spread the new visitors over the days before ``now`` so each comes (admitted) in their month.
        open_days = min(days, max((now.astimezone(COPENHAGEN).date() - month).days + 1, 1))
        per_day_new = -(-len(pending) // open_days) if pending else 0
        day = month
        while day <= last:
            offset = dt.datetime.combine(day, dt.time(12), tzinfo=COPENHAGEN).utcoffset() or dt.timedelta(0)
            midnight = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC) - offset
            weekend = day.weekday() >= 5
            count = max(0, int(rng.gauss(p.visits_per_day * (0.9 if weekend else 1.0), p.visits_per_day * 0.08)))
            for n in range(count):
                at = midnight + dt.timedelta(seconds=hour_pick(rng) * 3600 + rng.randrange(3600))
                if at > now:
                    continue
                first_visit = n < per_day_new and bool(pending)
                if first_visit:
                    visitor: int | None = pending.pop()
                elif rng.random() < 0.04 or not pool:
                    visitor = None
                else:
                    visitor = rng.choice(regulars) if rng.random() < 0.6 and regulars else rng.choice(pool)
                self._visit(day, at, now, visitor, admit=first_visit)
            day += dt.timedelta(days=1)
        return self.out

    def _visit(self, day: dt.date, at: dt.datetime, now: dt.datetime, visitor: int | None, admit: bool) -> None:
        rng, counts = self.rng, self.out.counts
        if rng.random() < 0.02 and not admit:
            self._event(Visit, at, day, visitor, "turned_away", PICK["turn_away"](rng), at)
            counts["visits.turned_away"] += 1
            return
        visit_rows = self.out.rows[Visit]
        visit = self._event(Visit, at, day, visitor, "admitted", None, None)
        index = len(visit_rows) - 1
        counts["visits.total"] += 1
        if visitor is None:
            counts["visits.anonymous"] += 1
        else:
            self.out.visitors_seen.add(visitor)
        end = at
        for n in range(2 if rng.random() < 0.12 else 1):
            started = end + dt.timedelta(seconds=rng.randrange(120, 720))
            ended = started + dt.timedelta(seconds=rng.randrange(720, 2100))
            end = ended
            if started > now:
                break
            self._consumption(day, visit, started, ended if ended <= now else None, n == 0)
        left = end + dt.timedelta(seconds=rng.randrange(180, 1500))
        visit_rows[index] = (*visit_rows[index][:-1], left if left <= now else None)
        if rng.random() < 0.04:
            self._event(Referral, end, day, visit, PICK["referral"](rng), PICK["mode"](rng))
            counts["referrals.total"] += 1
        if rng.random() < 0.12:
            self._event(ServiceRecord, end, day, visit, PICK["service"](rng), 1)

    def _consumption(
        self, day: dt.date, visit: int, started: dt.datetime, ended: dt.datetime | None, first: bool
    ) -> None:
        rng, p = self.rng, self.p
        smoke = rng.random() < p.smoke_share
        route = "smoke" if smoke else PICK["route"](rng)
        places = p.smoking if smoke else p.injection
        assisted = p.assisted and route == "inject" and rng.random() < 0.01
        row = self._event(
            Consumption,
            started,
            day,
            visit,
            route,
            assisted,
            started,
            "smoking" if smoke else "injection",
            rng.randint(1, max(places, 1)),
            ended,
        )
        self.out.counts["consumptions.total"] += 1
        substances = {PICK["smoke" if smoke else "inject"](rng)}
        if rng.random() < 0.1:
            substances.add(PICK["inject"](rng))
        for substance in sorted(substances):  # not set order: it changes with the process (hash seed)
            self.out.rows[ConsumptionSubstance].append((row, substance))
        if first and ended and rng.random() < 0.0016 * (1.4 if "heroin" in substances else 0.7):
            self._emergency(day, visit, row, substances, started + dt.timedelta(seconds=rng.randrange(120, 600)))
        if route == "inject" and rng.random() < 0.5:
            self._event(ServiceRecord, started, day, visit, "injecting_equipment", rng.randint(1, 5))
        elif smoke and rng.random() < 0.4:
            self._event(ServiceRecord, started, day, visit, "smoking_equipment", rng.randint(1, 3))

    def _emergency(self, day: dt.date, visit: int, consumption: int, substances: set[str], onset: dt.datetime) -> None:
        rng = self.rng
        if rng.random() < 0.85:
            kind = "opioid" if substances & OPIOIDS else "stimulant"
        else:
            kind = "mixed" if rng.random() < 2 / 3 else "other_medical"
        severity, outcome = PICK["severity"](rng), PICK["outcome"](rng)
        actions: list[tuple[str, int, Any, Any, Any]] = [("stimulation", 0, None, None, None)]
        actions.append(("recovery_position", 1, None, None, None))
        if kind in {"opioid", "mixed"}:
            actions.append(("oxygen", 1, None, None, "start"))
            if severity == "respiratory_depression":
                actions.append(("ventilation", 1, None, None, None))
            actions += [("naloxone", 2, "in", 1.8, None)] * rng.choice((1, 1, 2, 2, 3))
        elif kind == "stimulant":
            actions.append(("cooling", 2, None, None, None))
        if outcome == "transported" or rng.random() < 0.1:
            actions += [
                ("ambulance_called", 1, None, None, None),
                ("ambulance_arrived", rng.randint(6, 14), None, None, None),
            ]
        if kind in {"opioid", "mixed"}:
            actions.append(("oxygen", 5, None, None, "stop"))
        t = onset
        times = []
        for _action, minutes, *_rest in actions:
            t = t + dt.timedelta(minutes=minutes, seconds=rng.randint(0, 50))
            times.append(t)
        emergency = self._event(
            Emergency, onset, day, visit, consumption, kind, severity, outcome, t + dt.timedelta(minutes=5)
        )
        for (action, _minutes, route, dose, phase), at in zip(actions, times, strict=True):
            self._event(EmergencyActionRecord, at, day, emergency, action, route, dose, phase)
        self.out.counts["emergencies.total"] += 1


def idempotency_key(row_id: int, rng: random.Random) -> str:
    """A unique 32-hex-digit key that grows with the row id, like a time-ordered UUID (v7) a client sends.

    Ordered keys go in at the end of the unique index instead of at random places in it, which keeps a
    bulk load of years of rows from rewriting pages all over an index larger than the page cache.
    """
    return f"{row_id:012x}{rng.getrandbits(80):020x}"


def insert_rows(session: Session, table: Any, rows: list[tuple[Any, ...]]) -> None:
    """Insert tuples in the table's fixed column order: COPY on PostgreSQL, executemany elsewhere.

    On SQLite the rows must already hold SQLite's storage format (:func:`sqlite_rows`).
    """
    if not rows:
        return
    columns = COLUMNS[table]
    if session.get_bind().dialect.name == "postgresql":
        cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # None only once closed
        # Table and column names are our own model's, never input.
        with cursor.copy(f"COPY {table.__tablename__} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    # SQLite: bind the driver directly with values already in SQLAlchemy's storage format
    # (its per-value type processing costs more than the insert itself; the builder converted them).
    sql = f"INSERT INTO {table.__tablename__} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 (names are ours)  # nosec B608
    session.connection().exec_driver_sql(sql, rows)


def _converters(table: Any) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """(position, converter) of the columns of a table whose values SQLite stores as text or 0/1."""
    out: list[tuple[int, Callable[[Any], Any]]] = []
    for n, name in enumerate(COLUMNS[table]):
        kind = table.__table__.c[name].type
        if isinstance(kind, DateTime | UTCDateTime):
            out.append((n, _sqlite_timestamp))
        elif isinstance(kind, Date):
            out.append((n, dt.date.isoformat))
        elif isinstance(kind, Boolean):
            out.append((n, int))
    return tuple(out)


_CONVERTERS: dict[Any, tuple[tuple[int, Callable[[Any], Any]], ...]] = {}


def sqlite_rows(table: Any, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Return the rows with each value as SQLAlchemy stores it in SQLite (UTC text timestamps, ISO dates, 0/1).

    Only the timestamp, date and boolean columns are converted (the others pass as they are).
    """
    converters = _CONVERTERS.get(table)
    if converters is None:
        converters = _CONVERTERS[table] = _converters(table)
    out = []
    for row in rows:
        values = list(row)
        for n, convert in converters:
            value = values[n]
            if value is not None:
                values[n] = convert(value)
        out.append(tuple(values))
    return out


def _sqlite_timestamp(value: dt.datetime) -> str:
    """A timestamp as SQLAlchemy's SQLite DateTime stores it: UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``."""
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    return value.isoformat(" ", "microseconds")[:26]


def bulk_load_settings(session: Session) -> None:
    """SQLite: a page cache large enough for the indexes a month of rows goes into (the default is 2 MB).

    Only this connection's cache; durability and foreign keys stay as the app sets them.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
