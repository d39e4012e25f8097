"""Distributions of the synthetic activity: the one source for the demo and the scale generator.

Codes are the stable codes of roomlog/models/codes.py; weights are relative. The demo draws
with these weights in this order (roomlog/operations/demo/facts.py), so reordering a table
changes the demo's data.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from typing import Any

HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 1, 3, 5, 7, 8, 9, 10, 10, 10, 10, 10, 9, 9, 8, 7, 6, 5, 4, 3, 2, 2)
INJECT = (
    ("heroin", 40),
    ("cocaine", 25),
    ("speedball", 12),
    ("methadone", 6),
    ("amphetamine", 5),
    ("buprenorphine", 4),
    ("fentanyl", 2),
    ("benzodiazepine", 3),
    ("other", 2),
    ("u", 1),
)
SMOKE = (
    ("crack", 45),
    ("heroin", 25),
    ("cocaine", 15),
    ("methamphetamine", 5),
    ("amphetamine", 5),
    ("other", 4),
    ("u", 1),
)
ROUTES = (("inject", 92), ("sniff", 5), ("oral", 2), ("other", 1))
OPIOIDS = frozenset({"heroin", "fentanyl", "methadone", "speedball", "other_opioid"})
REFERRALS = (
    ("drug_treatment", 15),
    ("ost", 12),
    ("hat", 4),
    ("detox", 4),
    ("gp", 8),
    ("hospital", 5),
    ("psychiatry", 4),
    ("health_room", 10),
    ("wound_care", 10),
    ("dental", 3),
    ("bbv_testing", 6),
    ("vaccination", 3),
    ("social_caseworker", 8),
    ("housing_shelter", 6),
    ("legal", 1),
    ("other", 1),
)
SERVICES = (
    ("conversation", 40),
    ("harm_reduction_advice", 25),
    ("food_shower", 15),
    ("wound_care", 8),
    ("naloxone_kit", 5),
    ("testing", 5),
    ("other", 2),
)
TURN_AWAY = (
    ("intoxicated", 40),
    ("capacity", 25),
    ("ban", 15),
    ("not_target_group", 10),
    ("under_18", 3),
    ("other", 7),
)
SEVERITY = (
    ("reduced_consciousness", 35),
    ("unresponsive_breathing", 30),
    ("respiratory_depression", 25),
    ("responsive", 9),
    ("cardiac_arrest", 1),
)
OUTCOME = (("recovered_on_site", 75), ("transported", 20), ("refused_transport", 4), ("left_against_advice", 1))
MODES = (("information", 40), ("referral", 45), ("accompanied", 15))
SEXES = (("m", 78), ("f", 20), ("x", 1), ("u", 1))
NATIONALITIES = (("dk", 85), ("eu", 8), ("non_eu", 5), ("u", 2))


class Picker:
    """Weighted choice by bisection over cumulative weights (much faster than ``random.choices``)."""

    def __init__(self, weighted: Sequence[tuple[Any, int]]) -> None:
        self.values = [v for v, _ in weighted]
        self.cumulative = list(itertools.accumulate(w for _, w in weighted))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


PICK = {
    name: Picker(table)
    for name, table in {
        "inject": INJECT,
        "smoke": SMOKE,
        "referral": REFERRALS,
        "service": SERVICES,
        "turn_away": TURN_AWAY,
        "severity": SEVERITY,
        "outcome": OUTCOME,
        "mode": MODES,
        "sex": SEXES,
        "nationality": NATIONALITIES,
        "route": ROUTES,
    }.items()
}
