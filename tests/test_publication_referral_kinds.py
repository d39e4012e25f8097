"""A referral kind is the sum of its targets: a reader who sees one can read the other.

``referrals.kind.other`` and ``referrals.target.other`` count the same referrals, so the audit must know
it (before it did, the stored demo had 530 such pairs with one hidden and the other shown).
"""

from __future__ import annotations

import datetime as dt

from roomlog.reporting.publication.audit import narrow
from roomlog.reporting.publication.protect import protect_year
from roomlog.reporting.publication.units import KIND_TARGETS, Key, RoomInfo, relations, year_labels

K = 5
YEAR = 2022
TARGETS = {
    1: {"drug_treatment": 40, "gp": 30, "social_caseworker": 20, "other": 2},
    2: {"drug_treatment": 35, "gp": 25, "social_caseworker": 15, "other": 7},
    3: {"drug_treatment": 30, "gp": 20, "social_caseworker": 10, "other": 6},
}


def _room(n: int, municipality: str) -> RoomInfo:
    return RoomInfo(n, f"R{n}", municipality, municipality, dt.date(2020, 1, 1))


def _value(room: int, code: str) -> int:
    if code == "referrals.total":
        return sum(TARGETS[room].values())
    if code in KIND_TARGETS:
        return sum(_value(room, t) for t in KIND_TARGETS[code])
    return TARGETS[room].get(code.rsplit(".", 1)[1], 0)


def _world() -> tuple[list[RoomInfo], dict[Key, int]]:
    rooms = [_room(1, "101"), _room(2, "101"), _room(3, "461")]
    codes = ["referrals.total", *KIND_TARGETS, *(t for members in KIND_TARGETS.values() for t in members)]
    months, quarters, whole = year_labels(YEAR)
    exact: dict[Key, int] = {}
    for room in rooms:
        for code in codes:
            month = _value(room.id, code)
            cells = {m: month for m in months} | {q: 3 * month for q in quarters} | {whole: 12 * month}
            for label, value in cells.items():
                for unit in (room.unit, ("municipality", room.municipality_code), ("national", "")):
                    exact[(label, unit, code)] = exact.get((label, unit, code), 0) + value
    return rooms, exact


def test_a_referral_kind_is_related_to_the_sum_of_its_targets() -> None:
    rooms, exact = _world()
    january = year_labels(YEAR)[0][0]
    found = relations([january], rooms, set(exact))
    kind = (january, ("room", "1"), "referrals.kind.other")
    linked = [r for r in found if r.exact and kind in {k for k, _c in r.terms}]
    parts = {frozenset(k for k, _c in r.terms if k != kind) for r in linked}
    assert frozenset((january, ("room", "1"), t) for t in KIND_TARGETS["referrals.kind.other"]) in parts


def test_a_hidden_target_never_shows_through_its_kind() -> None:
    rooms, exact = _world()
    months, quarters, whole = year_labels(YEAR)
    rels = relations([*months, *quarters, whole], rooms, set(exact))
    hidden = protect_year(exact, rels, K, {})
    assert narrow(exact, rels, hidden, K) == {}
    for label in months:
        target = (label, ("room", "1"), "referrals.target.other")  # 2 a month: small
        assert target in hidden
        assert (label, ("room", "1"), "referrals.kind.other") in hidden  # the same referrals
    twins = [
        (key, (key[0], key[1], kind))
        for kind, members in KIND_TARGETS.items()
        if len(members) == 1
        for key in exact
        if key[2] == members[0]
    ]
    assert twins and all((a in hidden) == (b in hidden) for a, b in twins)
