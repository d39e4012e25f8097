"""No hidden cell of any value narrower than k when two visible cells must be hidden together (issue #10 item 5).

Session 13: the fresh 24-month demo left København's November visitors of sex "x" (5) and "unknown" (9) in
[5, 6] and [8, 9]: their sum is the month's visible unique visitors minus men and women, and each is at most its
visible quarter. Men and women are capped by the rooms' visible counts (a municipality's distinct count is at
most the sum of its rooms') and held up by the nation's (at most the sum of the municipalities'), so no single
visible cell hidden widens them: ``protect._hide_near`` found nothing and logged the cells as left. The LP of
:func:`~roomlog.reporting.publication.audit.freeing` finds the visible cells to hide together.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from roomlog.reporting.publication.audit import freeing, ranges
from roomlog.reporting.publication.protect import protect_year
from roomlog.reporting.publication.units import NATIONAL, Key, Relation, RoomInfo, relations
from tests.test_publication_release import _table

K = 5
SEX = ("m", "f", "x", "u")
#: Per period, per room: visitors by sex (men, women, "x", unknown); every visitor goes to one room only, so a
#: municipality's and the nation's distinct counts are the sums (the demo's numbers, København's two rooms).
ROWS = {
    "2025-10": {1: (338, 94, 5, 4), 2: (507, 130, 1, 5), 3: (140, 35, 1, 2)},
    "2025-11": {1: (338, 91, 4, 4), 2: (512, 130, 1, 5), 3: (140, 36, 1, 1)},
    "2025-12": {1: (343, 93, 5, 4), 2: (509, 133, 1, 5), 3: (141, 35, 1, 2)},
    "2025-Q4": {1: (346, 95, 5, 4), 2: (521, 133, 1, 5), 3: (150, 38, 1, 2)},
}
ROOMS = [
    RoomInfo(1, "A", "101", "København", dt.date(2020, 1, 1)),
    RoomInfo(2, "B", "101", "København", dt.date(2020, 1, 1)),
    RoomInfo(3, "C", "461", "Odense", dt.date(2020, 1, 1)),
]


def _visitors() -> tuple[dict[Key, int], list[Relation]]:
    exact: dict[Key, int] = {}
    for label, by_room in ROWS.items():
        for room, values in by_room.items():
            for sex, value in zip(SEX, values, strict=True):
                exact[(label, ("room", str(room)), f"visitors.sex.{sex}")] = value
            exact[(label, ("room", str(room)), "visitors.unique")] = sum(values)
        units = ((("municipality", "101"), (1, 2)), (("municipality", "461"), (3,)), (NATIONAL, (1, 2, 3)))
        for unit, members in units:
            for code in ["visitors.unique", *(f"visitors.sex.{sex}" for sex in SEX)]:
                exact[(label, unit, code)] = sum(exact[(label, ("room", str(r)), code)] for r in members)
    # The relations the publication itself derives (units.relations): distinct counts, partitions, quarters.
    return exact, relations(list(ROWS), ROOMS, set(exact))


def test_cells_only_a_pair_of_visible_cells_widens_are_widened(caplog: pytest.LogCaptureFixture) -> None:
    """The quarter of the demo's København visitors by sex: before session 13 the protection left its "x" (6)
    in [6, 7] and unknown (9) in [9, 11] and logged "2 hidden cells of k or more stay narrower than k"."""
    exact, rels = _visitors()
    with caplog.at_level("WARNING", logger="roomlog.reporting.publication.protect"):
        hidden = protect_year(exact, rels, K, {})
    assert "stay narrower than k" not in caplog.text
    assert {k for k, v in exact.items() if 0 < v < K} <= hidden
    narrow = {k: r for k, r in ranges(exact, rels, hidden).items() if r[1] - r[0] < K - 1e-6}
    assert narrow == {}
    # Nothing national is hidden (the nation's totals of k or more are complements only as a last resort).
    assert not any(k[1] == NATIONAL for k in hidden)


def test_hiding_the_cells_freeing_names_makes_the_cell_k_wide() -> None:
    """On random tables and hidden sets: for every hidden cell narrower than k, the visible cells
    :func:`freeing` names (only cells it may move) make it at least k wide when hidden (the fresh LP of
    :func:`ranges`), or it names none and then hiding every cell it may move does not either."""
    widened = left = 0
    for seed in range(40):
        widened, left = _check_freeing(random.Random(1300 + seed), widened, left)
    assert widened >= 10 and left >= 1, (widened, left)


def _check_freeing(rng: random.Random, widened: int, left: int) -> tuple[int, int]:
    exact, rels = _table(rng, rooms=rng.randint(2, 4), months=3)
    nonzero = [k for k, v in exact.items() if v > 0]
    hidden = {k for k in nonzero if exact[k] < K or rng.random() < 0.3}
    index: dict[Key, list[Relation]] = {}
    for relation in rels:
        for key, _coef in relation.terms:
            index.setdefault(key, []).append(relation)
    visible = [k for k in nonzero if k not in hidden]
    weight = {k: 1.0 + rng.random() for k in visible if rng.random() < 0.8}
    for key, span in sorted(ranges(exact, rels, hidden).items()):
        if span[1] - span[0] >= K - 1e-6:
            continue
        cells, solves = freeing(key, exact, hidden, weight, index, K)
        assert solves >= 1
        assert set(cells) <= weight.keys()
        if cells:
            widened += 1
            lo, hi = ranges(exact, rels, hidden | set(cells), {key})[key]
            assert hi - lo >= K - 1e-6, (key, span, cells, (lo, hi))
        else:
            left += 1
            lo, hi = ranges(exact, rels, hidden | weight.keys(), {key})[key]
            assert hi - lo < K - 1e-6
    return widened, left
