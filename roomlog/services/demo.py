"""Demo data: the five Danish rooms, a user per role, and realistic synthetic activity.

Loading is idempotent and never touches a database that holds anything but demo data.
Activity is inserted with bulk Core inserts (thousands of rows a second) because the ORM
unit of work would take minutes for a few months of a busy room.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click
from flask import current_app
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from roomlog.database import allow_history_load
from roomlog.models import (
    Consumption,
    ConsumptionSubstance,
    Emergency,
    EmergencyActionRecord,
    Municipality,
    Referral,
    Room,
    ServiceRecord,
    User,
    Visit,
    Visitor,
)
from roomlog.models.base import Base, utcnow
from roomlog.models.codes import (
    EmergencyAction,
    EmergencyOutcome,
    EmergencyType,
    Nationality,
    OperatorType,
    PermitStatus,
    PlaceKind,
    ReferralMode,
    ReferralTarget,
    Role,
    RoomModel,
    Route,
    ServiceCode,
    Severity,
    Sex,
    Substance,
    TurnAwayReason,
    VisitOutcome,
)
from roomlog.services import demo_history, pool_demo
from roomlog.services.accounts import create_user
from roomlog.services.municipalities import ensure_municipalities
from roomlog.services.pseudonyms import check_word, pseudonym
from roomlog.services.rooms import create_room
from roomlog.services.service_days import COPENHAGEN, add_months, month_start, service_day_of


@dataclass(frozen=True)
class DemoRoom:
    """A demo room. The facts follow the proposal (shared/design.md): København's Skyen and
    H17 are run by the municipality; Kirkens Korshær, a self-governing institution with an
    operating agreement (*driftsoverenskomst*), runs the rooms in Odense, Aarhus and Vejle,
    which opened in that order. Activity figures are synthetic."""

    name: str
    municipality: str
    operator: str
    operator_type: OperatorType
    model: RoomModel
    opened: dt.date
    injection: int
    smoking: int
    hours: tuple[int, int]
    visits_per_day: int
    smoke_share: float


ROOMS = (
    DemoRoom(
        "Skyen",
        "101",
        "Københavns Kommune",
        OperatorType.MUNICIPAL,
        RoomModel.SPECIALISED,
        dt.date(2016, 6, 1),
        8,
        10,
        (7, 22),
        150,
        0.55,
    ),
    DemoRoom(
        "H17",
        "101",
        "Københavns Kommune",
        OperatorType.MUNICIPAL,
        RoomModel.SPECIALISED,
        dt.date(2012, 9, 1),
        10,
        6,
        (7, 26),
        220,
        0.35,
    ),
    DemoRoom(
        "Odense",
        "461",
        "Kirkens Korshær",
        OperatorType.SELF_GOVERNING,
        RoomModel.INTEGRATED,
        dt.date(2013, 10, 1),
        6,
        4,
        (8, 22),
        60,
        0.3,
    ),
    DemoRoom(
        "Aarhus",
        "751",
        "Kirkens Korshær",
        OperatorType.SELF_GOVERNING,
        RoomModel.INTEGRATED,
        dt.date(2013, 11, 1),
        6,
        4,
        (9, 21),
        70,
        0.3,
    ),
    DemoRoom(
        "Vejle",
        "630",
        "Kirkens Korshær",
        OperatorType.SELF_GOVERNING,
        RoomModel.INTEGRATED,
        dt.date(2021, 3, 1),
        3,
        2,
        (10, 18),
        25,
        0.25,
    ),
)

#: (username, password, role, rooms, municipality, description)
USERS = (
    ("admin", "amber-garden-key-7", Role.ADMIN, (), None, "administrator"),
    ("staff", "blue-kettle-morning", Role.STAFF, ("Skyen",), None, "medarbejder, Skyen"),
    ("lead", "quiet-harbour-lamp", Role.LEAD, ("Skyen", "H17"), None, "leder, Skyen og H17"),
    ("staff-odense", "green-meadow-bridge", Role.STAFF, ("Odense",), None, "medarbejder, Odense"),
    ("lead-odense", "copper-tide-window", Role.LEAD, ("Odense",), None, "leder, Odense"),
    ("kommune", "paper-river-stone", Role.MUNICIPALITY, (), "101", "kommune, København"),
    ("kommune-odense", "silver-forest-path", Role.MUNICIPALITY, (), "461", "kommune, Odense"),
    ("kommune-aalborg", "clay-lantern-orchard", Role.MUNICIPALITY, (), "851", "kommune, Aalborg (planlagt rum)"),
    ("national", "north-window-cloud", Role.NATIONAL, (), None, "ministeriet/nationalt"),
)

HOUR_WEIGHTS = {
    h: w
    for h, w in zip(
        range(0, 27),
        (1, 1, 1, 1, 1, 1, 1, 3, 5, 7, 8, 9, 10, 10, 10, 10, 10, 9, 9, 8, 7, 6, 5, 4, 3, 2, 2),
        strict=True,
    )
}
INJECT_SUBSTANCES = (
    (Substance.HEROIN, 40),
    (Substance.COCAINE, 25),
    (Substance.SPEEDBALL, 12),
    (Substance.METHADONE, 6),
    (Substance.AMPHETAMINE, 5),
    (Substance.BUPRENORPHINE, 4),
    (Substance.FENTANYL, 2),
    (Substance.BENZODIAZEPINE, 3),
    (Substance.OTHER, 2),
    (Substance.U, 1),
)
SMOKE_SUBSTANCES = (
    (Substance.CRACK, 45),
    (Substance.HEROIN, 25),
    (Substance.COCAINE, 15),
    (Substance.METHAMPHETAMINE, 5),
    (Substance.AMPHETAMINE, 5),
    (Substance.OTHER, 4),
    (Substance.U, 1),
)
REFERRAL_WEIGHTS = (
    (ReferralTarget.DRUG_TREATMENT, 15),
    (ReferralTarget.OST, 12),
    (ReferralTarget.HAT, 4),
    (ReferralTarget.DETOX, 4),
    (ReferralTarget.GP, 8),
    (ReferralTarget.HOSPITAL, 5),
    (ReferralTarget.PSYCHIATRY, 4),
    (ReferralTarget.HEALTH_ROOM, 10),
    (ReferralTarget.WOUND_CARE, 10),
    (ReferralTarget.DENTAL, 3),
    (ReferralTarget.BBV_TESTING, 6),
    (ReferralTarget.VACCINATION, 3),
    (ReferralTarget.SOCIAL_CASEWORKER, 8),
    (ReferralTarget.HOUSING_SHELTER, 6),
    (ReferralTarget.LEGAL, 1),
    (ReferralTarget.OTHER, 1),
)


@dataclass
class DemoResult:
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    skipped_reason: str = ""
    rows: int = 0
    #: Lines of monthly and yearly history imported (2021 up to the activity).
    history: int = 0


def _pick(rng: random.Random, weighted: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _foreign_data(session: Session) -> bool:
    demo_rooms = {r.name for r in ROOMS} | {pool_demo.PLANNED_ROOM}
    demo_users = {u[0] for u in USERS}
    rooms = set(session.scalars(select(Room.name)))
    users = set(session.scalars(select(User.username)))
    return bool(rooms - demo_rooms or users - demo_users)


def load(
    session: Session,
    *,
    months: int = 3,
    seed: int = 2022,
    echo: Callable[[str], None] = print,
    today: dt.date | None = None,
) -> DemoResult:
    """Load the demo set into an empty (or demo-only) database; flushes, never commits."""
    result = DemoResult()
    ensure_municipalities(session)
    if _foreign_data(session):
        result.skipped_reason = "The database holds data that is not demo data: demo not loaded."
        return result
    rooms = {}
    for spec in ROOMS:
        room = session.scalar(select(Room).where(Room.name == spec.name))
        if room is None:
            room = create_room(
                session,
                name=spec.name,
                municipality_code=spec.municipality,
                operator_name=spec.operator,
                operator_type=spec.operator_type,
                model=spec.model,
                permit_status=PermitStatus.GRANTED,
                permit_date=spec.opened - dt.timedelta(days=90),
                opened_on=spec.opened,
                places_injection=spec.injection,
                places_smoking=spec.smoking,
                assisted_allowed=spec.name in {"Skyen", "H17"},
                opening_hours=f"{spec.hours[0]:02d}:00–{spec.hours[1] % 24:02d}:00",
                service_day_cutoff=dt.time(5, 0),
            )
        rooms[spec.name] = room
    for username, password, role, room_names, kommune, what in USERS:
        if session.scalar(select(User).where(User.username == username)) is None:
            create_user(
                session,
                username=username,
                password=password,
                role=role,
                rooms=[rooms[n] for n in room_names],
                municipality=session.get(Municipality, kommune) if kommune else None,
            )
        result.logins.append((username, password, what))
    today = today or dt.datetime.now(COPENHAGEN).date()
    pool_demo.load(session, today, int(current_app.config["POOL_TOTAL_DKK"]))
    start = add_months(month_start(today), -(months - 1)) if months else today + dt.timedelta(days=1)
    result.history = demo_history.load(session, ROOMS, rooms, start, today, seed)
    specs = [
        s
        for s in ROOMS
        if not session.scalar(select(func.count()).select_from(Visit).where(Visit.room_id == rooms[s.name].id))
    ]
    days = (today - start).days + 1 if months else 0
    if not specs or days <= 0:
        return result
    # Synthetic data only: a seeded, reproducible generator is what we want here.
    rng = random.Random(seed)  # noqa: S311 (synthetic demo data, not security)  # nosec B311
    allow_history_load(session)  # synthetic history lands in months that are already locked
    generator = _Generator(session, rng, current_app.config["PSEUDONYM_KEY"])
    with click.progressbar(length=days * len(specs), label="Demo activity", file=None) as bar:
        for spec in specs:
            generator.room(rooms[spec.name], spec, start, today, bar)
    result.rows = generator.flush_all()
    _approve_past_months(session, [rooms[s.name] for s in specs], start, today)
    return result


def _approve_past_months(session: Session, rooms: list[Room], start: dt.date, today: dt.date) -> None:
    """Approve each demo room's finished months (as its lead) and accept all but the last (as its kommune)."""
    from roomlog.services.approval import accept_month, approve_month

    current = month_start(today)
    for room in rooms:
        lead = session.scalar(select(User).where(User.role == Role.LEAD, User.rooms.contains(room)).order_by(User.id))
        kommune = session.scalar(
            select(User).where(User.role == Role.MUNICIPALITY, User.municipality_code == room.municipality_code)
        )
        month = month_start(start)
        while lead is not None and month < current:
            approve_month(
                session,
                room,
                month,
                lead,
                password=None,
                require_password=False,
                backdated_reviewed=True,
                today=today,
                publish=False,  # the demo command publishes once at the end
            )
            if kommune is not None and month < add_months(current, -1):
                accept_month(session, room, month, kommune, publish=False)
            month = add_months(month, 1)


class _Generator:
    """Build rows for bulk insert, with ids allocated here so children can point at parents."""

    TABLES: tuple[type[Base], ...] = (
        Visitor,
        Visit,
        Consumption,
        ConsumptionSubstance,
        Emergency,
        EmergencyActionRecord,
        Referral,
        ServiceRecord,
    )

    def __init__(self, session: Session, rng: random.Random, key: str) -> None:
        self.session, self.rng, self.key = session, rng, key
        self.rows: dict[type[Base], list[dict[str, Any]]] = {t: [] for t in self.TABLES}
        self.next_id: dict[type[Base], int] = {
            t: (session.scalar(select(func.max(t.__table__.c.id))) or 0) + 1
            for t in self.TABLES
            if t is not ConsumptionSubstance
        }
        self.now = utcnow()
        self.total = 0

    def _id(self, table: type[Base]) -> int:
        value = self.next_id[table]
        self.next_id[table] += 1
        return value

    def _event(self, table: type, room: Room, at: dt.datetime, **values: Any) -> dict[str, Any]:
        row = {
            "id": self._id(table),
            "room_id": room.id,
            "occurred_at": at,
            "recorded_at": at,
            "service_day": service_day_of(at, room.service_day_cutoff),
            "backdated": False,
            "idempotency_key": f"demo-{self.rng.getrandbits(96):024x}",
            "request_hash": "",
            "voided": False,
            **values,
        }
        self.rows[table].append(row)
        return row

    def _visitors(self, room: Room, spec: DemoRoom, day: dt.date) -> list[int]:
        ids = []
        for n in range(spec.visits_per_day * 3):
            code = f"DEMO{room.id:02d}{n:05d}"
            sex = _pick(self.rng, ((Sex.M, 78), (Sex.F, 20), (Sex.X, 1), (Sex.U, 1)))
            visitor_id = self._id(Visitor)
            digest = pseudonym(self.key, code)
            self.rows[Visitor].append(
                {
                    "id": visitor_id,
                    "pseudonym": digest,
                    "check_word": check_word(digest),
                    "birth_year": self.rng.randint(1958, 2004),
                    "sex": sex,
                    "nationality": _pick(
                        self.rng,
                        ((Nationality.DK, 85), (Nationality.EU, 8), (Nationality.NON_EU, 5), (Nationality.U, 2)),
                    ),
                    "first_registered_at": dt.datetime.combine(day, dt.time(12), tzinfo=COPENHAGEN).astimezone(dt.UTC),
                    "home_room_id": room.id,
                }
            )
            ids.append(visitor_id)
        return ids

    def room(self, room: Room, spec: DemoRoom, start: dt.date, today: dt.date, bar: Any) -> None:
        visitors = self._visitors(room, spec, start)
        regulars = visitors[: len(visitors) // 4]
        day = start
        while day <= today:
            weekend = day.weekday() >= 5
            count = max(
                0, int(self.rng.gauss(spec.visits_per_day * (0.9 if weekend else 1.0), spec.visits_per_day * 0.08))
            )
            for _ in range(count):
                hour = self.rng.choices(
                    range(spec.hours[0], spec.hours[1]),
                    weights=[HOUR_WEIGHTS[h] for h in range(spec.hours[0], spec.hours[1])],
                )[0]
                at = dt.datetime.combine(day, dt.time(0), tzinfo=COPENHAGEN) + dt.timedelta(
                    hours=hour, minutes=self.rng.randint(0, 59), seconds=self.rng.randint(0, 59)
                )
                at = at.astimezone(dt.UTC)
                if at > self.now:
                    continue
                visitor = (
                    None
                    if self.rng.random() < 0.04
                    else (self.rng.choice(regulars) if self.rng.random() < 0.6 else self.rng.choice(visitors))
                )
                self._visit(room, spec, at, visitor)
            self.total += count
            day += dt.timedelta(days=1)
            bar.update(1)
            if len(self.rows[Visit]) > 20000:
                self.flush_all()

    def _visit(self, room: Room, spec: DemoRoom, at: dt.datetime, visitor: int | None) -> None:
        if self.rng.random() < 0.02:
            reason = _pick(
                self.rng,
                (
                    (TurnAwayReason.INTOXICATED, 40),
                    (TurnAwayReason.CAPACITY, 25),
                    (TurnAwayReason.BAN, 15),
                    (TurnAwayReason.NOT_TARGET_GROUP, 10),
                    (TurnAwayReason.UNDER_18, 3),
                    (TurnAwayReason.OTHER, 7),
                ),
            )
            self._event(
                Visit,
                room,
                at,
                visitor_id=visitor,
                outcome=VisitOutcome.TURNED_AWAY,
                turn_away_reason=reason,
                left_at=at,
            )
            return
        visit = self._event(
            Visit, room, at, visitor_id=visitor, outcome=VisitOutcome.ADMITTED, turn_away_reason=None, left_at=None
        )
        end = at
        for n in range(2 if self.rng.random() < 0.12 else 1):
            started = end + dt.timedelta(minutes=self.rng.randint(2, 12))
            ended = started + dt.timedelta(minutes=self.rng.randint(12, 35))
            end = ended
            if started > self.now:
                break
            self._consumption(room, spec, visit, started, ended if ended <= self.now else None, n)
        left = end + dt.timedelta(minutes=self.rng.randint(3, 25))
        visit["left_at"] = left if left <= self.now else None
        if self.rng.random() < 0.04:
            self._event(
                Referral,
                room,
                end,
                visit_id=visit["id"],
                target=_pick(self.rng, REFERRAL_WEIGHTS),
                mode=_pick(
                    self.rng,
                    ((ReferralMode.INFORMATION, 40), (ReferralMode.REFERRAL, 45), (ReferralMode.ACCOMPANIED, 15)),
                ),
            )
        if self.rng.random() < 0.12:
            service = _pick(
                self.rng,
                (
                    (ServiceCode.CONVERSATION, 40),
                    (ServiceCode.HARM_REDUCTION_ADVICE, 25),
                    (ServiceCode.FOOD_SHOWER, 15),
                    (ServiceCode.WOUND_CARE, 8),
                    (ServiceCode.NALOXONE_KIT, 5),
                    (ServiceCode.TESTING, 5),
                    (ServiceCode.OTHER, 2),
                ),
            )
            self._event(ServiceRecord, room, end, visit_id=visit["id"], service=service, quantity=1)

    def _consumption(
        self, room: Room, spec: DemoRoom, visit: dict[str, Any], started: dt.datetime, ended: dt.datetime | None, n: int
    ) -> None:
        smoke = self.rng.random() < spec.smoke_share
        route = (
            Route.SMOKE
            if smoke
            else _pick(self.rng, ((Route.INJECT, 92), (Route.SNIFF, 5), (Route.ORAL, 2), (Route.OTHER, 1)))
        )
        kind = PlaceKind.SMOKING if smoke else PlaceKind.INJECTION
        places = spec.smoking if smoke else spec.injection
        # Only an injection can be assisted (BEK 972/2016 § 6); the draw stays, so the stream is unchanged.
        assisted = spec.name in {"Skyen", "H17"} and self.rng.random() < 0.01 and route == Route.INJECT
        row = self._event(
            Consumption,
            room,
            started,
            visit_id=visit["id"],
            route=route,
            assisted=assisted,
            assisted_set_at=started,
            place_kind=kind,
            place_number=self.rng.randint(1, max(places, 1)),
            ended_at=ended,
        )
        substances = {_pick(self.rng, SMOKE_SUBSTANCES if smoke else INJECT_SUBSTANCES)}
        if self.rng.random() < 0.1:
            substances.add(_pick(self.rng, INJECT_SUBSTANCES))
        for substance in substances:
            self.rows[ConsumptionSubstance].append({"consumption_id": row["id"], "substance": substance})
        if n == 0 and ended and self.rng.random() < 0.0016 * (1.4 if Substance.HEROIN in substances else 0.7):
            self._emergency(room, visit, row, substances, started + dt.timedelta(minutes=self.rng.randint(2, 10)))
        if route == Route.INJECT and self.rng.random() < 0.5:
            self._event(
                ServiceRecord,
                room,
                started,
                visit_id=visit["id"],
                service=ServiceCode.INJECTING_EQUIPMENT,
                quantity=self.rng.randint(1, 5),
            )
        elif smoke and self.rng.random() < 0.4:
            self._event(
                ServiceRecord,
                room,
                started,
                visit_id=visit["id"],
                service=ServiceCode.SMOKING_EQUIPMENT,
                quantity=self.rng.randint(1, 3),
            )

    def _emergency(
        self,
        room: Room,
        visit: dict[str, Any],
        consumption: dict[str, Any],
        substances: set[Substance],
        onset: dt.datetime,
    ) -> None:
        opioid = bool(
            substances
            & {Substance.HEROIN, Substance.FENTANYL, Substance.METHADONE, Substance.SPEEDBALL, Substance.OTHER_OPIOID}
        )
        kind = (
            (EmergencyType.OPIOID if opioid else EmergencyType.STIMULANT)
            if self.rng.random() < 0.85
            else (_pick(self.rng, ((EmergencyType.MIXED, 2), (EmergencyType.OTHER_MEDICAL, 1))))
        )
        severity = _pick(
            self.rng,
            (
                (Severity.REDUCED_CONSCIOUSNESS, 35),
                (Severity.UNRESPONSIVE_BREATHING, 30),
                (Severity.RESPIRATORY_DEPRESSION, 25),
                (Severity.RESPONSIVE, 9),
                (Severity.CARDIAC_ARREST, 1),
            ),
        )
        outcome = _pick(
            self.rng,
            (
                (EmergencyOutcome.RECOVERED_ON_SITE, 75),
                (EmergencyOutcome.TRANSPORTED, 20),
                (EmergencyOutcome.REFUSED_TRANSPORT, 4),
                (EmergencyOutcome.LEFT_AGAINST_ADVICE, 1),
            ),
        )
        t = onset
        emergency = self._event(
            Emergency,
            room,
            onset,
            visit_id=visit["id"],
            consumption_id=consumption["id"],
            type=kind,
            severity=severity,
            outcome=outcome,
            note=None,
        )

        def act(action: EmergencyAction, minutes: int, **extra: Any) -> None:
            nonlocal t
            t = t + dt.timedelta(minutes=minutes, seconds=self.rng.randint(0, 50))
            self._event(
                EmergencyActionRecord,
                room,
                t,
                emergency_id=emergency["id"],
                action=action,
                naloxone_route=extra.get("naloxone_route"),
                naloxone_dose_mg=extra.get("dose"),
                oxygen_phase=extra.get("oxygen_phase"),
            )

        act(EmergencyAction.STIMULATION, 0)
        act(EmergencyAction.RECOVERY_POSITION, 1)
        if kind in {EmergencyType.OPIOID, EmergencyType.MIXED}:
            act(EmergencyAction.OXYGEN, 1, oxygen_phase="start")
            if severity == Severity.RESPIRATORY_DEPRESSION:
                act(EmergencyAction.VENTILATION, 1)
            for _ in range(self.rng.choice((1, 1, 2, 2, 3))):
                act(EmergencyAction.NALOXONE, 2, naloxone_route="in", dose=1.8)
        elif kind == EmergencyType.STIMULANT:
            act(EmergencyAction.COOLING, 2)
        if outcome == EmergencyOutcome.TRANSPORTED or self.rng.random() < 0.1:
            act(EmergencyAction.AMBULANCE_CALLED, 1)
            act(EmergencyAction.AMBULANCE_ARRIVED, self.rng.randint(6, 14))
        if kind in {EmergencyType.OPIOID, EmergencyType.MIXED}:
            act(EmergencyAction.OXYGEN, 5, oxygen_phase="stop")
        emergency["outcome_at"] = t + dt.timedelta(minutes=5)

    def flush_all(self) -> int:
        """Insert the collected rows in dependency order; returns rows inserted."""
        count = 0
        for table in self.TABLES:
            rows = self.rows[table]
            if rows:
                defaults = {"outcome_at": None, "ended_at": None, "note": None}
                cols = set().union(*(r.keys() for r in rows))
                for row in rows:
                    for col in cols - row.keys():
                        row[col] = defaults.get(col)
                self.session.execute(insert(table), rows)
                count += len(rows)
                self.rows[table] = []
        if self.session.get_bind().dialect.name == "postgresql":
            for table in self.next_id:
                name = table.__tablename__
                # Table names come from our own models, never from input.
                sql = (
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE((SELECT MAX(id) FROM {name}), 1))"  # noqa: S608 (table names are ours)  # nosec B608
                )
                self.session.execute(text(sql))
        self.session.flush()
        return count
