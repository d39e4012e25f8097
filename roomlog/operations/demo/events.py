"""The demo's synthetic activity: visits, consumptions, emergencies, referrals and services, day by day.

Seeded and reproducible: the same seed, rooms and days give the same rows. The weights are the
one mix of ``roomlog/operations/scale_mix.py`` (as code-list members in ``facts``).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from roomlog.calendar import COPENHAGEN, service_day_of
from roomlog.models import (
    Consumption,
    ConsumptionSubstance,
    Emergency,
    EmergencyActionRecord,
    Referral,
    Room,
    ServiceRecord,
    Visit,
    Visitor,
)
from roomlog.models.base import utcnow
from roomlog.models.codes import (
    EmergencyAction,
    EmergencyOutcome,
    EmergencyType,
    PlaceKind,
    Route,
    ServiceCode,
    Severity,
    Substance,
    VisitOutcome,
)
from roomlog.operations.demo.bulk import BulkRows
from roomlog.operations.demo.facts import (
    ASSISTED_ROOMS,
    HOUR_WEIGHTS,
    INJECT_SUBSTANCES,
    NATIONALITIES,
    OPIOIDS,
    OTHER_EMERGENCIES,
    OUTCOMES,
    REFERRAL_MODES,
    REFERRAL_WEIGHTS,
    ROUTES,
    SERVICES,
    SEVERITIES,
    SEXES,
    SMOKE_SUBSTANCES,
    TURN_AWAY,
    DemoRoom,
)
from roomlog.services.pseudonyms import check_word, pseudonym


def _pick(rng: random.Random, weighted: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


class ActivityGenerator(BulkRows):
    """Draw a room's visits and everything that happens in them, day by day, as rows for bulk insert."""

    def __init__(self, session: Session, rng: random.Random, key: str) -> None:
        super().__init__(session)
        self.seeds, self.rng, self.key = rng, rng, key
        self.now = utcnow()
        self.total = 0

    def _event(self, table: Any, room: Room, at: dt.datetime, **values: Any) -> dict[str, Any]:
        row = {
            "id": self.new_id(table),
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
            sex = _pick(self.rng, SEXES)
            visitor_id = self.new_id(Visitor)
            digest = pseudonym(self.key, code)
            self.rows[Visitor].append(
                {
                    "id": visitor_id,
                    "pseudonym": digest,
                    "check_word": check_word(digest),
                    "birth_year": self.rng.randint(1958, 2004),
                    "sex": sex,
                    "nationality": _pick(self.rng, NATIONALITIES),
                    "first_registered_at": dt.datetime.combine(day, dt.time(12), tzinfo=COPENHAGEN).astimezone(dt.UTC),
                    "home_room_id": room.id,
                }
            )
            ids.append(visitor_id)
        return ids

    def room(self, room: Room, spec: DemoRoom, start: dt.date, today: dt.date, day_done: Callable[[], None]) -> None:
        """Draw the room's activity from ``start`` to ``today``; call ``day_done`` after each day."""
        # A generator of the room's own, seeded from the demo's: the events skipped for being later than now
        # (today's, different at another time of day) change no other room's rows, so two loads of one day agree.
        self.rng = random.Random(self.seeds.getrandbits(64))  # noqa: S311 (synthetic demo data)  # nosec B311
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
            day_done()
            if len(self.rows[Visit]) > 20000:
                self.flush_all()

    def _visit(self, room: Room, spec: DemoRoom, at: dt.datetime, visitor: int | None) -> None:
        if self.rng.random() < 0.02:
            reason = _pick(self.rng, TURN_AWAY)
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
                mode=_pick(self.rng, REFERRAL_MODES),
            )
        if self.rng.random() < 0.12:
            service = _pick(self.rng, SERVICES)
            self._event(ServiceRecord, room, end, visit_id=visit["id"], service=service, quantity=1)

    def _consumption(
        self, room: Room, spec: DemoRoom, visit: dict[str, Any], started: dt.datetime, ended: dt.datetime | None, n: int
    ) -> None:
        smoke = self.rng.random() < spec.smoke_share
        route = Route.SMOKE if smoke else _pick(self.rng, ROUTES)
        kind = PlaceKind.SMOKING if smoke else PlaceKind.INJECTION
        places = spec.smoking if smoke else spec.injection
        # Only an injection can be assisted (BEK 972/2016 § 6); the draw stays, so the stream is unchanged.
        assisted = spec.name in ASSISTED_ROOMS and self.rng.random() < 0.01 and route == Route.INJECT
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
        opioid = bool(substances & OPIOIDS)
        kind = (
            (EmergencyType.OPIOID if opioid else EmergencyType.STIMULANT)
            if self.rng.random() < 0.85
            else (_pick(self.rng, OTHER_EMERGENCIES))
        )
        severity = _pick(self.rng, SEVERITIES)
        outcome = _pick(self.rng, OUTCOMES)
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
