"""Factories that build valid rows with sensible defaults; they flush and commit, nothing more."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from roomlog.calendar import service_day_of
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
from roomlog.models.base import utcnow
from roomlog.models.codes import (
    ROOM_ROLES,
    EmergencyAction,
    EmergencyType,
    PlaceKind,
    ReferralTarget,
    Role,
    Route,
    ServiceCode,
    Sex,
    Substance,
    VisitOutcome,
)
from roomlog.services.passwords import hash_password
from roomlog.services.pseudonyms import check_word, pseudonym

_seq = itertools.count(1)


class Factory:
    """``make.room()``, ``make.user(role, rooms=[…])``, ``make.visit(room)`` … for tests."""

    PASSWORD = "correct horse battery staple"
    #: A room's default opening date: recent, because publishing (after every approval) covers every month,
    #: quarter and year since the first room opened. A test with records, history or approvals before it
    #: gives its room the opening date it needs (``make.room(opened_on=...)``).
    OPENED = dt.date(2026, 1, 1)
    #: The opening date every room had by default before (tests whose records lie before ``OPENED`` use it).
    LONG_OPEN = dt.date(2020, 1, 1)

    def __init__(self, session: Session, app: Flask) -> None:
        self.session = session
        self.app = app

    def _save(self, obj: Any) -> Any:
        self.session.add(obj)
        self.session.commit()
        return obj

    def room(self, name: str | None = None, municipality: str = "101", **values: Any) -> Room:
        values.setdefault("places_injection", 6)
        values.setdefault("places_smoking", 4)
        values.setdefault("service_day_cutoff", dt.time(5, 0))
        values.setdefault("opened_on", self.OPENED)
        return self._save(Room(name=name or f"Room {next(_seq)}", municipality_code=municipality, **values))

    def user(
        self,
        role: Role | str = Role.STAFF,
        rooms: list[Room] | None = None,
        municipality: str | None = None,
        username: str | None = None,
        **values: Any,
    ) -> User:
        role = Role(role)
        with self.app.app_context():
            password_hash = hash_password(self.PASSWORD, self.app.config.get("ARGON2_PARAMS"))
        user = User(
            username=username or f"{role.value}{next(_seq)}",
            role=role,
            password_hash=password_hash,
            rooms=list(rooms or []),
            municipality=self.session.get(Municipality, municipality) if municipality else None,
            **values,
        )
        return self._save(user)

    def user_for(self, room: Room, role: Role, username: str | None = None) -> User:
        """A user of ``role`` whose scope is ``room``: a member (staff, lead), of its municipality, or neither."""
        return self.user(
            role,
            rooms=[room] if role in ROOM_ROLES else [],
            municipality=room.municipality_code if role == Role.MUNICIPALITY else None,
            username=username,
        )

    def _event(self, model: type, room: Room, occurred_at: dt.datetime | None = None, **values: Any) -> Any:
        at = occurred_at or utcnow()
        values.setdefault("idempotency_key", uuid.uuid4().hex)
        return model(
            room_id=room.id,
            occurred_at=at,
            recorded_at=values.pop("recorded_at", at),
            service_day=service_day_of(at, room.service_day_cutoff),
            **values,
        )

    def _on_visit(
        self, model: type, room: Room, visit: Visit | None, occurred_at: dt.datetime | None, **values: Any
    ) -> Any:
        """Save a record of ``room`` tied to ``visit`` (or to none), at ``occurred_at`` or else at the visit's time."""
        at = occurred_at or (visit.occurred_at if visit else None)
        return self._save(self._event(model, room, at, visit_id=visit.id if visit else None, **values))

    def visitor(self, code: str | None = None, birth_year: int = 1985, sex: Sex = Sex.M, **values: Any) -> Visitor:
        digest = pseudonym("test-pseudonym-key-for-tests-only-0123", code or f"CODE{next(_seq)}")
        return self._save(
            Visitor(pseudonym=digest, check_word=check_word(digest), birth_year=birth_year, sex=sex, **values)
        )

    def visit(
        self,
        room: Room,
        occurred_at: dt.datetime | None = None,
        visitor: Visitor | None = None,
        outcome: VisitOutcome = VisitOutcome.ADMITTED,
        **values: Any,
    ) -> Visit:
        return self._save(
            self._event(Visit, room, occurred_at, visitor_id=visitor.id if visitor else None, outcome=outcome, **values)
        )

    def consumption(
        self,
        visit: Visit,
        room: Room,
        occurred_at: dt.datetime | None = None,
        route: Route | None = Route.INJECT,
        substances: tuple[Substance, ...] = (Substance.HEROIN,),
        assisted: bool = False,
        **values: Any,
    ) -> Consumption:
        at = occurred_at or visit.occurred_at
        values.setdefault("place_kind", PlaceKind.INJECTION)
        row = self._event(
            Consumption, room, at, visit_id=visit.id, route=route, assisted=assisted, assisted_set_at=at, **values
        )
        row.substances = [ConsumptionSubstance(substance=s) for s in substances]
        return self._save(row)

    def emergency(
        self,
        visit: Visit,
        room: Room,
        occurred_at: dt.datetime | None = None,
        type: EmergencyType = EmergencyType.OPIOID,
        actions: tuple[EmergencyAction, ...] = (),
        **values: Any,
    ) -> Emergency:
        at = occurred_at or visit.occurred_at
        row = self._save(self._event(Emergency, room, at, visit_id=visit.id, type=type, **values))
        for n, action in enumerate(actions):
            self._save(
                self._event(
                    EmergencyActionRecord, room, at + dt.timedelta(minutes=n + 1), emergency_id=row.id, action=action
                )
            )
        return row

    def action(
        self, emergency: Emergency, room: Room, action: EmergencyAction, occurred_at: dt.datetime, **values: Any
    ) -> EmergencyActionRecord:
        """One emergency action row (e.g. ``oxygen_phase=OxygenPhase.START``)."""
        return self._save(
            self._event(EmergencyActionRecord, room, occurred_at, emergency_id=emergency.id, action=action, **values)
        )

    def referral(
        self,
        room: Room,
        visit: Visit | None = None,
        target: ReferralTarget = ReferralTarget.OST,
        occurred_at: dt.datetime | None = None,
        **values: Any,
    ) -> Referral:
        return self._on_visit(Referral, room, visit, occurred_at, target=target, **values)

    def service(
        self,
        room: Room,
        service: ServiceCode = ServiceCode.NALOXONE_KIT,
        quantity: int = 1,
        visit: Visit | None = None,
        occurred_at: dt.datetime | None = None,
        **values: Any,
    ) -> ServiceRecord:
        return self._on_visit(ServiceRecord, room, visit, occurred_at, service=service, quantity=quantity, **values)
