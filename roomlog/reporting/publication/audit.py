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

import math
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

import highspy
import numpy as np

from roomlog.reporting.publication.units import Key, Relation

INF = math.inf
#: How far a relation may be off at the exact values and still count as holding there.
TOLERANCE = 1e-6
#: Points :class:`Showing` mixes in pairs (at most) to prove cells wide after a cell is shown.
MIXED_POINTS = 96
#: Points :class:`Showing` keeps per block (the oldest make room): bounds its memory on large blocks.
KEPT_POINTS = 1024
#: The weight of moving a small count in the points :meth:`_ShowBlock._prove` looks for (1 for other cells):
#: the release passes never show a small count, so a point that moves mostly small counts lives long.
SMALL_WEIGHT = 0.01
#: Simplex iterations a proof point may take (a maximum takes a few): past it, the column is solved instead.
PROOF_ITERATIONS = 100
#: Rings of visible cells around a block :func:`freeing` may hide (the demo's narrow cells need one).
FREE_RINGS = 3


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
        row = _row(relation, hidden, exact)
        if row is not None:
            rows.append(row)
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


def _row(
    relation: Relation, hidden: AbstractSet[Key], exact: Mapping[Key, int]
) -> tuple[dict[Key, int], float, bool] | None:
    """A relation as an LP row over the hidden cells (``Σ coef·x (= or ≤) rhs``); None when none is hidden."""
    terms: dict[Key, int] = {}
    constant = 0.0
    for key, coef in relation.terms:
        if key in hidden:
            terms[key] = terms.get(key, 0) + coef
        else:
            constant += coef * exact.get(key, 0)
    terms = {k: c for k, c in terms.items() if c}
    return (terms, -constant, relation.exact) if terms else None


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


@dataclass(frozen=True)
class _Matrix:
    """The rows of a block in compressed form: row ``r`` is ``Σ val[j]·x[idx[j]]`` over ``starts[r]`` up to the
    next start, between ``low[r]`` (−inf for "≤") and ``upper[r]``."""

    starts: np.ndarray
    idx: np.ndarray
    val: np.ndarray
    low: np.ndarray
    upper: np.ndarray

    @staticmethod
    def of(rows: list[tuple[dict[Key, int], float, bool]], index: Mapping[Key, int]) -> _Matrix:
        starts = np.cumsum([0] + [len(terms) for terms, _rhs, _eq in rows[:-1]], dtype=np.int32)
        idx = np.array([index[k] for terms, _rhs, _eq in rows for k in terms], dtype=np.int32)
        val = np.array([c for terms, _rhs, _eq in rows for c in terms.values()], dtype=np.float64)
        upper = np.array([rhs for _terms, rhs, _eq in rows], dtype=np.float64)
        low = np.where([eq for _terms, _rhs, eq in rows], upper, -highspy.kHighsInf)
        return _Matrix(starts, idx, val, low, upper)

    def times(self, x: np.ndarray) -> np.ndarray:
        """The left-hand side of every row at ``x``."""
        if not len(self.starts):
            return np.zeros(0)
        return np.add.reduceat(self.val * x[self.idx], self.starts)


def _model(
    keys: list[Key], rows: list[tuple[dict[Key, int], float, bool]], exact: Mapping[Key, int]
) -> tuple[highspy.Highs, dict[Key, int], np.ndarray]:
    """The LP of a block: a variable per hidden cell (at least 1, or its value if smaller), a row per relation."""
    index = {key: n for n, key in enumerate(keys)}
    h = _highs()
    lower = np.array([min(1.0, float(exact.get(k, 0))) for k in keys])
    h.addVars(len(keys), lower, np.full(len(keys), highspy.kHighsInf))
    if rows:
        # One call for every row (compressed rows): adding them one by one cost as much as a solve.
        m = _Matrix.of(rows, index)
        h.addRows(len(rows), m.low, m.upper, len(m.idx), m.starts, m.idx, m.val)
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


class Showing:
    """LP audits of one hidden set while some of its cells are shown again, one try after another.

    ``protect.release`` asks, for a batch of hidden totals, whether showing them would let a reader pin
    a hidden small count. Each block of the starting hidden set ``hidden`` (its cells linked by relations)
    becomes one HiGHS model, built the first time a try touches it and kept: showing a cell fixes its
    column at its value (lower = upper = the exact value) and a refused try frees it again. Fixing a
    column at the value a reader sees is the same feasible set as a fresh model with the cell visible
    (its relations' constants moved), so every range is the one :func:`ranges` computes; HiGHS re-solves
    from the last basis instead of from scratch.

    That holds where the exact values satisfy every relation of the block (then a relation left with
    only shown cells holds, and each part of a block split by the shown cells stays feasible); a block
    where they do not is audited with a fresh model (:func:`ranges`) every time.

    Every optimum found is kept as a point of its block. A point is a feasible point of any try whose
    shown cells it holds at their exact values (nothing else changes between tries), so points from
    earlier tries prove cells at least k wide in later ones without a solve. An optimum (a vertex) moves
    most cells of the block away from their values, so it dies as soon as any of them is shown; a try
    therefore proves a small count wide with the point nearest the exact values that lies k above the
    lowest value seen (:meth:`_ShowBlock._prove`): it moves a few cells and outlives most showings.
    ``solves`` counts the HiGHS runs (the caller's budget).
    """

    def __init__(
        self, exact: Mapping[Key, int], hidden: AbstractSet[Key], threshold: int, index: Mapping[Key, list[Relation]]
    ) -> None:
        self.exact = exact
        self.hidden = frozenset(hidden)
        self.threshold = threshold
        self.index = index
        self.solves = 0
        self._of: dict[Key, _ShowBlock] = {}

    def block(self, key: Key) -> _ShowBlock:
        """The block of a cell of the starting hidden set (built on first use)."""
        found = self._of.get(key)
        if found is None:
            relations = _reachable({key}, set(self.hidden), self.index)
            keys = sorted({k for r in relations for k, _c in r.terms if k in self.hidden} | {key}, key=repr)
            found = _ShowBlock(keys, relations, self.exact, self.threshold)
            self._of |= {k: found for k in keys}
        return found

    def show(self, cells: Iterable[Key]) -> None:
        """Fix the columns of ``cells`` at their values (cells of the starting hidden set)."""
        for block, members in self._by_block(cells).items():
            block.fix(members, True)

    def hide(self, cells: Iterable[Key]) -> None:
        """Undo :meth:`show`."""
        for block, members in self._by_block(cells).items():
            block.fix(members, False)

    def narrow(
        self, cells: Iterable[Key], targets: AbstractSet[Key] | None = None, first: bool = False
    ) -> dict[Key, tuple[float, float]]:
        """The hidden small counts of the blocks of ``cells`` (only ``targets``, if given) narrower than k.

        With ``first``, stops at the first one found.
        """
        out: dict[Key, tuple[float, float]] = {}
        for block in self._by_block(cells):
            found, solves = block.narrow(targets, first)
            self.solves += solves
            out |= found
            if first and out:
                break
        return out

    def spans(self, cells: Iterable[Key], need: float) -> dict[Key, tuple[float, float]]:
        """``key → (min, max)`` of the hidden ``cells`` (any value) narrower than ``need``, with the cells shown so far.

        A cell that the points seen so far already prove at least ``need`` wide is left out without a solve.
        With ``need`` = k the answer holds every cell a reader can narrow below k, among them the pinned
        ones (a range of one point, :data:`TOLERANCE` wide at most).
        """
        out: dict[Key, tuple[float, float]] = {}
        for block, members in self._by_block(cells).items():
            found, solves = block.spans(members, need)
            self.solves += solves
            out |= found
        return out

    def ranges(self, targets: Iterable[Key]) -> dict[Key, tuple[float, float]]:
        """``key → (min, max)`` of hidden ``targets`` with the cells shown so far (every one solved: for tests)."""
        out: dict[Key, tuple[float, float]] = {}
        for block, members in self._by_block(targets).items():
            found, solves = block.ranges(members)
            self.solves += solves
            out |= found
        return out

    def _by_block(self, cells: Iterable[Key]) -> dict[_ShowBlock, list[Key]]:
        out: dict[_ShowBlock, list[Key]] = {}
        # In a fixed order (not a set's, which changes with the process): a block's model and the solves
        # are the same in every run, so a solve budget ends at the same try.
        for key in sorted(cells, key=repr):
            out.setdefault(self.block(key), []).append(key)
        return out


def _add_deviation_rows(h: highspy.Highs, m: _Matrix, values: np.ndarray, size: int, first: int = 0) -> None:
    """Add the rows ``m`` to ``h`` in deviations from ``values``: columns ``u`` (``first`` + 0..size−1) and ``w``
    (the next ``size``).

    Each row ``a·x (= or ≤) b`` becomes ``a·u − a·w (= or ≤) b − a·v`` (0 for an equality where ``v`` holds).
    """
    if not len(m.starts):
        return
    slack = m.upper - m.times(values)
    low = np.where(np.isinf(m.low), m.low, slack)
    # Row r holds its u terms, then its w terms (the same columns + size, negated).
    count = np.diff(np.append(m.starts, len(m.idx)))
    row = np.repeat(np.arange(len(m.starts)), count)
    at_u = m.starts[row] + np.arange(len(m.idx))
    at_w = at_u + count[row]
    idx = np.empty(2 * len(m.idx), dtype=np.int32)
    val = np.empty(2 * len(m.idx))
    idx[at_u], idx[at_w] = m.idx + first, m.idx + first + size
    val[at_u], val[at_w] = m.val, -m.val
    h.addRows(len(m.starts), low, slack, len(idx), 2 * m.starts, idx, val)


class _ShowBlock:
    """One block of :class:`Showing`: its model, which columns are shown, and the points found so far."""

    def __init__(self, keys: list[Key], relations: list[Relation], exact: Mapping[Key, int], threshold: int) -> None:
        self.keys = keys
        self.relations = relations
        self.exact = exact
        self.threshold = threshold
        self.col = {key: n for n, key in enumerate(keys)}
        self.values = np.array([float(exact.get(k, 0)) for k in keys])
        self.lower = np.minimum(1.0, self.values)
        self.shown = np.zeros(len(keys), dtype=bool)
        self.small = [n for n, v in enumerate(self.values) if 0 < v < threshold]
        self.holds = _holds(exact, relations)
        #: HiGHS solves so far (the caller's budget counts them).
        self.runs = 0
        self._h: highspy.Highs | None = None
        self._cost_col: int | None = None
        self._rows: tuple[list[tuple[dict[Key, int], float, bool]], _Matrix] | None = None
        #: The model of :meth:`_prove` (deviations from the exact values), built on first use.
        self._p: highspy.Highs | None = None
        #: Per column, the shown cells and the start with which :meth:`_prove` found no point (see there).
        self._unproven: dict[int, tuple[np.ndarray, float]] = {}
        #: Columns found narrow last time: most likely narrow again (the next try of a bisection), so solved directly.
        self._suspects: set[int] = set()
        # Points found (rows), and where each differs from the exact values; the exact values are the first.
        self._points = np.empty((16, len(keys)))
        self._differs = np.empty((16, len(keys)), dtype=bool)
        self._count = 0
        self._replaced = 0
        self._last = self.values
        #: The columns of the last :meth:`fix` that showed cells (see :meth:`_mixed`).
        self._recent = np.zeros(0, dtype=np.int32)
        if self.holds:
            self._add(self.values)

    def fix(self, members: list[Key], show: bool) -> None:
        cols = np.array([self.col[k] for k in members], dtype=np.int32)
        self.shown[cols] = show
        self._recent = cols if show else np.zeros(0, dtype=np.int32)
        if self._h is not None:
            self._bound(self._h, cols)
        if self._p is not None:
            self._bound_deviations(self._p, cols)

    def _bound(self, h: highspy.Highs, cols: np.ndarray) -> None:
        """A shown column is fixed at its value; a hidden one is at least 1 (or its value, if smaller)."""
        shown = self.shown[cols]
        lower = np.where(shown, self.values[cols], self.lower[cols])
        upper = np.where(shown, self.values[cols], highspy.kHighsInf)
        h.changeColsBounds(len(cols), cols, lower, upper)

    def _model(self) -> highspy.Highs:
        if self._h is None:
            self._h, _index, _lower = _model(self.keys, self._block_rows()[0], self.exact)
            self._bound(self._h, np.flatnonzero(self.shown).astype(np.int32))
        return self._h

    def _block_rows(self) -> tuple[list[tuple[dict[Key, int], float, bool]], _Matrix]:
        """The relations of the block as LP rows over its cells (every cell of the block a column), and as a matrix."""
        if self._rows is None:
            hidden = set(self.keys)
            rows = [row for r in self.relations if (row := _row(r, hidden, self.exact)) is not None]
            self._rows = rows, _Matrix.of(rows, self.col)
        return self._rows

    def _proof_model(self) -> highspy.Highs:
        """The block's LP in deviations from the exact values ``v``, for :meth:`_prove`.

        A point is ``x = v + u − w`` with ``u, w ≥ 0`` (a column per cell for each). Each row
        ``a·x (= or ≤) b`` becomes ``a·u − a·w (= or ≤) b − a·v`` (0 for an equality, since ``v`` holds);
        the bound ``x ≥ lower`` becomes ``w ≤ v − lower``; a shown cell has ``u = w = 0``. The objective
        is the weighted deviation ``Σ c·(u + w)`` (the L1 distance from ``v``; at an optimum ``u`` and ``w``
        are never both positive in a column): 1 for a cell of k or more, :data:`SMALL_WEIGHT` for a small
        count, which the release passes never show. Only bounds change between solves, so the dual
        simplex goes on from the last basis.
        """
        if self._p is None:
            m, size = self._block_rows()[1], len(self.keys)
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
            h.setOptionValue("simplex_iteration_limit", PROOF_ITERATIONS)
            weight = np.where((self.values > 0) & (self.values < self.threshold), SMALL_WEIGHT, 1.0)
            h.addVars(2 * size, np.zeros(2 * size), np.full(2 * size, highspy.kHighsInf))
            h.changeColsCost(2 * size, np.arange(2 * size, dtype=np.int32), np.concatenate([weight, weight]))
            _add_deviation_rows(h, m, self.values, size)
            self._p = h
            self._bound_deviations(h, np.arange(size, dtype=np.int32))
        return self._p

    def _bound_deviations(self, h: highspy.Highs, cols: np.ndarray) -> None:
        """In the model of :meth:`_proof_model`: a shown cell does not move, a hidden one keeps ``x ≥ lower``."""
        shown = self.shown[cols]
        zero = np.zeros(len(cols))
        h.changeColsBounds(len(cols), cols, zero, np.where(shown, 0.0, highspy.kHighsInf))
        down = np.where(shown, 0.0, self.values[cols] - self.lower[cols])
        h.changeColsBounds(len(cols), cols + len(self.keys), zero, down)

    def _fits(self, point: np.ndarray) -> bool:
        """Whether ``point`` satisfies every relation and bound of the block with the shown cells fixed (within
        :data:`TOLERANCE`): the check a point passes before it proves anything."""
        m = self._block_rows()[1]
        lhs = m.times(point)
        if (lhs > m.upper + TOLERANCE).any() or (lhs < m.low - TOLERANCE).any():
            return False
        if (point < self.lower - TOLERANCE).any():
            return False
        return bool((np.abs(point - self.values)[self.shown] <= TOLERANCE).all())

    def _prove(self, col: int, start: float, width: float) -> bool:
        """Look for a point with ``x[col] ≥ start + width`` that moves few cells; keep it if found.

        With ``start`` the smallest value of ``col`` over points feasible now, such a point proves the
        range of ``col`` at least ``width`` wide. Among all such points the one closest to the exact values
        in weighted L1 distance (:meth:`_proof_model`) moves few cells (an optimum is a vertex: in a table of
        sums, typically a short cycle of cells, +d and −d in turn), so it stays a point of later tries until
        one of those few cells is shown, where a maximum of ``x[col]`` moves most cells of the block.

        No point (infeasible) means the maximum of ``x[col]`` is below ``start + width``; as showing more
        only shrinks the feasible set, that stays so while the shown cells only grow and ``start`` does not
        fall (``_unproven``), and the search is skipped then. One solve; whether a point was kept.
        """
        shown, start_before = self._unproven.get(col, (None, INF))
        if shown is not None and start >= start_before and not (shown & ~self.shown).any():
            return False
        h = self._proof_model()
        # u ≥ start + width − v and w = 0 in this column (or both would be positive, u − w short of the goal).
        h.changeColBounds(col, start + width - self.values[col], highspy.kHighsInf)
        h.changeColBounds(col + len(self.keys), 0.0, 0.0)
        h.run()
        self.runs += 1
        status = h.getModelStatus()
        ok = status == highspy.HighsModelStatus.kOptimal
        solution = np.asarray(h.getSolution().col_value, dtype=np.float64) if ok else None
        self._bound_deviations(h, np.array([col], dtype=np.int32))
        if solution is None:
            if status == highspy.HighsModelStatus.kInfeasible:
                self._unproven[col] = (self.shown.copy(), start)
            return False
        size = len(self.keys)
        move = solution[:size] - solution[size:]
        move[np.abs(move) <= 1e-9] = 0.0
        point = self.values + move
        if not self._fits(point):
            return False
        self._add(point)
        return True

    def _add(self, point: np.ndarray) -> None:
        if self._count < KEPT_POINTS:
            if self._count == len(self._points):
                self._points = np.concatenate([self._points, np.empty_like(self._points)])
                self._differs = np.concatenate([self._differs, np.empty_like(self._differs)])
            row = self._count
            self._count += 1
        else:
            # The oldest point makes room (the exact values, the first, stay): memory stays bounded.
            row = 1 + self._replaced % (KEPT_POINTS - 1)
            self._replaced += 1
        self._points[row] = point
        self._differs[row] = np.abs(point - self.values) > TOLERANCE
        self._last = point

    def _seen(self) -> tuple[np.ndarray, np.ndarray]:
        """Per column, the smallest and largest value over the points feasible with the shown cells."""
        shown = np.flatnonzero(self.shown)
        differs = self._differs[: self._count]
        alive = ~differs[:, shown].any(axis=1) if len(shown) else np.ones(self._count, dtype=bool)
        points = self._points[: self._count][alive]
        if not len(points):
            return np.full(len(self.keys), INF), np.full(len(self.keys), -INF)
        return points.min(axis=0), points.max(axis=0)

    def _mixed(self, cols: np.ndarray, seen_lo: np.ndarray, seen_hi: np.ndarray) -> None:
        """Widen ``seen_lo``/``seen_hi`` at ``cols`` with mixtures of two points (in place).

        A point feasible before the last cells were shown but off their values is not a point now; but
        the feasible set is convex, so where one such point lies above a shown cell's value and another
        below, the mixture that meets the value is a point with the other cells shown too.
        """
        recent = self._recent
        if not len(recent) or not self.shown[recent].all():
            return
        older = np.flatnonzero(self.shown & ~np.isin(np.arange(len(self.keys)), recent))
        differs = self._differs[: self._count]
        before = ~differs[:, older].any(axis=1) if len(older) else np.ones(self._count, dtype=bool)
        off = before & differs[:, recent].any(axis=1)
        points = self._points[: self._count][off][:MIXED_POINTS]
        gap = points[:, recent[0]] - self.values[recent[0]]
        above, below = points[gap > 0], points[gap < 0]
        if not len(above) or not len(below):
            return
        up, down = gap[gap > 0][:, None], -gap[gap < 0][None, :]
        weight = down / (up + down)  # of the point above, per pair: the mixture meets the first shown cell
        # The mixtures must meet every cell shown last (twins move together, others may not).
        fits = np.ones(weight.shape, dtype=bool)
        for col in recent[1:]:
            mixed = weight * above[:, col][:, None] + (1 - weight) * below[:, col][None, :]
            fits &= np.abs(mixed - self.values[col]) <= TOLERANCE
        if not fits.any():
            return
        mixed = weight[:, :, None] * above[:, None, cols] + (1 - weight)[:, :, None] * below[None, :, cols]
        mixed = mixed[fits]
        seen_lo[cols] = np.minimum(seen_lo[cols], mixed.min(axis=0))
        seen_hi[cols] = np.maximum(seen_hi[cols], mixed.max(axis=0))

    def _solve(self, col: int, sense: highspy.ObjSense) -> float | None:
        """The optimum of one column (None: no optimum, i.e. unbounded above or infeasible); keeps its point."""
        h = self._model()
        if self._cost_col != col:
            if self._cost_col is not None:
                h.changeColCost(self._cost_col, 0.0)
            h.changeColCost(col, 1.0)
            self._cost_col = col
        h.changeObjectiveSense(sense)
        h.run()
        self.runs += 1
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        self._add(np.asarray(h.getSolution().col_value, dtype=np.float64))
        return float(h.getInfo().objective_function_value)

    def _fresh(self, wanted: list[Key], wide: _Wide | None) -> dict[Key, tuple[float, float]]:
        hidden = {k for k in self.keys if not self.shown[self.col[k]]}
        return ranges(self.exact, self.relations, hidden, set(wanted), wide=wide)

    def ranges(self, members: list[Key]) -> tuple[dict[Key, tuple[float, float]], int]:
        wanted = [k for k in members if not self.shown[self.col[k]]]
        if not self.holds:
            return self._fresh(wanted, None), 2 * len(wanted)
        out: dict[Key, tuple[float, float]] = {}
        for key in wanted:
            col = self.col[key]
            hi = self._solve(col, highspy.ObjSense.kMaximize)
            lo = self._solve(col, highspy.ObjSense.kMinimize)
            out[key] = (float(self.lower[col]) if lo is None else lo, INF if hi is None else hi)
        return out, 2 * len(wanted)

    def narrow(self, targets: AbstractSet[Key] | None, first: bool) -> tuple[dict[Key, tuple[float, float]], int]:
        """The narrow small counts of this block, and the number of solves it took."""
        cols = [n for n in self.small if not self.shown[n] and (targets is None or self.keys[n] in targets)]
        return self._tight(cols, self.threshold, first)

    def spans(self, members: list[Key], need: float) -> tuple[dict[Key, tuple[float, float]], int]:
        """The ranges of the hidden ``members`` narrower than ``need``, and the number of solves it took."""
        cols = sorted({self.col[k] for k in members if not self.shown[self.col[k]]})
        return self._tight(cols, need, False)

    def _tight(self, cols: list[int], width: float, first: bool) -> tuple[dict[Key, tuple[float, float]], int]:
        """The ranges of the columns ``cols`` narrower than ``width`` (proven wide by points or solved).

        A column the points seen so far leave narrower is, in a try (``first``: is any narrow?), first
        proven wide by a point that moves few cells (:meth:`_prove`: one solve, and the point serves later
        tries too); else, and outside tries (a whole audit with many open columns, where one optimum moving
        most cells proves many of them at once), its maximum and minimum are solved, as :func:`ranges`
        would. A column found narrow stays a suspect (solved directly) until it is found wide: in a
        bisection the next try most often fails on the same cell. The minimum is not solved when a point
        feasible now is at the column's lower bound. Every answer is the fresh LP's; only the solves differ.
        """
        if not cols:
            return {}, 0
        need = width - TOLERANCE
        if not self.holds:
            wide = _Wide(math.ceil(width), False, first=first)
            found = self._fresh([self.keys[n] for n in cols], wide)
            return {k: r for k, r in found.items() if r[1] - r[0] < need}, 2 * len(found)
        seen_lo, seen_hi = self._seen()
        open_cols = [n for n in cols if seen_hi[n] - seen_lo[n] < need]
        if open_cols:
            self._mixed(np.array(open_cols, dtype=np.int64), seen_lo, seen_hi)
        # The cells the points leave narrowest first: a refused try usually stops at the first.
        cols.sort(key=lambda n: (seen_hi[n] - seen_lo[n], n))
        out: dict[Key, tuple[float, float]] = {}
        runs = self.runs
        for n in cols:
            if seen_hi[n] - seen_lo[n] >= need:
                continue
            if first and n not in self._suspects and self._prove(n, seen_lo[n], width):
                seen_lo = np.minimum(seen_lo, self._last)
                seen_hi = np.maximum(seen_hi, self._last)
                if seen_hi[n] - seen_lo[n] >= need:
                    continue
            bounds: dict[highspy.ObjSense, float] = {}
            for sense in (highspy.ObjSense.kMaximize, highspy.ObjSense.kMinimize):
                if sense == highspy.ObjSense.kMinimize and seen_lo[n] <= self.lower[n] + TOLERANCE:
                    # A point feasible now is at the column's bound: that is its minimum, no solve needed.
                    bounds[sense] = float(self.lower[n])
                    break
                value = self._solve(n, sense)
                if value is None:
                    # Unbounded above: wide. Infeasible cannot happen where the exact values are a point.
                    break
                bounds[sense] = value
                point = self._last
                seen_lo = np.minimum(seen_lo, point)
                seen_hi = np.maximum(seen_hi, point)
                if seen_hi[n] - seen_lo[n] >= need:
                    break
            if highspy.ObjSense.kMinimize not in bounds:
                self._suspects.discard(n)
                continue
            lo, hi = bounds[highspy.ObjSense.kMinimize], bounds[highspy.ObjSense.kMaximize]
            if hi - lo < need:
                out[self.keys[n]] = (lo, hi)
                self._suspects.add(n)
                if first:
                    break
            else:
                self._suspects.discard(n)
        return out, self.runs - runs


def freeing(
    key: Key,
    exact: Mapping[Key, int],
    hidden: AbstractSet[Key],
    weight: Mapping[Key, float],
    index: Mapping[Key, list[Relation]],
    threshold: int,
    rings: int = FREE_RINGS,
) -> tuple[list[Key], int]:
    """The visible cells whose hiding makes the range of the hidden ``key`` at least ``threshold`` wide, and the solves.

    One LP (:func:`_cheapest_move`) over ``key``'s block of hidden cells, which move freely (a weight of 1/1000),
    and the visible cells of ``weight`` around it, which move at their weight (every other cell stays at its
    value): two points of every relation, ``threshold`` apart in ``key``, as close to the exact values as the
    weights allow. The visible cells they move are the answer: hidden, they make both points feasible for a
    reader, so the range of ``key`` is at least ``threshold`` wide. Minimising the weighted distance moves few
    cells (an optimum is a vertex: short cycles of cells through the sums). The visible cells that may move
    are those of ``weight`` in the block's relations (one ring), then also in their relations (with the whole
    block of any hidden cell those touch), and so on up to ``rings``: the first ring with an answer gives it.
    Empty when there is none; the moved cells' own ranges are the caller's to check.
    """
    relations = _reachable({key}, set(hidden), index)
    if not _holds(exact, relations):
        return [], 0  # the exact values are no point: no deviation model (never so for stored counts)
    seen = {id(r) for r in relations}
    block = {k for r in relations for k, _c in r.terms if k in hidden} | {key}
    movable: set[Key] = set()
    frontier = {k for r in relations for k, _c in r.terms if k not in hidden and k in weight}
    solves = 0
    for _ring in range(rings):
        if not frontier:
            break
        movable |= frontier
        added = [r for cell in sorted(frontier, key=repr) for r in index.get(cell, ()) if id(r) not in seen]
        # The hidden cells of another block in those relations move too, with every relation of their block.
        others = {k for r in added for k, _c in r.terms if k in hidden and k not in block}
        if others:
            added += _reachable(others, set(hidden), index)
        for relation in added:
            if id(relation) not in seen:
                seen.add(id(relation))
                relations.append(relation)
                block.update(k for k, _c in relation.terms if k in hidden)
        if not _holds(exact, relations):
            break
        frontier = {k for r in added for k, _c in r.terms if k not in hidden and k in weight and k not in movable}
        moved, spent = _cheapest_move(key, exact, block, movable, weight, relations, threshold)
        solves += spent
        if moved:
            return moved, solves
    return [], solves


def _cheapest_move(
    key: Key,
    exact: Mapping[Key, int],
    hidden: AbstractSet[Key],
    movable: AbstractSet[Key],
    weight: Mapping[Key, float],
    relations: list[Relation],
    threshold: int,
) -> tuple[list[Key], int]:
    """:func:`freeing`'s LP over the ``hidden`` and ``movable`` cells; the movable cells its optimum moves.

    Two points ``p = v + u1 − w1`` and ``q = v + u2 − w2``, each meeting every relation (as
    :meth:`_ShowBlock._proof_model` builds them), with ``p[key] − q[key] ≥ threshold``; the cost is the weighted
    distance of both from ``v``. Any hidden set that makes ``key`` k wide has such a pair (its maximum and its
    minimum), so the LP finds one whenever hiding every movable cell would do.
    """
    cells = sorted(set(hidden) | set(movable), key=repr)
    col = {k: n for n, k in enumerate(cells)}
    size = len(cells)
    values = np.array([float(exact.get(k, 0)) for k in cells])
    free = np.array([k in hidden for k in cells])
    cost = np.array([1e-3 if k in hidden else weight[k] for k in cells])
    # A hidden cell stays at least 1 (or its value, if smaller); a visible one hidden too (it is not zero).
    down = values - np.where(free, np.minimum(1.0, values), 1.0)
    rows = [row for r in relations if (row := _row(r, col.keys(), exact)) is not None]
    m = _Matrix.of(rows, col)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    upper = np.concatenate([np.full(size, highspy.kHighsInf), down])
    h.addVars(4 * size, np.zeros(4 * size), np.concatenate([upper, upper]))
    h.changeColsCost(4 * size, np.arange(4 * size, dtype=np.int32), np.tile(cost, 4))
    _add_deviation_rows(h, m, values, size)  # p: columns 0 .. 2·size − 1
    _add_deviation_rows(h, m, values, size, first=2 * size)  # q: the same rows over the next 2·size columns
    n = col[key]
    # p[key] − q[key] = u1 − w1 − u2 + w2 ≥ threshold.
    spread = np.array([n, n + size, n + 2 * size, n + 3 * size], dtype=np.int32)
    h.addRow(float(threshold), highspy.kHighsInf, 4, spread, np.array([1.0, -1.0, -1.0, 1.0]))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return [], 1
    solution = np.asarray(h.getSolution().col_value, dtype=np.float64)
    moved = (np.abs(solution[:size] - solution[size : 2 * size]) > 1e-7) | (
        np.abs(solution[2 * size : 3 * size] - solution[3 * size :]) > 1e-7
    )
    return [cells[i] for i in np.flatnonzero(moved & ~free)], 1
