"""The demo's facts: the five Danish rooms, a user per role, and the activity mix as code-list members.

The mix itself (weights by stable code) has one source, ``roomlog/operations/scale_mix.py``,
shared with the scale generator of ``make bench``; here it only takes the models' code lists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from roomlog.models.codes import (
    CodeList,
    EmergencyOutcome,
    EmergencyType,
    Nationality,
    OperatorType,
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
)
from roomlog.operations import scale_mix as mix

C = TypeVar("C", bound=CodeList)


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
#: The rooms that allow assisted injection (BEK 972/2016 § 6).
ASSISTED_ROOMS = frozenset({"Skyen", "H17"})

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


def _coded(codes: type[C], weighted: Sequence[tuple[str, int]]) -> tuple[tuple[C, int], ...]:
    """The weighted codes of the mix as members of ``codes``, in the mix's order (the draws depend on it)."""
    return tuple((codes(code), weight) for code, weight in weighted)


HOUR_WEIGHTS = dict(enumerate(mix.HOUR_WEIGHTS))
INJECT_SUBSTANCES = _coded(Substance, mix.INJECT)
SMOKE_SUBSTANCES = _coded(Substance, mix.SMOKE)
OPIOIDS = frozenset(Substance(code) for code in mix.OPIOIDS)
ROUTES = _coded(Route, mix.ROUTES)
REFERRAL_WEIGHTS = _coded(ReferralTarget, mix.REFERRALS)
REFERRAL_MODES = _coded(ReferralMode, mix.MODES)
SERVICES = _coded(ServiceCode, mix.SERVICES)
TURN_AWAY = _coded(TurnAwayReason, mix.TURN_AWAY)
SEVERITIES = _coded(Severity, mix.SEVERITY)
OUTCOMES = _coded(EmergencyOutcome, mix.OUTCOME)
SEXES = _coded(Sex, mix.SEXES)
NATIONALITIES = _coded(Nationality, mix.NATIONALITIES)
#: The type of the 15 % of emergencies whose type does not follow from the substances.
OTHER_EMERGENCIES = ((EmergencyType.MIXED, 2), (EmergencyType.OTHER_MEDICAL, 1))
