"""What the pages read first (issue #10 item 3): years, since opening by year, the year to date.

``protect_year`` tries the hidden year cells of every indicator, and the quarters of the headline indicators,
each with its siblings, before the second release pass spends its budget on months (``protect._read_first``).
The reference is the fresh LP of :func:`~roomlog.reporting.publication.audit.ranges` on the published cells.
"""

from __future__ import annotations

import pytest

from roomlog.reporting.publication.audit import ranges
from roomlog.reporting.publication.protect import protect_year
from roomlog.reporting.publication.units import NATIONAL, Key, Relation, relations, year_labels
from tests.test_publication_swap import ROOMS

K = 5
NALOXONE = "emergencies.naloxone"
#: Naloxone cases of 2025 by room and month (a random draw in which the old passes hid both København rooms' years).
MONTHS = {
    1: (2, 1, 3, 5, 0, 3, 1, 3, 2, 6, 1, 5),
    2: (5, 0, 5, 3, 4, 8, 2, 3, 1, 0, 4, 2),
    3: (1, 1, 2, 1, 1, 0, 0, 0, 2, 0, 1, 2),
    4: (0, 2, 3, 3, 1, 1, 2, 4, 0, 2, 1, 2),
    5: (0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1),
}


def _year(code: str, months_by_room: dict[int, tuple[int, ...]]) -> tuple[dict[Key, int], list[Relation]]:
    """One indicator of 2025: each room's twelve months, its quarters and year, the municipalities' and the nation's
    sums, and the relations the publication derives (``units.relations``)."""
    months, quarters, year = year_labels(2025)
    exact: dict[Key, int] = {}
    for room in ROOMS:
        values = months_by_room[room.id]
        for label, value in zip(months, values, strict=True):
            exact[(label, room.unit, code)] = value
        for n, label in enumerate(quarters):
            exact[(label, room.unit, code)] = sum(values[3 * n : 3 * n + 3])
        exact[(year, room.unit, code)] = sum(values)
    for label in (*months, *quarters, year):
        for muni in sorted({r.municipality_code for r in ROOMS}):
            members = [r.unit for r in ROOMS if r.municipality_code == muni]
            exact[(label, ("municipality", muni), code)] = sum(exact[(label, u, code)] for u in members)
        exact[(label, NATIONAL, code)] = sum(exact[(label, r.unit, code)] for r in ROOMS)
    return exact, relations([*months, *quarters, year], ROOMS, set(exact))


def test_a_room_s_year_of_a_breakdown_is_shown_with_its_sibling_when_the_audit_allows() -> None:
    """Naloxone cases of 2025 (not a headline total): København's rooms had 32 and 37, the municipality 69 is
    visible, so showing one room's year alone pins the other and each alone is refused; the old passes tried them
    one at a time (only the headline indicators' years were tried with their siblings) and hid both. Now every
    indicator's years are tried with their siblings first: both are shown, and a fresh LP finds no hidden cell of
    any value narrower than k."""
    exact, rels = _year(NALOXONE, MONTHS)
    hidden = protect_year(exact, rels, K, {})
    skyen, h17 = ("2025", ("room", "1"), NALOXONE), ("2025", ("room", "2"), NALOXONE)
    assert (exact[skyen], exact[h17]) == (32, 37)
    assert skyen not in hidden and h17 not in hidden
    assert ("2025", ("municipality", "101"), NALOXONE) not in hidden
    assert ("2025", NATIONAL, NALOXONE) not in hidden
    narrow = {k: r for k, r in ranges(exact, rels, hidden).items() if r[1] - r[0] < K - 1e-6}
    assert narrow == {}
    # The small year of Vejle (3) stays hidden, and so does one more municipal year (else nation − the others).
    assert ("2025", ("room", "5"), NALOXONE) in hidden
    assert sum(1 for k in hidden if k[0] == "2025" and k[1][0] == "municipality") >= 2


def test_closing_a_month_gives_the_pass_nothing_to_try(monkeypatch: pytest.MonkeyPatch) -> None:
    """Closing one month protects only that month's cells (everything published before is fixed): no year or quarter
    cell is new, so the pass tries nothing and spends no solve, and the month's cells are decided as without it."""
    from roomlog.reporting.publication import protect

    exact, rels = _year(NALOXONE, MONTHS)
    first = protect_year(exact, rels, K, {})
    fixed = {k: k in first for k in exact if k[0] != "2025-10"}
    tried: list[list[set[Key]]] = []
    real = protect._read_first

    def spy(*args: object, **kwargs: object) -> list[set[Key]]:
        found = real(*args, **kwargs)  # type: ignore[arg-type]
        tried.append(found)
        return found

    monkeypatch.setattr(protect, "_read_first", spy)
    closing = protect_year(exact, rels, K, fixed)
    assert tried == [[]]
    monkeypatch.setattr(protect, "_read_first", lambda *args, **kwargs: [])
    assert protect_year(exact, rels, K, fixed) == closing
    assert all((k in closing) == hidden for k, hidden in fixed.items())


def test_every_year_group_is_tried_when_a_year_closes_whatever_the_read_first_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A year's cells are new once a year (closing December, or a republish), so each group of them gets a try of its
    own (``READ_FIRST_YEAR_SOLVES_PER_GROUP``), outside the budget the headline quarters share (``READ_FIRST_SOLVES``;
    on the 24-month demo's 2025 the shared budget ended after 26 of 140 groups). With that budget spent (0 here) the
    old pass tried no year group and hid both København rooms' naloxone years; now they are tried and shown, and a
    fresh LP finds no hidden cell of any value narrower than k."""
    from roomlog.reporting.publication import protect

    monkeypatch.setattr(protect, "READ_FIRST_SOLVES", 0)
    exact, rels = _year(NALOXONE, MONTHS)
    hidden = protect_year(exact, rels, K, {})
    assert ("2025", ("room", "1"), NALOXONE) not in hidden and ("2025", ("room", "2"), NALOXONE) not in hidden
    assert {k: r for k, r in ranges(exact, rels, hidden).items() if r[1] - r[0] < K - 1e-6} == {}
