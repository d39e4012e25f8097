"""The audit's proof points (issue #10 items 4–5): sparse points prove ranges wide and outlive showings.

:class:`~roomlog.reporting.publication.audit.Showing` proves a hidden small count at least k wide with a
feasible point that reaches k above the lowest value seen; :meth:`_ShowBlock._prove` takes the one closest to
the exact values (weighted L1), which moves a few cells only and so stays feasible while other cells are
shown. The reference is always a fresh LP (:func:`~roomlog.reporting.publication.audit.ranges`) on the same
published cells: the audit's answers must be exactly its answers, whatever points were kept.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from roomlog.reporting.publication import audit as audit_module
from roomlog.reporting.publication.audit import TOLERANCE, Showing, ranges
from roomlog.reporting.publication.units import NATIONAL, Key, Relation, relations_by_key

K = 5
CODE = "visits.total"
MONTHS = ("2022-01", "2022-02", "2022-03")


def _grid(values: dict[str, tuple[int, ...]], loose: int = 0, rng: random.Random | None = None):
    """Rooms × three months with each room's quarter and the nation's months and quarter (all sums), plus
    ``loose`` "room month ≤ national month" relations (a breakdown with an unknown category gives those)."""
    exact: dict[Key, int] = {}
    units = [("room", name) for name in values]
    for unit in units:
        for label, value in zip(MONTHS, values[unit[1]], strict=True):
            exact[(label, unit, CODE)] = value
        exact[("2022-Q1", unit, CODE)] = sum(values[unit[1]])
    for label in [*MONTHS, "2022-Q1"]:
        exact[(label, NATIONAL, CODE)] = sum(exact[(label, unit, CODE)] for unit in units)
    rels = [
        Relation(((("2022-Q1", unit, CODE), -1), *(((label, unit, CODE), 1) for label in MONTHS)), True)
        for unit in [*units, NATIONAL]
    ]
    rels += [
        Relation((((label, NATIONAL, CODE), -1), *(((label, unit, CODE), 1) for unit in units)), True)
        for label in [*MONTHS, "2022-Q1"]
    ]
    for _ in range(loose):
        assert rng is not None
        label, unit = rng.choice(MONTHS), rng.choice(units)
        rels.append(Relation((((label, unit, CODE), 1), ((label, NATIONAL, CODE), -1)), False))
    return exact, rels


def _random(rng: random.Random):
    rooms = rng.randint(2, 4)
    values = {
        str(r + 1): tuple(rng.choice([0, 1, 2, 3, 4, 5, 7, 9, 12, 20, 35]) for _m in MONTHS) for r in range(rooms)
    }
    exact, rels = _grid(values, loose=2, rng=rng)
    hidden = {k for k, v in exact.items() if 0 < v < K or (v > 0 and rng.random() < 0.6)}
    return exact, rels, hidden



def _fresh_narrow(exact, rels, hidden, need: float = K - TOLERANCE) -> dict[Key, tuple[float, float]]:
    small = {k for k in hidden if 0 < exact[k] < K}
    return {k: r for k, r in ranges(exact, rels, hidden, small).items() if r[1] - r[0] < need}


def _feasible(point: dict[Key, float], exact, rels) -> bool:
    """Whether ``point`` (values of hidden cells) satisfies every relation with every other cell at its value."""
    for relation in rels:
        total = sum(c * point.get(k, exact[k]) for k, c in relation.terms)
        if total > TOLERANCE or (relation.exact and total < -TOLERANCE):
            return False
    return all(value >= min(1.0, exact[k]) - TOLERANCE for k, value in point.items())


def _alive_points(audit: Showing, hidden_now: set[Key]):
    """Every point a block of ``audit`` would use as a proof now (those that keep the shown cells at their
    values), with the block's relations."""
    blocks = {id(audit.block(k)): audit.block(k) for k in audit.hidden}
    for block in blocks.values():
        count = block._count
        alive = ~block._differs[:count][:, block.shown].any(axis=1)
        for row in block._points[:count][alive]:
            yield {k: row[block.col[k]] for k in block.keys if k in hidden_now}, block.relations


@pytest.mark.parametrize("seed", range(16))
def test_the_audit_answers_as_a_fresh_lp_while_cells_are_shown_and_hidden(seed: int) -> None:
    """Random tables; cells shown (and some hidden again, as a refused try does) in random order: after each
    step the narrow small counts are exactly a fresh LP's (whole answer, first answer, spans), and every
    point the audit would use as proof satisfies every relation with the shown cells fixed."""
    rng = random.Random(seed)
    exact, rels, hidden = _random(rng)
    audit = Showing(exact, hidden, K, relations_by_key(rels))
    shown: set[Key] = set()
    for _step in range(10):
        cells = rng.sample(sorted(hidden - shown, key=repr), min(rng.randint(1, 3), len(hidden - shown)))
        audit.show(cells)
        shown |= set(cells)
        now = hidden - shown
        fresh = _fresh_narrow(exact, rels, now)
        every = sorted(hidden, key=repr)
        if rng.random() < 0.5:
            assert bool(audit.narrow(every, first=True)) == bool(fresh)
        found = audit.narrow(every)
        assert set(found) == set(fresh)
        assert all(abs(found[k][0] - fresh[k][0]) < 1e-6 and abs(found[k][1] - fresh[k][1]) < 1e-6 for k in fresh)
        spans = audit.spans(sorted(now, key=repr), K)
        all_ranges = ranges(exact, rels, now)
        assert set(spans) == {k for k, (lo, hi) in all_ranges.items() if hi - lo < K - TOLERANCE}
        for point, relations in _alive_points(audit, now):
            assert _feasible(point, exact, relations)
        if shown and rng.random() < 0.4:
            back = rng.sample(sorted(shown, key=repr), min(len(shown), rng.randint(1, 2)))
            audit.hide(back)
            shown -= set(back)
        if not now:
            break


@pytest.mark.parametrize("seed", range(8))
def test_a_kept_proof_point_fits_every_relation_and_reaches_k(seed: int) -> None:
    """Each point :meth:`_prove` keeps satisfies every relation and bound with the shown cells fixed, and lies
    at least k above the start it was asked for; one it did not keep means no such point exists (fresh LP)."""
    rng = random.Random(50 + seed)
    exact, rels, hidden = _random(rng)
    audit = Showing(exact, hidden, K, relations_by_key(rels))
    shown = set(rng.sample(sorted(hidden, key=repr), len(hidden) // 3))
    audit.show(shown)
    now = hidden - shown
    for key in sorted((k for k in now if 0 < exact[k] < K), key=repr):
        block = audit.block(key)
        col = block.col[key]
        start = float(exact[key])
        kept = block._prove(col, start, K)
        _lo, hi = ranges(exact, rels, now, {key})[key]
        if kept:
            point = {k: block._last[block.col[k]] for k in block.keys if k in now}
            assert _feasible(point, exact, rels)
            assert all(abs(block._last[block.col[k]] - exact[k]) <= TOLERANCE for k in block.keys if k in shown)
            assert point[key] >= start + K - 1e-6
        else:
            assert hi < start + K - 1e-7


def test_a_sparse_point_outlives_a_showing_that_kills_the_maximum() -> None:
    """Room 1: 2, 20, 8 (quarter 30); room 2: 30, 7, 4 (quarter 41); rooms' quarters and national months shown.

    The small count 2 reaches 7 along one short cycle (2 → 7, 8 → 3, 30 → 25, 4 → 9: small counts cost
    little to move); its maximum (28) moves every cell of the grid. Showing room 2's February (7) leaves the
    cycle feasible, so the next audit needs no solve, while the maximum is no point any more.
    """
    exact, rels = _grid({"1": (2, 20, 8), "2": (30, 7, 4)})
    cells = {name: {label: (label, ("room", name), CODE) for label in MONTHS} for name in ("1", "2")}
    hidden = {cell for row in cells.values() for cell in row.values()}
    audit = Showing(exact, hidden, K, relations_by_key(rels))
    assert audit.narrow(sorted(hidden, key=repr), first=True) == {}
    small, february = cells["1"]["2022-01"], cells["2"]["2022-02"]
    block = audit.block(small)
    alive = [p for p in block._points[: block._count] if p[block.col[small]] >= 2 + K - 1e-6]
    assert alive, "the small count was proven wide by a point k above its value"
    sparse = min(alive, key=lambda p: int((np.abs(p - block.values) > TOLERANCE).sum()))
    assert int((np.abs(sparse - block.values) > TOLERANCE).sum()) == 4
    assert abs(sparse[block.col[february]] - 7) <= TOLERANCE
    top = block._solve(block.col[small], audit_module.highspy.ObjSense.kMaximize)
    assert top is not None and abs(top - 28) < 1e-6
    assert abs(block._last[block.col[february]] - 7) > 1  # the maximum moves February of room 2
    audit.show([february])
    before = audit.solves
    assert audit.narrow([february], first=True) == {}
    assert audit.solves == before
    assert _fresh_narrow(exact, rels, hidden - {february}) == {}


def test_a_point_off_a_relation_or_a_shown_cell_is_no_proof() -> None:
    """:meth:`_fits` is the gate a point passes before it proves anything."""
    exact, rels = _grid({"1": (2, 20, 8), "2": (30, 7, 4)})
    hidden = {k for k in exact if k[1][0] == "room" and k[0] in MONTHS}
    audit = Showing(exact, hidden, K, relations_by_key(rels))
    some = sorted(hidden, key=repr)[0]
    block = audit.block(some)
    assert block._fits(block.values.copy())
    off = block.values.copy()
    off[block.col[some]] += 1  # breaks its room's quarter and its national month
    assert not block._fits(off)
    below = block.values.copy()
    below[block.col[some]] = 0.5  # under the bound of a hidden cell (at least 1)
    assert not block._fits(below)
    cycle = block.values.copy()
    a, b = ("2022-01", ("room", "1"), CODE), ("2022-03", ("room", "1"), CODE)
    c, d = ("2022-01", ("room", "2"), CODE), ("2022-03", ("room", "2"), CODE)
    for key, step in ((a, 5), (b, -5), (c, -5), (d, 5)):
        cycle[block.col[key]] += step
    assert block._fits(cycle)
    audit.show([c])
    assert not block._fits(cycle)  # room 2's January is shown at 30 now


@pytest.mark.parametrize("seed", range(4))
def test_the_same_cells_are_shown_with_and_without_proof_points(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proof points only save solves: with :meth:`_prove` never finding one, the audit answers the same."""
    rng = random.Random(300 + seed)
    exact, rels, hidden = _random(rng)
    order = sorted((k for k in hidden if exact[k] >= K), key=lambda k: (-exact[k], repr(k)))

    def release(audit: Showing) -> list[Key]:
        kept = []
        for key in order:
            audit.show([key])
            if audit.narrow([key], first=True):
                audit.hide([key])
            else:
                kept.append(key)
        return kept

    with_points = release(Showing(exact, hidden, K, relations_by_key(rels)))
    monkeypatch.setattr(audit_module._ShowBlock, "_prove", lambda self, col, start, width: False)
    assert release(Showing(exact, hidden, K, relations_by_key(rels))) == with_points
