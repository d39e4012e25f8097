"""The gate: how tightly can a reader pin down each hidden cell from everything published?

For every hidden cell, the smallest and largest value consistent with all published cells
and relations (:class:`~roomlog.reporting.publication.units.Relation`) is found by linear
programming with HiGHS (``highspy``). Visible cells are constants, hidden cells variables
(at least 1, since zeros are always shown); the problem splits into independent blocks
of hidden cells linked by relations, and each block is one LP re-solved with a changed
objective (HiGHS keeps the basis between solves, so each re-solve is warm).

:func:`narrow` (the gate) needs only the narrow cells, so it skips the solves of cells that feasible
points already prove wide: every solution HiGHS returns is a point of the block, and so are the
exact values when they satisfy every relation; a cell whose values over those points differ by k
or more has a range at least that wide. A cell proven wide stays wide while more cells are hidden
(each new hidden cell can keep its exact value), so :class:`Proofs` carries the proof from one
audit round to the next.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import highspy
import numpy as np

from roomlog.reporting.publication.units import Key, Relation

INF = math.inf
#: How far a relation may be off at the exact values and still count as holding there.
TOLERANCE = 1e-6


def _blocks(hidden: Iterable[Key], rows: list[tuple[dict[Key, int], float, bool]]) -> list[tuple[list[Key], list[int]]]:
    """Group the hidden cells into independent blocks (union-find over the relations)."""
    parent: dict[Key, Key] = {key: key for key in hidden}

    def find(key: Key) -> Key:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for terms, _rhs, _exact in rows:
        keys = list(terms)
        for other in keys[1:]:
            a, b = find(keys[0]), find(other)
            if a != b:
                parent[a] = b
    members: dict[Key, list[Key]] = {}
    for key in parent:
        members.setdefault(find(key), []).append(key)
    row_of: dict[Key, list[int]] = {}
    for index, (terms, _rhs, _exact) in enumerate(rows):
        row_of.setdefault(find(next(iter(terms))), []).append(index)
    return [(keys, row_of.get(root, [])) for root, keys in members.items()]


def ranges(
    exact: Mapping[Key, int],
    relations: Iterable[Relation],
    hidden: set[Key],
    targets: set[Key] | None = None,
    fresh: set[Key] | None = None,
    index: Mapping[Key, list[Relation]] | None = None,
    wide: _Wide | None = None,
) -> dict[Key, tuple[float, float]]:
    """``key → (min, max)`` of every hidden cell (or only ``targets``), from all relations and the visible cells.

    With ``fresh`` (the cells not published before), blocks of hidden cells that neither hold a
    fresh cell nor a relation with one are skipped: they were audited when they were published.
    With ``index`` too (cell → its relations), only the relations of those blocks are read.
    With ``wide``, a target proven at least ``wide.threshold`` wide by feasible points is left out
    of the answer (added to ``wide.proven``) instead of solved.
    """
    if fresh is not None and index is not None:
        relations = _reachable(fresh, hidden, index)
    rows: list[tuple[dict[Key, int], float, bool]] = []
    touched: list[bool] = []
    for relation in relations:
        terms: dict[Key, int] = {}
        constant = 0.0
        for key, coef in relation.terms:
            if key in hidden:
                terms[key] = terms.get(key, 0) + coef
            else:
                constant += coef * exact.get(key, 0)
        terms = {k: c for k, c in terms.items() if c}
        if terms:
            rows.append((terms, -constant, relation.exact))
            touched.append(fresh is None or any(key in fresh for key, _c in relation.terms))
    out: dict[Key, tuple[float, float]] = {}
    for keys, row_ids in _blocks(hidden, rows):
        wanted = keys if targets is None else [k for k in keys if k in targets]
        if fresh is not None and not any(k in fresh for k in keys) and not any(touched[i] for i in row_ids):
            continue
        if not wanted:
            continue
        if not row_ids:
            out.update({key: (min(1.0, exact.get(key, 0)), INF) for key in wanted})
            continue
        out.update(_solve_block(keys, [rows[i] for i in row_ids], exact, wanted, wide))
        if wide is not None and wide.first and wide.found:
            break
    return out


def _reachable(fresh: set[Key], hidden: set[Key], index: Mapping[Key, list[Relation]]) -> list[Relation]:
    """The relations of every block of hidden cells that holds a fresh cell or a relation with one."""
    seen: set[int] = set()
    out: list[Relation] = []
    done: set[Key] = set()
    todo = list(fresh)
    while todo:
        key = todo.pop()
        if key in done:
            continue
        done.add(key)
        for relation in index.get(key, ()):
            if id(relation) in seen:
                continue
            seen.add(id(relation))
            out.append(relation)
            todo.extend(k for k, _c in relation.terms if k in hidden and k not in done)
    return out


def _highs() -> highspy.Highs:
    """A quiet HiGHS that re-solves with the primal simplex.

    Between the solves of a block only the objective changes, so the last basis stays primal feasible
    and the primal simplex goes on from it; the dual simplex (HiGHS's default) took 2.6 times as long
    on the blocks of the 12-month demo, to the same optima.
    """
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("simplex_strategy", 4)
    return h


def _model(
    keys: list[Key], rows: list[tuple[dict[Key, int], float, bool]], exact: Mapping[Key, int]
) -> tuple[highspy.Highs, dict[Key, int], np.ndarray]:
    """The LP of a block: a variable per hidden cell (at least 1, or its value if smaller), a row per relation."""
    index = {key: n for n, key in enumerate(keys)}
    h = _highs()
    lower = np.array([min(1.0, float(exact.get(k, 0))) for k in keys])
    h.addVars(len(keys), lower, np.full(len(keys), highspy.kHighsInf))
    for terms, rhs, is_equal in rows:
        idx = np.array([index[k] for k in terms], dtype=np.int32)
        val = np.array(list(terms.values()), dtype=np.float64)
        h.addRow(rhs if is_equal else -highspy.kHighsInf, rhs, len(idx), idx, val)
    return h, index, lower


def _solve_block(
    keys: list[Key],
    rows: list[tuple[dict[Key, int], float, bool]],
    exact: Mapping[Key, int],
    wanted: list[Key],
    wide: _Wide | None = None,
) -> dict[Key, tuple[float, float]]:
    if wide is not None:
        return _solve_narrow(keys, rows, exact, wanted, wide)
    h, index, lower = _model(keys, rows, exact)
    out: dict[Key, tuple[float, float]] = {}
    zero = np.zeros(len(keys))
    for key in wanted:
        n = index[key]
        bounds = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            cost = zero.copy()
            cost[n] = 1.0
            h.changeColsCost(len(keys), np.arange(len(keys), dtype=np.int32), cost)
            h.changeObjectiveSense(sense)
            h.run()
            status = h.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal:
                bounds.append(h.getInfo().objective_function_value)
            elif sense == highspy.ObjSense.kMaximize:
                bounds.append(INF)
            else:
                bounds.append(float(lower[n]))
        out[key] = (bounds[0], bounds[1])
    return out


@dataclass
class _Wide:
    """The cells of one audit proven at least ``threshold`` wide; ``exact_holds``: the exact values are a point."""

    threshold: int
    exact_holds: bool
    proven: set[Key] = field(default_factory=set)
    #: Stop at the first narrow cell (``found``): the caller only asks whether any is narrow.
    first: bool = False
    found: bool = False


def _solve_narrow(
    keys: list[Key],
    rows: list[tuple[dict[Key, int], float, bool]],
    exact: Mapping[Key, int],
    wanted: list[Key],
    wide: _Wide,
) -> dict[Key, tuple[float, float]]:
    """The ranges of the ``wanted`` cells of a block that are narrower than ``wide.threshold`` (and perhaps a few more).

    The same LPs as :func:`_solve_block`, but a cell whose values over the feasible points seen so far
    (the exact values, when they hold, and every optimum found) already differ by the threshold is
    proven wide and not solved; the maximum is solved first, and the minimum only when still needed.
    """
    h, index, lower = _model(keys, rows, exact)
    if wide.exact_holds:
        seen_lo = np.array([float(exact.get(k, 0)) for k in keys])
        seen_hi = seen_lo.copy()
    else:
        seen_lo, seen_hi = np.full(len(keys), INF), np.full(len(keys), -INF)
    need = wide.threshold - TOLERANCE
    out: dict[Key, tuple[float, float]] = {}
    all_cols = np.arange(len(keys), dtype=np.int32)
    zero = np.zeros(len(keys))
    for key in wanted:
        n = index[key]
        if seen_hi[n] - seen_lo[n] >= need:
            wide.proven.add(key)
            continue
        bounds: dict[highspy.ObjSense, float] = {}
        for sense in (highspy.ObjSense.kMaximize, highspy.ObjSense.kMinimize):
            cost = zero.copy()
            cost[n] = 1.0
            h.changeColsCost(len(keys), all_cols, cost)
            h.changeObjectiveSense(sense)
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                bounds[sense] = INF if sense == highspy.ObjSense.kMaximize else float(lower[n])
                break
            bounds[sense] = h.getInfo().objective_function_value
            point = np.asarray(h.getSolution().col_value, dtype=np.float64)
            np.minimum(seen_lo, point, out=seen_lo)
            np.maximum(seen_hi, point, out=seen_hi)
            if seen_hi[n] - seen_lo[n] >= need:
                break
        if highspy.ObjSense.kMinimize not in bounds:
            # Proven wide by its maximum (or unbounded, or infeasible: as wide as :func:`_solve_block` says).
            wide.proven.add(key)
            continue
        out[key] = (bounds[highspy.ObjSense.kMinimize], bounds[highspy.ObjSense.kMaximize])
        if wide.first and out[key][1] - out[key][0] < need:
            wide.found = True
            return out
    return out


def _holds(exact: Mapping[Key, int], relations: Iterable[Relation]) -> bool:
    """Whether the exact values satisfy every relation (then they are a feasible point of every block)."""
    for relation in relations:
        total = sum(coef * exact.get(key, 0) for key, coef in relation.terms)
        if total > TOLERANCE or (relation.exact and total < -TOLERANCE):
            return False
    return True


class Proofs:
    """The cells proven wide by the audits of one year's cells and relations, while its hidden cells only grow.

    The caller (``protect.protect_year``) keeps one for the audit rounds of a year. A proof is carried
    from one audit to the next only when the exact values are a point of every block (then each newly
    hidden cell can keep its value, so a range can only widen); if the hidden cells ever shrink, the
    proofs are dropped.
    """

    def __init__(self, exact: Mapping[Key, int], relations: Iterable[Relation], threshold: int) -> None:
        self.threshold = threshold
        self.exact_holds = _holds(exact, relations)
        self.hidden: frozenset[Key] = frozenset()
        self.proven: set[Key] = set()

    def fork(self) -> Proofs:
        """A copy for an audit of any hidden set containing the last one audited: the proofs hold there too.

        A cell wide with fewer cells hidden is at least as wide with more hidden (each added hidden cell
        can keep its exact value), so one audit with the most cells shown proves cells wide for every
        audit between it and the protected set (``protect.release``).
        """
        other = copy.copy(self)  # not ``Proofs(...)``: that would check every relation at the exact values again
        other.proven = set(self.proven)
        return other

    def start(self, hidden: set[Key]) -> None:
        """Begin an audit of ``hidden``: keep the proofs only where they still hold."""
        if not self.exact_holds or not self.hidden <= hidden:
            self.proven = set()
        self.hidden = frozenset(hidden)


def narrow(
    exact: Mapping[Key, int],
    relations: Iterable[Relation],
    hidden: set[Key],
    threshold: int,
    fresh: set[Key] | None = None,
    index: Mapping[Key, list[Relation]] | None = None,
    proofs: Proofs | None = None,
    first: bool = False,
) -> dict[Key, tuple[float, float]]:
    """The hidden small counts (1..k−1) a reader can pin to a range narrower than ``threshold``.

    A hidden count of k or more pinned near its value gives no small count away. ``proofs``
    (the same :class:`Proofs` for every audit of a year) skips the cells proven wide before.
    With ``first``, only whether any is narrow matters: the audit stops at the first one found.
    """
    if proofs is None:
        relations = list(relations)
        proofs = Proofs(exact, relations, threshold)
    proofs.start(hidden)
    targets = {key for key in hidden if 0 < exact.get(key, 0) < threshold} - proofs.proven
    wide = _Wide(threshold, proofs.exact_holds, first=first)
    found = ranges(exact, relations, hidden, targets, fresh, index, wide)
    proofs.proven |= wide.proven
    return {key: r for key, r in found.items() if r[1] - r[0] < threshold - 1e-6}
