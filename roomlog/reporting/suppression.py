"""Disclosure control (*diskretionering*) for small published tables. Pure functions.

Written here on purpose: the Python libraries we looked at either only apply a threshold
(ACRO's ``suppress`` masks cells under a minimum count but does no complementary
suppression) or need an external solver and a microdata file (sdcMicro / τ-ARGUS). Our
tables are small — a few rooms, their municipality totals and a national total, a few
dozen indicators with their breakdowns, months to years — so a careful heuristic with a
built-in attack check does the job without a solver.

The model is general: a table is a mapping ``key → count`` plus a list of additive
:class:`Equation` s (``total = sum(parts)``): rooms → municipality → national, months →
quarters → year, breakdown → parent indicator. :func:`protect`

1. suppresses every count from 1 to k−1 (*primary*); zeros stay visible;
2. adds *secondary* (complementary) suppressions until no equation has exactly one
   suppressed member, always choosing a visible non-zero cell (the cheapest by ``cost``);
3. attacks its own result (:mod:`roomlog.reporting.disclosure_check`: interval reasoning
   over every equation and exact linear algebra over the suppressed cells, knowing which
   cells are primary, i.e. 1..k−1, and which are secondary, i.e. ≥ k) and suppresses more
   until no suppressed value can be recovered; if everything near a cell is hidden and
   it can still be worked out (only possible by knowing which hidden cells are small),
   those cells are listed together as one *group* without saying which are small;
4. suppresses every rate whose numerator or denominator is suppressed (*rate*).

``fixed`` cells carry a decision made in another table (e.g. months already published):
they keep their state and are never picked as a complement, so that a total over a range
can be protected without changing the months it is made of.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum

from roomlog.reporting.disclosure_check import disclosed_cells

Key = Hashable
SYMBOL = ".."


class Reason(str, Enum):  # noqa: UP042 - a plain str mixin keeps the codes printable as themselves
    """Why a cell is hidden."""

    PRIMARY = "primary"  #: a count from 1 to k−1
    SECONDARY = "secondary"  #: hidden so that a primary cell cannot be worked out from totals
    GROUP = "group"  #: part of a group too small to show in any form (primary and secondary together)
    RATE = "rate"  #: a rate whose numerator or denominator is hidden

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Equation:
    """``total = sum(parts)`` holds in the published table."""

    total: Key
    parts: tuple[Key, ...]

    @property
    def members(self) -> tuple[Key, ...]:
        return (self.total, *self.parts)


@dataclass(frozen=True)
class Rate:
    """A published ratio ``key`` = f(numerator, denominator)."""

    key: Key
    numerator: Key
    denominator: Key


@dataclass
class Protection:
    """The outcome of :func:`protect`: which cells are hidden and why."""

    threshold: int
    reasons: dict[Key, Reason] = field(default_factory=dict)

    def is_suppressed(self, key: Key) -> bool:
        """Whether the cell is hidden."""
        return key in self.reasons

    def shown(self, key: Key, value: float | int | None) -> float | int | None:
        """Return the value to publish: ``None`` for a hidden cell."""
        return None if key in self.reasons else value

    def display(self, key: Key, value: float | int | None) -> str | float | int | None:
        """Return the value for a table: ``..`` for a hidden cell."""
        return SYMBOL if key in self.reasons else value

    def listing(self) -> list[tuple[Key, Reason]]:
        """Return the hidden cells with their reason, primary first."""
        order = {Reason.PRIMARY: 0, Reason.SECONDARY: 1, Reason.GROUP: 2, Reason.RATE: 3}
        return sorted(self.reasons.items(), key=lambda item: (order[item[1]], repr(item[0])))


def is_primary(value: int, threshold: int) -> bool:
    """Whether a count must be hidden on its own: 1 ≤ value < k."""
    return 0 < value < threshold


def _default_cost(values: Mapping[Key, int]) -> Callable[[Key], tuple[float, ...]]:
    return lambda key: (float(values[key]),)


class _State:
    """Working state of one protection run."""

    def __init__(
        self,
        values: Mapping[Key, int],
        equations: list[Equation],
        fixed: Mapping[Key, Reason | None],
        cost: Callable[[Key], tuple[float, ...]],
    ) -> None:
        self.values = values
        self.equations = equations
        self.fixed = fixed
        self.cost = cost
        self.reasons: dict[Key, Reason] = {}
        self.by_key: dict[Key, list[int]] = {}
        for index, equation in enumerate(equations):
            for key in equation.members:
                self.by_key.setdefault(key, []).append(index)

    def candidates(self, equation: Equation, allow_zero: bool = False) -> list[Key]:
        return [
            key
            for key in equation.members
            if key not in self.reasons and key not in self.fixed and (allow_zero or self.values[key] > 0)
        ]

    def hidden_in(self, equation: Equation) -> int:
        return sum(1 for key in equation.members if key in self.reasons)

    def hide(self, key: Key) -> list[int]:
        self.reasons[key] = Reason.SECONDARY
        return self.by_key.get(key, [])

    def close_equations(self, queue: list[int]) -> None:
        """Give every equation with exactly one hidden member a second one."""
        while queue:
            equation = self.equations[queue.pop()]
            if self.hidden_in(equation) != 1:
                continue
            options = self.candidates(equation)
            if options:
                queue.extend(self.hide(min(options, key=self.cost)))

    def nearby(self, key: Key) -> Iterator[int]:
        """Equations of ``key`` (fewest hidden first), then those of the hidden cells linked to it.

        A generator: ``cover`` usually succeeds in the first equations, so the walk over a
        large connected block of hidden cells is only made when it is needed.
        """
        order = sorted(self.by_key.get(key, []), key=lambda i: self.hidden_in(self.equations[i]))
        yield from order
        seen_eqs, seen_keys, todo = set(order), {key}, deque([key])
        while todo:
            for index in self.by_key.get(todo.popleft(), []):
                for other in self.equations[index].members:
                    if other in self.reasons and other not in seen_keys:
                        seen_keys.add(other)
                        todo.append(other)
                        for fresh in self.by_key.get(other, []):
                            if fresh not in seen_eqs:
                                seen_eqs.add(fresh)
                                yield fresh

    def cover(self, key: Key) -> bool:
        """Hide one more cell near a recoverable ``key``; False if nothing is left to hide.

        A visible non-zero cell in one of its own equations is preferred; failing that, one
        in an equation of a hidden cell linked to it; a visible zero only as a last resort.
        """
        for allow_zero in (False, True):
            for index in self.nearby(key):
                options = self.candidates(self.equations[index], allow_zero)
                if options:
                    self.close_equations(list(self.hide(min(options, key=self.cost))))
                    return True
        return False

    def merge_into_groups(self, leaks: list[Key]) -> None:
        """Label the hidden cells around an unprotectable leak as one group.

        This happens only when every cell near it is already hidden and the values still
        follow from knowing which ones are 1..k−1 (e.g. four rooms of 1 with totals 2, 2
        and 4); listing them as one group, without saying which are small, closes it.
        """
        todo, seen = list(leaks), set(leaks)
        while todo:
            key = todo.pop()
            for index in self.by_key.get(key, []):
                for other in self.equations[index].members:
                    if other in self.reasons and other not in seen and other not in self.fixed:
                        seen.add(other)
                        todo.append(other)
        for key in seen:
            if key not in self.fixed:
                self.reasons[key] = Reason.GROUP


def protect(
    values: Mapping[Key, int],
    equations: Iterable[Equation] = (),
    threshold: int = 5,
    *,
    rates: Iterable[Rate] = (),
    exempt: Iterable[Key] = (),
    fixed: Mapping[Key, Reason | None] | None = None,
    cost: Callable[[Key], tuple[float, ...]] | None = None,
) -> Protection:
    """Decide which cells of a table to hide so that no hidden count can be recovered.

    ``values`` are non-negative counts; every key of ``equations`` must be in ``values``.
    ``exempt`` keys are never hidden on their own (e.g. opening days, not a count of
    persons or events). ``cost`` ranks complement candidates (lowest first; default: the
    smallest value). ``threshold`` is k: counts 1..k−1 are hidden.
    """
    if threshold < 1:
        raise ValueError("the suppression threshold must be at least 1")
    fixed = dict(fixed or {})
    eqs = [eq for eq in equations if eq.parts]
    state = _State(values, eqs, fixed, cost or _default_cost(values))
    skip = set(exempt)
    for key, value in values.items():
        if value < 0:
            raise ValueError(f"counts cannot be negative: {key!r} = {value}")
        if key in fixed:
            reason = fixed[key]
            if reason is not None:
                state.reasons[key] = reason
        elif key not in skip and is_primary(value, threshold):
            state.reasons[key] = Reason.PRIMARY
    state.close_equations(list(range(len(eqs))))
    focus: set[Key] | None = None
    while True:
        leaks = disclosed_cells(values, eqs, state.reasons, threshold, focus)
        before = set(state.reasons)
        # Cover every leak, then attack again only where something changed.
        if not leaks or not [key for key in leaks if state.cover(key)]:
            break
        focus = set(state.reasons) - before
    if leaks:
        state.merge_into_groups(leaks)
    result = Protection(threshold, dict(state.reasons))
    for rate in rates:
        if rate.numerator in result.reasons or rate.denominator in result.reasons:
            result.reasons[rate.key] = Reason.RATE
    return result
