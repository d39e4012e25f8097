"""The engine against a real database: known answers on hand-made records, both dialects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from roomlog.extensions import db
from roomlog.models import MonthlyAggregate, MonthlyHistory, PeriodStatus
from roomlog.models.codes import (
    EmergencyAction,
    EmergencyOutcome,
    EmergencyType,
    PeriodState,
    ReferralTarget,
    Route,
    ServiceCode,
    Sex,
    Substance,
    TurnAwayReason,
    VisitOutcome,
)
from roomlog.reporting import compute, periods

#: Models and services on one connection, each test rolled back (tests/support/rollback.py).
pytestmark = pytest.mark.rollback

UTC = dt.UTC


def at(day: int, hour: int = 12, month: int = 3, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=UTC)


def _month_of_records(make):
    room = make.room()
    alice = make.visitor(sex=Sex.F, birth_year=1990)
    bob = make.visitor(sex=Sex.M, birth_year=1970)
    v1 = make.visit(room, at(2), visitor=alice)
    v2 = make.visit(room, at(3), visitor=alice)
    v3 = make.visit(room, at(3, 14), visitor=bob)
    make.visit(room, at(4))  # anonymous
    make.visit(room, at(4), outcome=VisitOutcome.TURNED_AWAY, turn_away_reason=TurnAwayReason.CAPACITY)
    make.visit(room, at(5), visitor=bob, voided=True, void_reason="duplicate")
    make.consumption(v1, room, substances=(Substance.HEROIN, Substance.COCAINE), assisted=True)
    make.consumption(v2, room, route=Route.SMOKE, substances=(Substance.CRACK,))
    make.consumption(v3, room, route=None)
    make.consumption(v3, room, voided=True, void_reason="wrong")
    make.emergency(
        v1,
        room,
        type=EmergencyType.OPIOID,
        actions=(EmergencyAction.NALOXONE, EmergencyAction.NALOXONE, EmergencyAction.OXYGEN),
        outcome=EmergencyOutcome.TRANSPORTED,
    )
    make.emergency(v2, room, type=EmergencyType.STIMULANT, actions=(EmergencyAction.OBSERVATION,))
    make.referral(room, v1, target=ReferralTarget.OST)
    make.service(room, ServiceCode.INJECTING_EQUIPMENT, quantity=10, visit=v1)
    make.service(room, ServiceCode.INJECTING_EQUIPMENT, quantity=5, visit=v2)
    return room


@pytest.mark.both_databases
def test_every_count_of_a_known_month(app, make, backend):
    room = _month_of_records(make)
    with app.app_context():
        values = compute(db.session, [room.id], periods.month("2026-03")).per_room[room.id]
    expected = {
        "visits.total": 4,
        "visits.turned_away": 1,
        "visits.turned_away.reason.capacity": 1,
        "visits.anonymous": 1,
        "consumptions.total": 3,
        "consumptions.route.inject": 1,
        "consumptions.route.smoke": 1,
        "consumptions.substance.heroin": 2,
        "consumptions.substance.cocaine": 1,
        "consumptions.substance.crack": 1,
        "consumptions.assisted": 1,
        "visitors.unique": 2,
        "visitors.new": 2,
        "visitors.sex.f": 1,
        "visitors.sex.m": 1,
        "visitors.age.30_39": 1,
        "visitors.age.50_plus": 1,
        "emergencies.total": 2,
        "emergencies.type.opioid": 1,
        "emergencies.type.stimulant": 1,
        "emergencies.acute_treatments": 1,
        "emergencies.naloxone": 1,
        "emergencies.oxygen": 1,
        "emergencies.naloxone_doses": 2,
        "emergencies.hospital_transfers": 1,
        "emergencies.deaths": 0,
        "emergencies.per_1000_consumptions": Decimal("666.67"),
        "referrals.total": 1,
        "referrals.target.ost": 1,
        "services.injecting_equipment": 15,
        "opening.days": 3,  # the 5th had only a voided visit
    }
    assert {code: values[code] for code in expected} == expected


def test_snapshot_is_read_for_an_approved_month(app, make, dbs):
    room = make.room()
    make.visit(room, at(2))
    dbs.add(PeriodStatus(room_id=room.id, month=dt.date(2026, 3, 1), state=PeriodState.APPROVED))
    dbs.add(MonthlyAggregate(room_id=room.id, month=dt.date(2026, 3, 1), indicator="visits.total", value=Decimal(7)))
    dbs.commit()
    with app.app_context():
        report = compute(db.session, [room.id], periods.month("2026-03"))
        live = compute(db.session, [room.id], periods.month("2026-03"), live=True)
    assert report.per_room[room.id]["visits.total"] == 7
    assert report.months[0].source == "snapshot" and not report.provisional
    assert live.per_room[room.id]["visits.total"] == 1


def test_history_fills_months_without_events(app, make, dbs):
    room = make.room(opened_on=make.LONG_OPEN)  # history from 2025
    make.visit(room, at(2))
    dbs.add(MonthlyHistory(room_id=room.id, month=dt.date(2025, 1, 1), indicator="visits.total", value=100))
    dbs.add(MonthlyHistory(room_id=room.id, month=dt.date(2026, 3, 1), indicator="visits.total", value=999))
    dbs.commit()
    with app.app_context():
        report = compute(db.session, [room.id], periods.span("2025-01", "2026-03"))
    assert report.per_room[room.id]["visits.total"] == 101  # events win in 2026-03
    assert report.per_room[room.id]["visitors.unique"] is None  # history months cannot be recounted
    assert report.state(room.id, dt.date(2025, 1, 1)).state == "history"
