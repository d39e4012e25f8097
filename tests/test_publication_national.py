"""National totals that no hiding can make safe to show, and the one sibling their sums then need (session 12).

A hand-made quarter of emergencies (rooms → municipalities → nation, a type breakdown, months → quarter): June's
national total, 13, is the sum of nine room-types of 1 to 4. Zeros are shown and a hidden count is at least 1,
so with 13 shown each of the nine lies in [1, 5]: no hiding protects them. The quarter is the sum of the months,
so one more national total of the quarter must be hidden, and only one. ``protect_year`` already does that
(through its last resort); :func:`~roomlog.reporting.publication.protect.unshowable_national` names the cause.
"""

from __future__ import annotations

import pytest

from roomlog.reporting.publication.audit import narrow
from roomlog.reporting.publication.protect import _equations, must_hide, protect_year, unshowable_national
from roomlog.reporting.publication.units import NATIONAL, Key, Relation

K = 5
MONTHS = ("2026-04", "2026-05", "2026-06")
QUARTER = "2026-Q2"
TYPES = ("emergencies.type.opioid", "emergencies.type.stimulant", "emergencies.type.mixed")
TOTAL = "emergencies.total"
MUNIS = {"101": ("1", "2"), "461": ("3",), "751": ("4",), "630": ("5",)}
#: Per month and room: opioid, stimulant, mixed. June: nine non-zero room-types, 13 in all.
COUNTS = {
    "2026-04": {"1": (9, 6, 5), "2": (12, 7, 5), "3": (6, 5, 0), "4": (8, 5, 6), "5": (0, 0, 0)},
    "2026-05": {"1": (7, 5, 0), "2": (10, 6, 5), "3": (5, 0, 0), "4": (6, 5, 5), "5": (0, 0, 0)},
    "2026-06": {"1": (1, 1, 0), "2": (4, 1, 1), "3": (2, 0, 0), "4": (1, 1, 1), "5": (0, 0, 0)},
}


def _world() -> tuple[dict[Key, int], list[Relation]]:
    exact: dict[Key, int] = {}
    rels: list[Relation] = []

    def add(whole: Key, parts: list[Key]) -> None:
        exact[whole] = sum(exact[p] for p in parts)
        rels.append(Relation(((whole, -1), *((p, 1) for p in parts)), True))

    rooms = [("room", r) for rs in MUNIS.values() for r in rs]
    units = [*rooms, *(("municipality", m) for m in MUNIS), NATIONAL]
    for label in MONTHS:
        for room in rooms:
            exact |= {(label, room, code): n for code, n in zip(TYPES, COUNTS[label][room[1]], strict=True)}
    for label in MONTHS:
        for code in TYPES:
            for muni, rs in MUNIS.items():
                add((label, ("municipality", muni), code), [(label, ("room", r), code) for r in rs])
            add((label, NATIONAL, code), [(label, ("municipality", m), code) for m in MUNIS])
    for unit in units:
        for code in TYPES:
            add((QUARTER, unit, code), [(label, unit, code) for label in MONTHS])
    for label in [*MONTHS, QUARTER]:
        for unit in units:
            add((label, unit, TOTAL), [(label, unit, code) for code in TYPES])
    # The same sums the other way round: a quarter's total is its months', a nation's its municipalities'.
    for unit in units:
        rels.append(Relation((((QUARTER, unit, TOTAL), -1), *(((m, unit, TOTAL), 1) for m in MONTHS)), True))
    for label in [*MONTHS, QUARTER]:
        for muni, rs in MUNIS.items():
            whole = (label, ("municipality", muni), TOTAL)
            rels.append(Relation(((whole, -1), *(((label, ("room", r), TOTAL), 1) for r in rs)), True))
        parts = tuple(((label, ("municipality", m), TOTAL), 1) for m in MUNIS)
        rels.append(Relation((((label, NATIONAL, TOTAL), -1), *parts), True))
    return exact, rels


JUNE = ("2026-06", NATIONAL, TOTAL)


def test_a_national_total_made_of_many_small_counts_cannot_be_shown_whatever_else_is_hidden() -> None:
    exact, rels = _world()
    assert exact[JUNE] == 13
    # One sum deep it looks safe: 13 over three municipalities, or over three types.
    assert JUNE not in must_hide(exact, _equations(rels), K)
    assert JUNE in unshowable_national(exact, _equations(rels), K)
    # The LP agrees: shown alone, with every other non-zero cell hidden, it pins small counts below k.
    everything_else = {key for key, value in exact.items() if value > 0 and key != JUNE}
    assert narrow(exact, rels, everything_else, K)
    # And the other national totals are not flagged: each can be shown.
    for label in ("2026-04", "2026-05", QUARTER):
        key = (label, NATIONAL, TOTAL)
        assert key not in unshowable_national(exact, _equations(rels), K)
        assert not narrow(exact, rels, {k for k, v in exact.items() if v > 0 and k != key}, K)


@pytest.mark.parametrize("fixed_april", [False, True])
def test_only_one_sibling_national_total_is_hidden_with_it_and_the_audit_passes(fixed_april: bool) -> None:
    exact, rels = _world()
    fixed = {("2026-04", NATIONAL, TOTAL): False} if fixed_april else {}
    hidden = protect_year(exact, rels, K, fixed)
    national_totals = {key for key in exact if key[1] == NATIONAL and key[2] == TOTAL}
    # June cannot be shown; the quarter is April + May + June, so one of the three others is hidden: May,
    # the smaller month (a month before its quarter), and nothing more.
    assert hidden & national_totals == {JUNE, ("2026-05", NATIONAL, TOTAL)}
    assert not narrow(exact, rels, hidden, K)
    assert not narrow(exact, rels, hidden, K, fresh=set(exact))
