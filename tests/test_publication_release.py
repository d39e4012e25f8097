"""The release pass's audits (issue #10 items 4–5): models kept between tries give a fresh model's answers.

``audit.Showing`` keeps one HiGHS model per block of the protected hidden set and shows a cell by fixing
its column at its value; ``protect.release`` shows hidden totals again through it. The reference is the
fresh LP of :func:`~roomlog.reporting.publication.audit.ranges` on the same published cells: the ranges must
be the same, and what ``release`` shows must leave no small count narrower than k, and nothing more could be
shown alone.
"""

from __future__ import annotations

import math
import random

import pytest

from roomlog.reporting.publication.audit import INF, Showing, ranges
from roomlog.reporting.publication.protect import _equations, release
from roomlog.reporting.publication.units import NATIONAL, Key, Relation
from roomlog.reporting.suppression import Reason, _State

K = 5
CODE = "visits.total"


def _table(rng: random.Random, rooms: int, months: int) -> tuple[dict[Key, int], list[Relation]]:
    """Rooms × months with each room's quarter, the nation's months and quarter: a grid with its sums.

    Cells are 0 (shown: zeros are published), small (1..k−1) or larger; a few "part ≤ whole" relations
    (as a breakdown with an unknown category gives) are added between a room's month and the nation's.
    """
    labels = [f"2022-{m + 1:02d}" for m in range(months)]
    units = [("room", str(r + 1)) for r in range(rooms)]
    exact: dict[Key, int] = {}
    for unit in units:
        for label in labels:
            exact[(label, unit, CODE)] = rng.choice([0, 1, 2, 3, 4, 5, 7, 9, 12, 20, 35])
        exact[("2022-Q1", unit, CODE)] = sum(exact[(label, unit, CODE)] for label in labels)
    for label in [*labels, "2022-Q1"]:
        exact[(label, NATIONAL, CODE)] = sum(exact[(label, unit, CODE)] for unit in units)
    rels = []
    for unit in [*units, NATIONAL]:
        parts = tuple(((label, unit, CODE), 1) for label in labels)
        rels.append(Relation(((("2022-Q1", unit, CODE), -1), *parts), True))
    for label in [*labels, "2022-Q1"]:
        parts = tuple(((label, unit, CODE), 1) for unit in units)
        rels.append(Relation((((label, NATIONAL, CODE), -1), *parts), True))
    for _ in range(2):
        label, unit = rng.choice(labels), rng.choice(units)
        rels.append(Relation((((label, unit, CODE), 1), ((label, NATIONAL, CODE), -1)), False))
    return exact, rels


def _index(rels: list[Relation]) -> dict[Key, list[Relation]]:
    out: dict[Key, list[Relation]] = {}
    for relation in rels:
        for key, _coef in relation.terms:
            out.setdefault(key, []).append(relation)
    return out


def _same(a: tuple[float, float], b: tuple[float, float]) -> bool:
    def close(x: float, y: float) -> bool:
        return x == y == INF or (not math.isinf(x) and not math.isinf(y) and abs(x - y) < 1e-6)

    return close(a[0], b[0]) and close(a[1], b[1])


@pytest.mark.parametrize("seed", range(12))
def test_fixed_columns_in_a_kept_model_give_the_ranges_of_a_fresh_model(seed: int) -> None:
    """Show and hide cells again in random order; after each step every hidden cell's range is the fresh one."""
    rng = random.Random(seed)
    exact, rels = _table(rng, rooms=rng.randint(2, 4), months=3)
    nonzero = sorted((k for k, v in exact.items() if v > 0), key=repr)
    hidden = {k for k in nonzero if exact[k] < K or rng.random() < 0.6}
    if seed % 4 == 0:
        # A relation the exact values break (a stored value out of line): that block is audited fresh.
        key = rng.choice(sorted(hidden, key=repr))
        rels.append(Relation(((key, 1),), False))
    audit = Showing(exact, hidden, K, _index(rels))
    shown: set[Key] = set()
    for _step in range(8):
        cells = rng.sample(sorted(hidden - shown, key=repr), min(2, len(hidden - shown)))
        audit.show(cells)
        shown |= set(cells)
        if shown and rng.random() < 0.3:
            back = rng.choice(sorted(shown, key=repr))
            audit.hide([back])
            shown.discard(back)
        now = hidden - shown
        fresh = ranges(exact, rels, now)
        kept = audit.ranges(sorted(now, key=repr))
        assert set(kept) == set(fresh)
        assert all(_same(kept[k], fresh[k]) for k in fresh), {k: (kept[k], fresh[k]) for k in fresh}
        narrow = audit.narrow(sorted(shown | now, key=repr))
        small = {k for k in now if 0 < exact[k] < K}
        assert set(narrow) == {k for k in small if fresh[k][1] - fresh[k][0] < K - 1e-6}
        if not now:
            break


def _released(exact: dict[Key, int], rels: list[Relation], hidden: set[Key], groups: list[set[Key]], solves: int):  # type: ignore[no-untyped-def]
    state = _State(exact, _equations(rels), {}, lambda key: (0.0,))  # type: ignore[arg-type]
    state.reasons = {key: Reason.PRIMARY if exact[key] < K else Reason.SECONDARY for key in hidden}
    shown = release(state, exact, K, _index(rels), groups, solves)
    return shown, set(state.reasons)


def _narrow(exact: dict[Key, int], rels: list[Relation], hidden: set[Key]) -> dict[Key, tuple[float, float]]:
    small = {k for k in hidden if 0 < exact[k] < K}
    return {k: r for k, r in ranges(exact, rels, hidden, small).items() if r[1] - r[0] < K - 1e-6}


@pytest.mark.parametrize("seed", range(10))
def test_release_shows_what_the_fresh_audit_allows_and_nothing_it_refuses(seed: int) -> None:
    """From every non-zero cell hidden, release the cells of k or more (largest first): afterwards no small
    count is narrower than k (fresh LP), the hidden set only shrank, and each group still hidden would,
    shown alone, pin a small count."""
    rng = random.Random(100 + seed)
    exact, rels = _table(rng, rooms=rng.randint(2, 4), months=3)
    hidden = {k for k, v in exact.items() if v > 0}
    assert not _narrow(exact, rels, hidden)
    big = sorted((k for k in hidden if exact[k] >= K), key=lambda k: (-exact[k], repr(k)))
    groups = [{k} for k in big]
    shown, after = _released(exact, rels, hidden, groups, 10_000)
    assert after <= hidden and after == hidden - set().union(set(), *shown)
    assert all(group in groups for group in shown)
    assert {k for k in hidden if exact[k] < K} <= after
    assert not _narrow(exact, rels, after)
    for group in groups:
        if group not in shown:
            assert _narrow(exact, rels, after - group), group


def test_release_within_a_budget_of_solves_is_still_safe() -> None:
    """No solve allowed: nothing is shown. A small budget stops early and what it shows passes the audit."""
    rng = random.Random(7)
    exact, rels = _table(rng, rooms=4, months=3)
    hidden = {k for k, v in exact.items() if v > 0}
    groups = [{k} for k in sorted((k for k in hidden if exact[k] >= K), key=lambda k: (-exact[k], repr(k)))]
    shown, after = _released(exact, rels, hidden, groups, 0)
    assert shown == [] and after == hidden
    full, _after = _released(exact, rels, hidden, groups, 10_000)
    few, after = _released(exact, rels, hidden, groups, 3)
    assert len(few) <= len(full)
    assert not _narrow(exact, rels, after)


def test_a_refused_try_frees_its_columns_again() -> None:
    """National 24 = a 2 + b 10 + c 12, all hidden: showing b and c pins a (the try is refused and undone);
    then showing b alone leaves a in [1, 13], as a fresh model says."""
    label = "2022-01"
    t, a, b, c = (label, NATIONAL, CODE), *((label, ("municipality", m), CODE) for m in ("101", "461", "751"))
    exact = {t: 24, a: 2, b: 10, c: 12}
    rels = [Relation(((t, -1), (a, 1), (b, 1), (c, 1)), True)]
    audit = Showing(exact, {a, b, c}, K, _index(rels))
    audit.show([b, c])
    assert set(audit.narrow([b, c])) == {a}
    audit.hide([b, c])
    audit.show([b])
    assert audit.narrow([b]) == {}
    assert _same(audit.ranges([a])[a], ranges(exact, rels, {a, c})[a])
    assert _same(audit.ranges([a])[a], (1.0, 13.0))


@pytest.mark.parametrize("seed", range(4))
def test_release_is_the_same_when_few_points_are_kept(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Points only save solves: keeping three per block (the oldest make room) shows the same groups."""
    from roomlog.reporting.publication import audit

    rng = random.Random(200 + seed)
    exact, rels = _table(rng, rooms=4, months=3)
    hidden = {k for k, v in exact.items() if v > 0}
    groups = [{k} for k in sorted((k for k in hidden if exact[k] >= K), key=lambda k: (-exact[k], repr(k)))]
    many, _after = _released(exact, rels, hidden, groups, 10_000)
    monkeypatch.setattr(audit, "KEPT_POINTS", 3)
    few, after = _released(exact, rels, hidden, groups, 10_000)
    assert few == many
    assert not _narrow(exact, rels, after)
