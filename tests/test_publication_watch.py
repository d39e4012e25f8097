"""National overdoses hidden in closed months, and why no swap can show them (issue #10, session 17).

The demo's first quarter of 2025 rebuilt small, by municipality (København split into its two rooms): emergencies by
type. The protection hides the nation's opioid overdoses of January (16) and March (17) and shows February (17) and
the quarter (50). Neither hidden one can be shown without hiding another national figure the rules keep visible:

- March is forced by the national headline total: the nation's emergencies (27) minus its opioid overdoses leaves
  the sum of the other national types (6 + 2 + 2), and down the municipalities' sums København's one mixed case is
  then pinned to [1, 3]. Only hiding the nation's emergencies would help, and a national headline total of k or more
  stays visible.
- January is free with only the headline totals shown, but the quarter and February are visible: showing January
  gives March away (50 − 17 − 16), which narrows the same small count. It can be shown only by hiding February or
  the quarter: as many national overdose figures hidden as shown.

``bench.forced --watch`` (:func:`bench.forced.analyse` with ``headline``) names the two states; the tests check them
with the LP directly too.
"""

from __future__ import annotations

from bench.forced import analyse
from roomlog.reporting.publication.audit import Showing, ranges
from roomlog.reporting.publication.protect import NATIONAL_WATCH, protect_year
from roomlog.reporting.publication.units import EXEMPT_CODES, HEADLINE_TOTALS, NATIONAL, Key, Relation, relations_by_key
from tests.test_publication_swap import K, _quarter

TYPES = ("opioid", "stimulant", "mixed", "other_medical", "u")
OPIOID = "emergencies.type.opioid"
#: Per room (1, 2: København; 3 Odense; 4 Aarhus; 5 Vejle), per month: opioid, stimulant, mixed, other medical (the
#: demo's 2025-01..03 by municipality, in the test world's months 2025-07..09).
ROWS = {
    1: ((9, 4, 1, 0), (7, 5, 0, 1), (8, 2, 1, 0)),
    2: ((5, 3, 0, 0), (6, 4, 1, 1), (5, 1, 0, 1)),
    3: ((2, 2, 0, 0), (0, 0, 1, 0), (1, 1, 0, 1)),
    4: ((0, 0, 0, 0), (3, 1, 1, 0), (3, 2, 0, 0)),
    5: ((0, 0, 0, 0), (1, 0, 0, 0), (0, 0, 1, 0)),
}
FIRST, SECOND, THIRD, QUARTER = (
    ("2025-07", NATIONAL, OPIOID),
    ("2025-08", NATIONAL, OPIOID),
    ("2025-09", NATIONAL, OPIOID),
    ("2025-Q3", NATIONAL, OPIOID),
)
PINNED = ("2025-09", ("municipality", "101"), "emergencies.type.mixed")


def _world() -> tuple[dict[Key, int], list[Relation]]:
    by = {
        f"emergencies.type.{t}": {r: tuple((*month, 0)[i] for month in rows) for r, rows in ROWS.items()}
        for i, t in enumerate(TYPES)
    }
    by["emergencies.total"] = {r: tuple(sum(month) for month in rows) for r, rows in ROWS.items()}
    return _quarter(by)


def _pins(exact: dict[Key, int], rels: list[Relation], shown: set[Key], key: Key) -> dict[Key, tuple[float, float]]:
    """The small counts narrower than k when ``key`` is shown beside ``shown``, every other non-zero cell hidden."""
    nonzero = {k for k, v in exact.items() if v > 0}
    audit = Showing(exact, nonzero, K, relations_by_key(rels))
    audit.show(sorted(shown | {key}, key=repr))
    small = {k for k in nonzero if exact[k] < K and k[2] not in EXEMPT_CODES}
    return audit.narrow([key], small)


def test_the_national_overdoses_hidden_in_the_demo_s_first_quarter_are_forced_by_the_rules() -> None:
    exact, rels = _world()
    assert [exact[k] for k in (FIRST, SECOND, THIRD, QUARTER)] == [16, 17, 17, 50]
    hidden = protect_year(exact, rels, K, {})
    assert {k for k in hidden if k[1] == NATIONAL and k[2] in NATIONAL_WATCH} >= {FIRST, THIRD}
    assert SECOND not in hidden and QUARTER not in hidden
    # The audit holds: no hidden cell of any value is narrower than k.
    assert not [k for k, (lo, hi) in ranges(exact, rels, hidden).items() if hi - lo < K - 1e-6]
    heads = {k for k, v in exact.items() if k[1] == NATIONAL and k[2] in HEADLINE_TOTALS and v >= K}
    assert not heads & hidden
    # March: free with everything hidden; forced once the nation's emergencies (a headline total) stay visible.
    assert _pins(exact, rels, set(), THIRD) == {}
    assert PINNED in _pins(exact, rels, heads, THIRD)
    # January: free beside the headline totals; forced beside the visible overdose figures (February, the quarter).
    assert _pins(exact, rels, heads, FIRST) == {}
    assert PINNED in _pins(exact, rels, heads | {SECOND, QUARTER}, FIRST)
    # Hiding February instead frees it: one shown for one hidden, no gain.
    assert _pins(exact, rels, heads | {QUARTER}, FIRST) == {}


def test_bench_forced_names_why_each_hidden_national_overdose_is_hidden() -> None:
    exact, rels = _world()
    hidden = protect_year(exact, rels, K, {})
    states: dict[Key, str] = {}
    why: dict[Key, dict[Key, tuple[float, float]]] = {}
    table, free = analyse(
        exact, hidden, rels, K, True, frozenset({"national"}), NATIONAL_WATCH, states, headline=True, why=why
    )
    assert states == {FIRST: "headline", THIRD: "national"}
    assert free == []
    assert table[("national", "month", OPIOID, "hidden")] == 2
    assert PINNED in why[FIRST] and PINNED in why[THIRD]
    # Without ``headline`` (the headline totals' analysis), January counts as not forced.
    states = {}
    analyse(exact, hidden, rels, K, True, frozenset({"national"}), NATIONAL_WATCH, states)
    assert states == {FIRST: "not", THIRD: "national"}
