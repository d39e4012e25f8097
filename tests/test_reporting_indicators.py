"""Every indicator on hand-made rows (pure: no database), and the dictionary's invariants."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from roomlog.models.codes import (
    AgeBand,
    EmergencyType,
    ReferralTarget,
    Route,
    ServiceCode,
    Sex,
    Substance,
    TurnAwayReason,
)
from roomlog.reporting import INDICATORS, periods
from roomlog.reporting.indicators import BY_CODE, Kind
from roomlog.reporting.queries import (
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
from roomlog.reporting.summary import EventRows, additive_by_month, age_band, distinct_values, month_values, rate

MARCH = dt.date(2026, 3, 1)
APRIL = dt.date(2026, 4, 1)
KEY = (1, MARCH)


def additive(**rows: object) -> dict[str, int]:
    return additive_by_month(EventRows(**rows))[KEY]


def test_codes_are_unique_labelled_and_defined_once() -> None:
    codes = [i.code for i in INDICATORS]
    assert len(codes) == len(set(codes))
    for indicator in INDICATORS:
        assert indicator.label_da and indicator.label_en and indicator.definition_da and indicator.definition_en
        assert indicator.additive == (indicator.kind in (Kind.COUNT, Kind.SUM))
        assert indicator.parent is None or indicator.parent in BY_CODE


def test_dictionary_families_are_complete() -> None:
    families = {
        "visits.turned_away.reason": TurnAwayReason,
        "consumptions.route": Route,
        "consumptions.substance": Substance,
        "visitors.sex": Sex,
        "visitors.age": AgeBand,
        "emergencies.type": EmergencyType,
        "referrals.target": ReferralTarget,
        "services": ServiceCode,
    }
    for prefix, codes in families.items():
        assert {f"{prefix}.{c}" for c in codes.codes()} <= set(BY_CODE)
    for code in (
        "visits.total", "visits.turned_away", "visits.anonymous", "consumptions.total", "consumptions.assisted",
        "visitors.unique", "visitors.new", "emergencies.total", "emergencies.acute_treatments",
        "emergencies.naloxone", "emergencies.oxygen", "emergencies.ventilation", "emergencies.cpr",
        "emergencies.ambulance_called", "emergencies.naloxone_doses", "emergencies.hospital_transfers",
        "emergencies.deaths", "emergencies.per_1000_consumptions", "referrals.total", "opening.days",
    ):  # fmt: skip
        assert code in BY_CODE
    assert not BY_CODE["visitors.unique"].additive and not BY_CODE["emergencies.per_1000_consumptions"].additive


def test_visits_admitted_turned_away_reasons_and_anonymous() -> None:
    values = additive(
        visits=(
            VisitRow(1, MARCH, "admitted", None, False, 5),
            VisitRow(1, MARCH, "admitted", None, True, 2),
            VisitRow(1, MARCH, "turned_away", "under_18", False, 1),
            VisitRow(1, MARCH, "turned_away", "capacity", True, 3),
        )
    )
    assert values["visits.total"] == 7
    assert values["visits.anonymous"] == 2
    assert values["visits.turned_away"] == 4
    assert values["visits.turned_away.reason.under_18"] == 1
    assert values["visits.turned_away.reason.capacity"] == 3
    assert values["visits.turned_away.reason.ban"] == 0


@pytest.mark.parametrize("route", Route.codes())
def test_consumptions_by_route_and_assisted(route: str) -> None:
    values = additive(
        consumptions=(
            ConsumptionRow(1, MARCH, route, True, 2),
            ConsumptionRow(1, MARCH, route, False, 3),
            ConsumptionRow(1, MARCH, None, False, 4),
        )
    )
    assert values["consumptions.total"] == 9
    assert values[f"consumptions.route.{route}"] == 5
    assert sum(values[f"consumptions.route.{r}"] for r in Route.codes()) == 5  # the 4 without route in none
    assert values["consumptions.assisted"] == 2


@pytest.mark.parametrize("substance", Substance.codes())
def test_consumptions_by_substance(substance: str) -> None:
    values = additive(substances=(SubstanceRow(1, MARCH, substance, 6),))
    assert values[f"consumptions.substance.{substance}"] == 6


@pytest.mark.parametrize("kind", EmergencyType.codes())
def test_emergencies_by_type_and_outcome(kind: str) -> None:
    values = additive(
        emergencies=(
            EmergencyRow(1, MARCH, kind, "transported", 2),
            EmergencyRow(1, MARCH, kind, "died", 1),
            EmergencyRow(1, MARCH, kind, None, 1),
            EmergencyRow(1, MARCH, kind, "recovered_on_site", 3),
        )
    )
    assert values["emergencies.total"] == 7
    assert values[f"emergencies.type.{kind}"] == 7
    assert values["emergencies.hospital_transfers"] == 2
    assert values["emergencies.deaths"] == 1


def test_emergency_actions_acute_treatments_and_naloxone_doses() -> None:
    values = additive(
        actions=(
            ActionRow(1, MARCH, 10, "naloxone", 3),  # three doses in one emergency
            ActionRow(1, MARCH, 10, "oxygen", 2),  # oxygen start and stop
            ActionRow(1, MARCH, 11, "observation", 1),  # not an acute treatment
            ActionRow(1, MARCH, 12, "aed", 1),  # acute, no own indicator
            ActionRow(1, MARCH, 13, "ambulance_called", 1),
            ActionRow(1, MARCH, 13, "cpr", 1),
            ActionRow(1, MARCH, 13, "ventilation", 1),
            ActionRow(1, MARCH, 14, "naloxone", 1),
        )
    )
    assert values["emergencies.acute_treatments"] == 4  # 10, 12, 13, 14
    assert values["emergencies.naloxone"] == 2
    assert values["emergencies.naloxone_doses"] == 4
    assert values["emergencies.oxygen"] == 1
    assert values["emergencies.ventilation"] == 1
    assert values["emergencies.cpr"] == 1
    assert values["emergencies.ambulance_called"] == 1


@pytest.mark.parametrize("target", ReferralTarget.codes())
def test_referrals_by_target(target: str) -> None:
    values = additive(referrals=(ReferralRow(1, MARCH, target, 2), ReferralRow(1, MARCH, "ost", 1)))
    assert values["referrals.total"] == 3
    assert values[f"referrals.target.{target}"] == (3 if target == "ost" else 2)


@pytest.mark.parametrize("service", ServiceCode.codes())
def test_services_sum_quantities(service: str) -> None:
    values = additive(services=(ServiceRow(1, MARCH, service, 25), ServiceRow(2, MARCH, service, 99)))
    assert values[f"services.{service}"] == 25


def test_opening_days() -> None:
    assert additive(days=(DaysRow(1, MARCH, 27),))["opening.days"] == 27


def test_unique_visitors_by_sex_and_age_are_distinct_over_rooms_and_months() -> None:
    visitors = (
        VisitorRow(1, MARCH, 100, "f", 1990),
        VisitorRow(1, APRIL, 100, "f", 1990),  # same person, next month
        VisitorRow(2, MARCH, 100, "f", 1990),  # same person, other room
        VisitorRow(1, MARCH, 101, "m", 1960),
        VisitorRow(2, APRIL, 102, "x", None),
        VisitorRow(2, APRIL, 103, "u", 2000),
    )
    march_room1 = distinct_values(visitors, (), {1}, periods.month(MARCH))
    assert march_room1["visitors.unique"] == 2
    both = distinct_values(visitors, (), {1, 2}, periods.span(MARCH, APRIL))
    assert both["visitors.unique"] == 4  # not 6: never summed
    assert (both["visitors.sex.f"], both["visitors.sex.m"], both["visitors.sex.x"], both["visitors.sex.u"]) == (
        1,
        1,
        1,
        1,
    )
    assert both["visitors.age.30_39"] == 1  # 2026 − 1990 = 36
    assert both["visitors.age.50_plus"] == 1
    assert both["visitors.age.18_29"] == 1
    assert both["visitors.age.u"] == 1
    assert both["visitors.age.40_49"] == 0


def test_new_visitors_first_visit_in_the_room_or_rooms() -> None:
    visitors = (
        VisitorRow(1, MARCH, 1, "m", 1980),
        VisitorRow(1, MARCH, 2, "m", 1980),
        VisitorRow(2, MARCH, 2, "m", 1980),
    )
    first = (
        FirstVisitRow(1, 1, dt.date(2026, 3, 5)),  # new in March
        FirstVisitRow(1, 2, dt.date(2026, 3, 6)),  # new in room 1 in March …
        FirstVisitRow(2, 2, dt.date(2025, 1, 2)),  # … but seen in room 2 long before
    )
    assert distinct_values(visitors, first, {1}, periods.month(MARCH))["visitors.new"] == 2
    assert distinct_values(visitors, first, {1, 2}, periods.month(MARCH))["visitors.new"] == 1
    assert distinct_values(visitors, first, {2}, periods.month(MARCH))["visitors.new"] == 0


@pytest.mark.parametrize(
    ("birth_year", "band"),
    [(2008, "18_29"), (1997, "18_29"), (1996, "30_39"), (1987, "30_39"), (1986, "40_49"), (1977, "40_49"),
     (1976, "50_plus"), (1930, "50_plus"), (None, "u")],
)  # fmt: skip
def test_age_bands_at_the_year_of_the_period(birth_year: int | None, band: str) -> None:
    assert age_band(birth_year, 2026) == band


def test_rate_per_1000_consumptions() -> None:
    assert rate(3, 1200) == Decimal("2.50")
    assert rate(2, 3) == Decimal("666.67")
    assert rate(0, 10) == Decimal("0.00")
    assert rate(4, 0) is None
    assert rate(None, 10) is None


def test_month_values_hold_every_code() -> None:
    values = month_values(EventRows(visits=(VisitRow(1, MARCH, "admitted", None, True, 1),)), 1, MARCH)
    assert set(values) == set(BY_CODE)
    assert values["visits.total"] == 1 and values["emergencies.per_1000_consumptions"] is None
