"""Every headline definition on /reports/definitions, proved on hand-made records (issue #11 item 7).

Each case builds a small month with the factories (including records that must *not* count)
and compares the engine's value with the count the definition's words give by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from roomlog.extensions import db
from roomlog.models.codes import (
    EmergencyAction,
    EmergencyOutcome,
    EmergencyType,
    OxygenPhase,
    ReferralTarget,
    TurnAwayReason,
    VisitOutcome,
)
from roomlog.reporting import compute, periods
from roomlog.reporting.compare import HEADLINE
from roomlog.reporting.indicators import BY_CODE

A = EmergencyAction
UTC = dt.UTC


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=UTC)


def _visits(make, room) -> None:
    make.visit(room, at(2), visitor=make.visitor())
    make.visit(room, at(3))  # anonymous, admitted
    make.visit(room, at(3), voided=True, void_reason="duplicate")
    make.visit(room, at(4), outcome=VisitOutcome.TURNED_AWAY, turn_away_reason=TurnAwayReason.BAN)
    make.visit(room, dt.datetime(2026, 4, 1, 12, tzinfo=UTC))  # next month


def _visitors(make, room) -> None:
    old, new = make.visitor(), make.visitor()
    make.visit(room, dt.datetime(2026, 2, 10, 12, tzinfo=UTC), visitor=old)  # first seen in February
    make.visit(room, at(2), visitor=old)
    make.visit(room, at(3), visitor=new)
    make.visit(room, at(4), visitor=new)  # the same person twice
    make.visit(room, at(5), visitor=make.visitor(), outcome=VisitOutcome.TURNED_AWAY)  # not admitted
    make.visit(room, at(6), visitor=make.visitor(), voided=True, void_reason="wrong")


def _days(make, room) -> None:
    make.visit(room, at(2))
    make.visit(room, at(2, 15))
    make.visit(room, dt.datetime(2026, 3, 4, 2, tzinfo=UTC))  # 03:00 local, before the 05:00 cut-off: 3 March
    make.visit(room, at(5), voided=True, void_reason="wrong")


def _consumptions(make, room) -> None:
    visit = make.visit(room, at(2))
    make.consumption(visit, room, assisted=True)
    make.consumption(visit, room)
    make.consumption(visit, room, assisted=True, voided=True, void_reason="wrong")


def _emergencies(make, room) -> None:
    visit = make.visit(room, at(2))
    for _n in range(3):
        make.consumption(visit, room)
    # 1: opioid, naloxone twice, oxygen started and stopped, ambulance, to hospital → acute
    e1 = make.emergency(
        visit, room, type=EmergencyType.OPIOID, actions=(A.NALOXONE, A.NALOXONE, A.AMBULANCE_CALLED),
        outcome=EmergencyOutcome.TRANSPORTED,
    )  # fmt: skip
    make.action(e1, room, A.OXYGEN, at(2, 13), oxygen_phase=OxygenPhase.START)
    make.action(e1, room, A.OXYGEN, at(2, 14), oxygen_phase=OxygenPhase.STOP)
    make.action(e1, room, A.OXYGEN, at(2, 15), oxygen_phase=OxygenPhase.START)  # given again, never stopped
    # 2: stimulant, only an ambulance called → not acute
    make.emergency(visit, room, type=EmergencyType.STIMULANT, actions=(A.AMBULANCE_CALLED,))
    # 3: other medical with oxygen → not acute (not an overdose or poisoning)
    e3 = make.emergency(visit, room, type=EmergencyType.OTHER_MEDICAL, outcome=EmergencyOutcome.DIED)
    make.action(e3, room, A.OXYGEN, at(2, 16), oxygen_phase=OxygenPhase.START)
    # 4: unknown type with ventilation and CPR → acute
    make.emergency(visit, room, type=EmergencyType.U, actions=(A.VENTILATION, A.CPR, A.AED))
    # 5: mixed with a voided naloxone dose only → not acute
    e5 = make.emergency(visit, room, type=EmergencyType.MIXED, actions=(A.OBSERVATION,))
    make.action(e5, room, A.NALOXONE, at(2, 17), voided=True, void_reason="wrong")
    # a voided emergency with everything → nothing
    make.emergency(visit, room, actions=(A.NALOXONE, A.CPR), voided=True, void_reason="duplicate")


def _referrals(make, room) -> None:
    visit = make.visit(room, at(2))
    make.referral(room, visit, target=ReferralTarget.DRUG_TREATMENT)
    make.referral(room, None, target=ReferralTarget.GP, occurred_at=at(3))
    make.referral(room, visit, target=ReferralTarget.OST, voided=True, void_reason="wrong")


#: code → (records, expected value by the definition's words)
CASES: dict[str, tuple[Callable[..., None], Any]] = {
    "visits.total": (_visits, 2),  # admitted, not voided, in March
    "visits.turned_away": (_visits, 1),
    "visits.anonymous": (_visits, 1),
    "opening.days": (_days, 2),  # 2 and 3 March (service days)
    "visitors.unique": (_visitors, 2),
    "visitors.new": (_visitors, 1),  # "old" was first seen in February
    "consumptions.total": (_consumptions, 2),
    "consumptions.assisted": (_consumptions, 1),
    "emergencies.total": (_emergencies, 5),
    "emergencies.acute_treatments": (_emergencies, 2),  # 1 and 4
    "emergencies.naloxone": (_emergencies, 1),
    "emergencies.naloxone_doses": (_emergencies, 2),
    "emergencies.oxygen": (_emergencies, 2),  # cases: 1 and 3
    "emergencies.oxygen_administrations": (_emergencies, 3),  # 1: start+stop, start; 3: start
    "emergencies.ventilation": (_emergencies, 1),
    "emergencies.cpr": (_emergencies, 1),
    "emergencies.ambulance_called": (_emergencies, 2),
    "emergencies.hospital_transfers": (_emergencies, 1),
    "emergencies.deaths": (_emergencies, 1),
    "emergencies.per_1000_consumptions": (_emergencies, Decimal("1666.67")),  # 1000 × 5 ÷ 3
    "referrals.total": (_referrals, 2),
}


def test_every_headline_indicator_has_a_case() -> None:
    assert set(HEADLINE) <= set(CASES)
    assert set(CASES) <= set(BY_CODE)


@pytest.mark.rollback
@pytest.mark.parametrize("code", sorted(CASES))
def test_headline_definition_matches_the_code(app, make, code: str) -> None:
    records, expected = CASES[code]
    room = make.room()
    records(make, room)
    with app.app_context():
        values = compute(db.session, [room.id], periods.month("2026-03"), live=True).per_room[room.id]
    assert values[code] == expected


def test_definitions_page_states_the_acute_and_oxygen_rules(client, make, auth) -> None:
    make.user("lead", rooms=[make.room()], username="lead1")
    auth.login("lead1")
    html = client.get("/reports/definitions?lang=en").get_data(as_text=True)
    assert "Calling an ambulance alone is not a treatment" in html
    assert "emergencies.oxygen_administrations" in html
    assert "a start with its stop is one administration" in html
    html = client.get("/reports/definitions?lang=da").get_data(as_text=True)
    assert "At tilkalde en ambulance er ikke i sig selv en behandling" in html


def test_room_summary_counts_oxygen_in_administrations() -> None:
    from roomlog.reporting.detail import action_counts
    from roomlog.reporting.rows import ActionRow

    march = dt.date(2026, 3, 1)
    rows = (
        ActionRow(1, march, 10, "oxygen", 1, "opioid", "start"),
        ActionRow(1, march, 10, "oxygen", 1, "opioid", "stop"),
        ActionRow(1, march, 11, "oxygen", 1, "opioid", "start"),
        ActionRow(1, march, 11, "oxygen", 1, "opioid", "stop"),
        ActionRow(1, march, 11, "naloxone", 3, "opioid"),
    )
    counts = {c.action.value: c for c in action_counts(rows)}
    assert (counts["oxygen"].emergencies, counts["oxygen"].rows) == (2, 2)  # not "2 cases, 4 times"
    assert (counts["naloxone"].emergencies, counts["naloxone"].rows) == (1, 3)


@pytest.mark.parametrize(
    ("starts", "stops", "unphased", "expected"),
    [(1, 1, 0, 1), (1, 0, 0, 1), (2, 1, 0, 2), (0, 1, 0, 1), (0, 0, 2, 2), (0, 0, 0, 0)],
)
def test_oxygen_administrations(starts: int, stops: int, unphased: int, expected: int) -> None:
    from roomlog.reporting.emergency_actions import oxygen_administrations

    assert oxygen_administrations(starts, stops, unphased) == expected


@pytest.mark.rollback
@pytest.mark.parametrize("records", [_visits, _visitors, _consumptions, _emergencies, _referrals])
def test_no_part_exceeds_its_whole_on_hand_made_data(app, make, records) -> None:
    from roomlog.services.history_checks import relation_errors

    room = make.room()
    records(make, room)
    with app.app_context():
        values = compute(db.session, [room.id], periods.month("2026-03"), live=True).per_room[room.id]
    lines = [(n, room.id, dt.date(2026, 3, 1), False, code, int(v)) for n, (code, v) in enumerate(values.items())
             if v is not None and BY_CODE[code].kind.value != "rate"]  # fmt: skip
    assert relation_errors(lines, {}, {room.id: room.name}) == []


def test_the_room_summary_shows_oxygen_cases_and_administrations(client, make, auth) -> None:
    room = make.room()
    make.user("lead", rooms=[room], username="lead1")
    visit = make.visit(room, at(2))
    emergency = make.emergency(visit, room)
    make.action(emergency, room, A.OXYGEN, at(2, 13), oxygen_phase=OxygenPhase.START)
    make.action(emergency, room, A.OXYGEN, at(2, 14), oxygen_phase=OxygenPhase.STOP)
    other = make.emergency(visit, room)
    make.action(other, room, A.OXYGEN, at(2, 15), oxygen_phase=OxygenPhase.START)
    make.action(other, room, A.OXYGEN, at(2, 16), oxygen_phase=OxygenPhase.STOP)
    make.action(other, room, A.OXYGEN, at(2, 17), oxygen_phase=OxygenPhase.START)
    auth.login("lead1")
    html = client.get(f"/reports/{room.id}/2026-03?lang=en").get_data(as_text=True)
    row = html.split('data-action-code="oxygen"')[1].split("</tr>")[0]
    cells = [c.split("<")[0] for c in row.split('class="num">')[1:]]
    assert cells == ["2", "3"]  # 2 cases, 3 administrations (not 5 rows)
