"""Scale data for ``make bench``: ten busy rooms in several municipalities over years of history.

Every room runs at the demo's H17 traffic (about 6,600 visits and 7,400 consumptions a
month, the busiest Danish room). Rows are the kind the app writes (service day, unique
idempotency keys, visitors known only by an HMAC pseudonym of a synthetic code) and are
inserted in bulk (COPY on PostgreSQL). Each finished month is approved through the real
approval service, which stores its snapshot (publishing is left to ``roomlog publish``
afterwards); the current month stays open.

Generation is incremental and deterministic: each room-month draws from its own generator
seeded with (seed, room, month), and only months without a status row are generated, so
``--years 1`` then ``--years 3`` adds the two earlier years. Visitors come in monthly
cohorts and make their first visit in their cohort's month, so "new visitors" of a month
do not depend on the order months were generated in.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roomlog.calendar import COPENHAGEN, add_months, month_end, month_start
from roomlog.db_guards import allow_history_load
from roomlog.models import Municipality, PeriodStatus, Room, User, Visitor
from roomlog.models.base import utcnow
from roomlog.models.codes import PermitStatus, Role
from roomlog.operations import scale_build as build
from roomlog.operations import scale_bulk as bulk_load
from roomlog.operations import scale_rows as rows
from roomlog.operations.synthetic import approve_as_lead, next_ids, reset_sequences
from roomlog.services import DomainError
from roomlog.services.accounts import create_user
from roomlog.services.municipalities import ensure_municipalities
from roomlog.services.rooms import create_room

#: (name, municipality code) of the ten synthetic rooms.
ROOMS = (
    ("Bench København 1", "101"),
    ("Bench København 2", "101"),
    ("Bench København 3", "101"),
    ("Bench Frederiksberg", "147"),
    ("Bench Odense 1", "461"),
    ("Bench Odense 2", "461"),
    ("Bench Esbjerg", "561"),
    ("Bench Vejle", "630"),
    ("Bench Aarhus", "751"),
    ("Bench Aalborg", "851"),
)
LEAD = "bench-lead"


@dataclass
class ScaleResult:
    """What was generated: room-months, rows, and the generator's own counts per (room id, month)."""

    months: list[tuple[int, dt.date]] = field(default_factory=list)
    rows: int = 0
    counts: dict[tuple[int, dt.date], Counter[str]] = field(default_factory=dict)
    #: Wall seconds spent per phase: ``build`` (rows in Python), ``insert`` (bulk inserts), ``approve``
    #: (the approval service: checks, snapshot, visitor sets), ``commit``; with ``bulk`` on PostgreSQL also
    #: ``restore`` (indexes and constraints back) and ``check``.
    seconds: dict[str, float] = field(default_factory=dict)
    #: With ``bulk`` on PostgreSQL: what was taken off for the load and put back (checked).
    bulk: bulk_load.Dropped | None = None


def plan_months(today: dt.date, years: int, first: dt.date | None = None) -> list[dt.date]:
    """Return the months to cover: ``years`` × 12 months up to and including the current one."""
    current = month_start(today)
    start = month_start(first) if first else add_months(current, -(12 * years - 1))
    months = []
    month = start
    while month <= current:
        months.append(month)
        month = add_months(month, 1)
    return months


class BulkLoadFailed(DomainError):
    """The bulk-loaded tables do not pass :func:`roomlog.operations.scale_bulk.check`."""


class ForeignData(DomainError):
    """The database holds rooms of its own: synthetic data must never be mixed into real data."""


def _rooms(session: Session, count: int, first: dt.date) -> list[Room]:
    ensure_municipalities(session)
    names = {name for name, _code in ROOMS}
    others = session.scalar(select(func.count()).select_from(Room).where(Room.name.not_in(names)))
    if others:
        raise ForeignData(
            "The database holds rooms that are not bench rooms: bench data goes into a database of its own."
        )
    out = []
    for name, code in ROOMS[:count]:
        room = session.scalar(select(Room).where(Room.name == name))
        if room is None:
            room = create_room(
                session,
                permit_status=PermitStatus.GRANTED,
                permit_date=first,
                name=name,
                municipality_code=code,
                operator_name=f"{session.get_one(Municipality, code).name} Kommune",
                opened_on=first,
                places_injection=10,
                places_smoking=6,
                assisted_allowed=True,
                opening_hours="07:00–02:00",
            )
        elif room.opened_on is None or room.opened_on > first:
            room.opened_on = first  # history was extended backwards: the room opened earlier
        out.append(room)
    session.flush()
    return out


def _lead(session: Session, rooms: list[Room]) -> User:
    lead = session.scalar(select(User).where(User.username == LEAD))
    if lead is None:
        # Nobody logs in as this user: it only approves the synthetic months.
        lead = create_user(session, username=LEAD, password=secrets.token_urlsafe(24), role=Role.LEAD, rooms=rooms)
    for room in rooms:
        if room not in lead.rooms:
            lead.rooms.append(room)
    session.flush()
    return lead


def _done(session: Session, room_ids: list[int]) -> set[tuple[int, dt.date]]:
    found = session.execute(select(PeriodStatus.room_id, PeriodStatus.month).where(PeriodStatus.room_id.in_(room_ids)))
    return {(room_id, month) for room_id, month in found}


def _cohorts(session: Session, room_ids: list[int]) -> dict[int, dict[dt.date, list[int]]]:
    """The visitor ids each room already has, by the month they first came."""
    out: dict[int, dict[dt.date, list[int]]] = {room_id: {} for room_id in room_ids}  # home_room_id is never None here
    found = session.execute(
        select(Visitor.home_room_id, Visitor.id, Visitor.first_registered_at)
        .where(Visitor.home_room_id.in_(room_ids))
        .order_by(Visitor.id)
    )
    for room_id, visitor_id, registered in found:
        month = month_start(registered.astimezone(COPENHAGEN).date())
        out[room_id or 0].setdefault(month, []).append(visitor_id)
    return out


def generate(
    session: Session,
    *,
    key: str,
    rooms: int = 10,
    years: int = 1,
    first: dt.date | None = None,
    seed: int = 2022,
    today: dt.date | None = None,
    profile: rows.RoomProfile | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
    checkpoint: Callable[[], None] = lambda: None,
    in_process: bool = True,
    bulk: bool = False,
) -> ScaleResult:
    """Add the missing room-months of the plan and approve the finished ones; flushes, never commits.

    ``checkpoint`` runs after each month of every room (the CLI commits there). ``in_process=False``:
    a builder process builds the rows of the next months while this one inserts and approves.
    ``bulk`` (PostgreSQL; SQLite ignores it): load with the constraints, secondary indexes and event
    guards off and put them back at the end (:mod:`roomlog.operations.scale_bulk`), checked; the
    restore commits through ``checkpoint`` even when the load fails.
    """
    today = today or dt.datetime.now(COPENHAGEN).date()
    months = plan_months(today, years, first)
    profile = profile or rows.RoomProfile()
    allow_history_load(session)  # synthetic history lands in months that are already locked
    rows.bulk_load_settings(session)
    bench_rooms = _rooms(session, rooms, months[0])
    lead = _lead(session, bench_rooms)
    done = _done(session, [r.id for r in bench_rooms])
    now = min(utcnow(), dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=COPENHAGEN))
    plan = build.Plan(
        key=key,
        seed=seed,
        profile=profile,
        now=now,
        user_id=lead.id,
        todo=tuple((m, r.id, r.name) for m in months for r in bench_rooms if (r.id, m) not in done),
        next_ids={t.__tablename__: start for t, start in next_ids(session).items()},
        cohorts=_cohorts(session, [r.id for r in bench_rooms]),
        dialect=session.get_bind().dialect.name,
    )
    by_id = {r.id: r for r in bench_rooms}
    result = ScaleResult()
    clock = _Clock(result.seconds)
    bulk = bulk and plan.dialect == "postgresql"
    result.bulk = bulk_load.drop(session) if bulk else None
    try:
        for n, built in enumerate(build.months(plan, in_process=in_process), start=1):
            clock("build" if in_process else "wait for the builder")
            if bulk:
                bulk_load.guards_off(session)
            rows.insert_rows(session, Visitor, built.visitors)
            for table in rows.TABLES[1:]:
                rows.insert_rows(session, table, built.rows[table.__tablename__])
            if bulk:
                bulk_load.guards_on(session)
            reset_sequences(session)
            clock("insert")
            result.counts[(built.room_id, built.month)] = built.counts
            result.rows += built.size
            result.months.append((built.room_id, built.month))
            _close(session, by_id[built.room_id], built.month, lead, today)
            clock("approve")
            checkpoint()
            allow_history_load(session)
            clock("commit")
            progress(n, len(plan.todo))
    except BaseException:
        if result.bulk is not None:
            session.rollback()
            bulk_load.restore(session, result.bulk)
            checkpoint()
        raise
    if result.bulk is not None:
        bulk_load.restore(session, result.bulk)
        clock("restore")
        problems = bulk_load.check(session, result.bulk)
        clock("check")
        if problems:
            raise BulkLoadFailed("The bulk load does not check: " + "; ".join(problems))
    return result


class _Clock:
    """Add the wall time since the last call to a phase's total."""

    def __init__(self, totals: dict[str, float]) -> None:
        self.totals, self.last = totals, time.perf_counter()

    def __call__(self, phase: str) -> None:
        now = time.perf_counter()
        self.totals[phase] = self.totals.get(phase, 0.0) + now - self.last
        self.last = now


def _close(session: Session, room: Room, month: dt.date, lead: User, today: dt.date) -> None:
    """Approve a finished month like its lead would (snapshot stored); the current month stays open.

    Nothing is published here: each approval would publish every locked month of the country
    (the other rooms' months are not loaded yet) and republish it as revised at the next room;
    ``roomlog publish`` publishes once when the load is done.
    """
    if month_end(month) < today:
        approve_as_lead(session, room, month, lead, today)
    else:
        session.add(PeriodStatus(room_id=room.id, month=month))
        session.flush()
