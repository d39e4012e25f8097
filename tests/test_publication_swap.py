"""The swap step (issue #10 item 4): a hidden headline total is shown when cheaper cells can be hidden instead.

``protect.release`` only shows cells, so a national month whose showing pins a small count stays hidden even when
hiding a municipality's month (whose rooms are hidden already) would keep the small count k wide.
``protect.swap`` shows the total and hides the cells :func:`~roomlog.reporting.publication.audit.freeing` names,
and keeps that only when a fresh audit passes. The reference here is the fresh LP of
:func:`~roomlog.reporting.publication.audit.ranges` on the published cells.
"""

from __future__ import annotations

import datetime as dt
import random

from roomlog.reporting.publication.audit import Showing, ranges
from roomlog.reporting.publication.protect import _cost, _equations, _twins, must_hide, protect_year, swap
from roomlog.reporting.publication.units import (
    HEADLINE_TOTALS,
    NATIONAL,
    Key,
    Relation,
    RoomInfo,
    relations,
    relations_by_key,
)
from roomlog.reporting.suppression import Reason, _State
from tests.test_publication_release import _table

K = 5
ACUTE = "emergencies.acute_treatments"
TOTAL = "emergencies.total"
MONTHS = ("2025-07", "2025-08", "2025-09")
#: The demo's rooms that publish in 2025: København's two, Odense, Aarhus and Vejle (one room each).
ROOMS = [
    RoomInfo(1, "Skyen", "101", "København", dt.date(2016, 6, 1)),
    RoomInfo(2, "H17", "101", "København", dt.date(2012, 9, 1)),
    RoomInfo(3, "Odense", "461", "Odense", dt.date(2013, 10, 1)),
    RoomInfo(4, "Aarhus", "751", "Aarhus", dt.date(2013, 11, 1)),
    RoomInfo(5, "Vejle", "630", "Vejle", dt.date(2021, 3, 1)),
]


def _quarter(by_code: dict[str, dict[int, tuple[int, ...]]]) -> tuple[dict[Key, int], list[Relation]]:
    """Per code, per room, its three months: the rooms' quarter, the municipalities' and the nation's sums, and the
    relations the publication derives (``units.relations``)."""
    rooms = [r for r in ROOMS if any(r.id in rows for rows in by_code.values())]
    exact: dict[Key, int] = {}
    for code, rows in by_code.items():
        for room in rooms:
            values = rows[room.id]
            for label, value in zip(MONTHS, values, strict=True):
                exact[(label, room.unit, code)] = value
            exact[("2025-Q3", room.unit, code)] = sum(values)
        for label in (*MONTHS, "2025-Q3"):
            for muni in sorted({r.municipality_code for r in rooms}):
                members = [r.unit for r in rooms if r.municipality_code == muni]
                exact[(label, ("municipality", muni), code)] = sum(exact[(label, u, code)] for u in members)
            exact[(label, NATIONAL, code)] = sum(exact[(label, r.unit, code)] for r in rooms)
    return exact, relations([*MONTHS, "2025-Q3"], rooms, set(exact))


def test_a_municipal_month_is_shown_by_hiding_a_room_instead() -> None:
    """København's September (10) = Skyen's visible 9 + H17's hidden 1. Before the swap step the protection hid
    København's 10 to cover the 1 (release only shows cells, and showing 10 alone pins the 1 to 10 − 9); the swap
    shows 10 and hides Skyen's 9 instead, and a fresh LP finds no hidden cell narrower than k."""
    exact, rels = _quarter({ACUTE: {1: (2, 8, 9), 2: (2, 8, 1), 3: (7, 0, 7), 4: (2, 1, 3)}})
    hidden = protect_year(exact, rels, K, {})
    assert ("2025-09", ("municipality", "101"), ACUTE) not in hidden
    assert ("2025-09", ("room", "1"), ACUTE) in hidden
    assert ("2025-09", ("room", "2"), ACUTE) in hidden
    assert _narrow(exact, rels, hidden) == {}
    assert not any(k[1] == NATIONAL for k in hidden)


def test_the_demo_s_national_month_stays_hidden_when_showing_it_needs_another_national_total_hidden() -> None:
    """The demo's third quarter of 2025 rebuilt small (acute treatments and emergencies of its five rooms).

    Session 13 traced the nation's hidden August acute treatments (13 = København's 12 + Odense's 1) and
    proposed hiding København's 12 instead. That is not enough: the nation's quarter (49) and September (17) are
    visible, so showing August pins July (19), and July's emergencies (22) minus its acute treatments (19) caps
    Aarhus's July emergencies (1; Aarhus and Vejle had no acute treatment, and zeros are shown) at 3. Every way
    out hides another national headline total, which the swap never does. Here the protection meets the same
    conflict in July and hides the nation's July and September emergencies; the swap leaves them, and the LP shows
    why: with every other non-zero cell hidden but the visible national headline totals, showing either narrows
    a small count.
    """
    exact, rels = _quarter(
        {
            ACUTE: {1: (9, 4, 6), 2: (8, 8, 6), 3: (2, 1, 2), 4: (0, 0, 3), 5: (0, 0, 0)},
            TOTAL: {1: (9, 9, 6), 2: (10, 11, 9), 3: (2, 3, 4), 4: (1, 3, 5), 5: (0, 0, 1)},
        }
    )
    hidden = protect_year(exact, rels, K, {})
    assert _narrow(exact, rels, hidden) == {}
    national = sorted(k for k in hidden if k[1] == NATIONAL and k[2] in HEADLINE_TOTALS and exact[k] >= K)
    # July's, and September's: the quarter (73) and August (26) are visible, so September gives July away.
    assert national == [("2025-07", NATIONAL, TOTAL), ("2025-09", NATIONAL, TOTAL)]
    nonzero = {k for k, v in exact.items() if v > 0}
    kept = [k for k in nonzero if k[1] == NATIONAL and k[2] in HEADLINE_TOTALS and exact[k] >= K and k not in hidden]
    audit = Showing(exact, nonzero, K, relations_by_key(rels))
    audit.show(kept)
    assert audit.narrow(kept) == {}
    for key in national:
        audit.show([key])
        assert ("2025-07", ("municipality", "751"), TOTAL) in audit.narrow([key])
        audit.hide([key])


def _headline_hidden(exact: dict[Key, int], hidden: set[Key]) -> set[Key]:
    return {k for k in hidden if k[1][0] != "room" and k[2] in HEADLINE_TOTALS and exact[k] >= K}


def _narrow(exact: dict[Key, int], rels: list[Relation], hidden: set[Key]) -> dict[Key, tuple[float, float]]:
    """Every hidden cell (any value) a reader can pin to a range narrower than k (fresh LP)."""
    return {k: r for k, r in ranges(exact, rels, hidden).items() if r[1] - r[0] < K - 1e-6}


def test_a_swap_leaves_no_small_count_narrower_than_k() -> None:
    """24 random tables (the quarter above with random counts, and rooms × months with national sums) and random
    hidden sets around a protection (more headline totals and other cells hidden): :func:`swap` shows hidden
    headline totals, hiding cells instead where needed. A fresh LP then finds no small count narrower than k and
    no hidden cell narrower than k that was not so before; no more headline totals of k or more are hidden, no
    cell published before (``fixed``) changes, and no cell hidden in an earlier version is shown."""
    shown = traded = 0
    for n in range(24):
        rng = random.Random(1500 + n)
        if n % 3 == 2:
            exact, rels = _table(rng, rooms=rng.randint(2, 4), months=3)
        else:
            rows = {r: tuple(rng.choice([0, 1, 2, 3, 5, 8, 9, 12]) for _ in MONTHS) for r in (1, 2, 3, 4)}
            exact, rels = _quarter({ACUTE: rows})
        hidden = protect_year(exact, rels, K, {})
        hidden |= {k for k, v in exact.items() if v >= K and rng.random() < (0.5 if k[2] in HEADLINE_TOTALS else 0.1)}
        before = _narrow(exact, rels, hidden)
        assert not any(0 < exact[k] < K for k in before)
        fixed = {k: k in hidden for k in exact if k[0] == "2022-02" and rng.random() < 0.5}
        # Hidden in an earlier version (a republished month keeps them hidden).
        # Drawn in a fixed order: a set's order follows the hash seed, and so did which cells were forced.
        forced = {k for k in sorted(hidden, key=repr) if k not in fixed and rng.random() < 0.2}
        equations = _equations(rels)
        twins = _twins(exact, equations)
        state = _State(exact, equations, dict.fromkeys(fixed), _cost(exact, K, set(), twins))  # type: ignore[arg-type]
        state.reasons = {k: Reason.PRIMARY if exact[k] < K else Reason.SECONDARY for k in hidden}
        blocked = must_hide(exact, equations, K) | forced
        groups = swap(state, exact, K, fixed, blocked, equations, twins, relations_by_key(rels), before)
        after = set(state.reasons)
        assert {k for g in groups for k in g} == hidden - after
        assert _narrow(exact, rels, after).keys() <= before.keys(), n
        assert len(_headline_hidden(exact, after)) <= len(_headline_hidden(exact, hidden))
        assert all((k in after) == v for k, v in fixed.items())
        assert forced <= after
        shown += len(groups)
        traded += bool(after - hidden)
    assert shown >= 20 and traded >= 3, (shown, traded)
