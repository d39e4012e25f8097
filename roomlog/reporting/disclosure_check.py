"""Attack a suppressed table the way a reader with a spreadsheet would. Pure functions.

A reader knows every published value, every additive relation of the table, that counts
are whole and non-negative, and — because every export lists the hidden cells with their
reason — that a *primary* cell lies in 1..k−1 and a *secondary* cell is ≥ k (complements
are always chosen among non-zero visible cells, which are ≥ k). From that they can

* eliminate: exact linear algebra over the hidden cells (Gaussian elimination with
  fractions) finds every hidden value that the equations pin down, and
* bound: interval reasoning over every equation and every derived equation narrows the
  range of each hidden cell until nothing changes.

A hidden cell whose range collapses to one value is *disclosed*.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from fractions import Fraction
from typing import Any, Protocol

Key = Hashable
Row = dict[Key, Fraction]


class _Equation(Protocol):
    @property
    def total(self) -> Key: ...

    @property
    def parts(self) -> tuple[Key, ...]: ...


def attacker_bounds(value: int, reason: str, threshold: int) -> tuple[float, float]:
    """Return what a reader knows about a hidden cell from its published reason."""
    if reason == "primary":
        return 1.0, float(threshold - 1)
    if reason == "secondary" and value >= threshold:
        return float(threshold), math.inf
    return 0.0, math.inf


def _linear_rows(
    values: Mapping[Key, int], equations: Sequence[_Equation], hidden: Mapping[Key, Any]
) -> list[tuple[Row, Fraction]]:
    """Each equation as ``sum(coef · hidden) = constant`` after putting in the published values."""
    rows: list[tuple[Row, Fraction]] = []
    for eq in equations:
        coefs: Row = {}
        constant = Fraction(0)
        for key, sign in ((eq.total, -1), *((part, 1) for part in eq.parts)):
            if key in hidden:
                coefs[key] = coefs.get(key, Fraction(0)) + sign
            else:
                constant -= sign * values[key]
        coefs = {k: c for k, c in coefs.items() if c != 0}
        if coefs:
            rows.append((coefs, constant))
    return rows


def _eliminate(rows: list[tuple[Row, Fraction]]) -> list[tuple[Row, Fraction]]:
    """Reduced row echelon form of a sparse system over the rationals."""
    done: list[tuple[Row, Fraction]] = []
    pending = [(dict(r), c) for r, c in rows]
    while pending:
        row, const = pending.pop()
        for pivot_row, pivot_const in done:
            pivot = next(iter(pivot_row))
            factor = row.get(pivot)
            if factor:
                for k, c in pivot_row.items():
                    row[k] = row.get(k, Fraction(0)) - factor * c
                const -= factor * pivot_const
                row = {k: c for k, c in row.items() if c != 0}
        if not row:
            continue
        pivot = min(row, key=repr)
        scale = row[pivot]
        row = {pivot: Fraction(1), **{k: c / scale for k, c in row.items() if k != pivot}}
        const /= scale
        reduced = []
        for other, other_const in done:
            factor = other.get(pivot)
            if factor:
                merged = {k: other.get(k, Fraction(0)) - factor * row.get(k, Fraction(0)) for k in other | row}
                other = {k: c for k, c in merged.items() if c != 0}
                other_const -= factor * const
            reduced.append((other, other_const))
        done = [*reduced, (row, const)]
    return done


PRIME = 2**61 - 1


def _determined(rows: list[tuple[Row, Fraction]]) -> set[Key]:
    """Hidden cells pinned down by the equations alone (elimination over GF(p); the constants do
    not matter for *whether* a value is determined, only for what it is)."""
    done: dict[Key, dict[Key, int]] = {}  # pivot → reduced row
    for row, _ in rows:
        current = {k: int(c) % PRIME for k, c in row.items() if int(c) % PRIME}
        for pivot, pivot_row in done.items():
            factor = current.get(pivot)
            if factor:
                for k, c in pivot_row.items():
                    current[k] = (current.get(k, 0) - factor * c) % PRIME
                current = {k: c for k, c in current.items() if c}
        if not current:
            continue
        pivot = min(current, key=repr)
        inverse = pow(current[pivot], PRIME - 2, PRIME)
        current = {k: c * inverse % PRIME for k, c in current.items()}
        for other_pivot, other in list(done.items()):
            factor = other.get(pivot)
            if factor:
                merged = {k: (other.get(k, 0) - factor * current.get(k, 0)) % PRIME for k in other | current}
                done[other_pivot] = {k: c for k, c in merged.items() if c}
        done[pivot] = current
    return {pivot for pivot, row in done.items() if len(row) == 1}


def _tighten(rows: list[tuple[Row, Fraction]], bounds: dict[Key, list[float]], rounds: int = 30) -> None:
    """Narrow the bounds with ``sum(a · x) = b`` until nothing changes (integers: round inwards)."""
    for _ in range(rounds):
        changed = False
        for row, const in rows:
            terms = [(k, float(a)) for k, a in row.items()]
            lows = [a * bounds[k][0] if a > 0 else a * bounds[k][1] for k, a in terms]
            highs = [a * bounds[k][1] if a > 0 else a * bounds[k][0] for k, a in terms]
            low_sum, high_sum = _safe_sum(lows), _safe_sum(highs)
            for (key, a), lo_i, hi_i in zip(terms, lows, highs, strict=True):
                rest_lo = _minus(low_sum, lo_i)
                rest_hi = _minus(high_sum, hi_i)
                span = (float(const) - rest_hi, float(const) - rest_lo)
                new = sorted((span[0] / a, span[1] / a)) if a else [-math.inf, math.inf]
                lo = max(bounds[key][0], math.ceil(new[0] - 1e-9) if math.isfinite(new[0]) else new[0])
                hi = min(bounds[key][1], math.floor(new[1] + 1e-9) if math.isfinite(new[1]) else new[1])
                if lo > bounds[key][0] or hi < bounds[key][1]:
                    bounds[key] = [lo, hi]
                    changed = True
        if not changed:
            return


def _safe_sum(items: list[float]) -> tuple[float, int]:
    """Sum finite terms and count infinite ones, so that one term can be taken out again."""
    finite = sum(x for x in items if math.isfinite(x))
    return finite, sum(1 if x == math.inf else (-1 if x == -math.inf else 0) for x in items)


def _minus(total: tuple[float, int], item: float) -> float:
    finite, infinite = total
    if math.isfinite(item):
        return finite - item if infinite == 0 else math.copysign(math.inf, infinite)
    infinite -= 1 if item > 0 else -1
    return finite if infinite == 0 else math.copysign(math.inf, infinite)


def _components(rows: list[tuple[Row, Fraction]]) -> list[list[tuple[Row, Fraction]]]:
    parent: dict[Key, Key] = {}

    def find(key: Key) -> Key:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    for row, _ in rows:
        keys = list(row)
        for other in keys[1:]:
            parent[find(other)] = find(keys[0])
    groups: dict[Key, list[tuple[Row, Fraction]]] = {}
    for row, const in rows:
        groups.setdefault(find(next(iter(row))), []).append((row, const))
    return list(groups.values())


def _touches(eq: _Equation, hidden: Mapping[Key, Any]) -> bool:
    return eq.total in hidden or any(part in hidden for part in eq.parts)


def hidden_ranges(
    values: Mapping[Key, int],
    equations: Sequence[_Equation],
    hidden: Mapping[Key, Any],
    threshold: int,
    focus: Collection[Key] | None = None,
) -> dict[Key, tuple[float, float]]:
    """Return the narrowest range a reader can prove for each hidden cell in an equation.

    With ``focus``, only the groups of linked hidden cells that contain one of those keys are
    attacked (the others have not changed since the last attack).
    """
    rows = _linear_rows(values, [eq for eq in equations if _touches(eq, hidden)], hidden)
    bounds = {key: list(attacker_bounds(values[key], str(reason), threshold)) for key, reason in hidden.items()}
    involved: set[Key] = set()
    for group in _components(rows):
        keys = {key for row, _ in group for key in row}
        if focus is not None and not keys & set(focus):
            continue
        involved |= keys
        # Derived equations sharpen the interval attack; exact elimination is costly, so it is
        # used for small groups, and large ones get the (fast) test of which cells are determined.
        derived = _eliminate(group) if len(group) <= 40 else []
        _tighten(group + derived, bounds)
        for key in _determined(group):
            bounds[key] = [float(values[key]), float(values[key])]
    return {key: (b[0], b[1]) for key, b in bounds.items() if key in involved}


def disclosed_cells(
    values: Mapping[Key, int],
    equations: Sequence[_Equation],
    hidden: Mapping[Key, Any],
    threshold: int,
    focus: Collection[Key] | None = None,
) -> list[Key]:
    """Return the hidden cells whose exact value follows from the published table."""
    if not hidden:
        return []
    ranges = hidden_ranges(values, equations, hidden, threshold, focus)
    return [key for key, (lo, hi) in ranges.items() if lo >= hi]
