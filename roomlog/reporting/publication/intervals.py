"""A range's sum from visible calendar figures when one of its own blocks is hidden. Pure.

A range (year to date, an API total, a partial quarter) is the sum of its calendar blocks, ``..`` when
one of them is hidden. But other visible figures of the same unit and indicator may give it anyway:
April..May is the second quarter minus June when those two are shown. Left as ``..``, such a range is a
hidden figure an adversary pins down exactly; shown, it is a difference of published figures, so it tells
a reader nothing the published cells do not.

Every visible calendar figure (a month, a quarter, a year) says that the sum of its months is its value:
with the month boundaries as points, ``P(end) - P(start) = value`` for the prefix sums ``P``. A range's
sum is known exactly when its first and last boundary are joined by such figures, and it is then the
difference along the join. A weighted union-find keeps the joins. Written here because it is a dozen
lines over our own labels; no library we use offers it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


def point(month: dt.date) -> int:
    """The boundary before ``month`` (months counted from year 0)."""
    return month.year * 12 + month.month - 1


class Links:
    """Known differences of prefix sums between month boundaries (a weighted union-find)."""

    def __init__(self) -> None:
        self._parent: dict[int, int] = {}
        #: ``P(point) - P(parent)``.
        self._offset: dict[int, int] = {}

    def _find(self, node: int) -> tuple[int, int]:
        """The root of ``node`` and ``P(node) - P(root)`` (paths halved on the way)."""
        offset = 0
        while self._parent.get(node, node) != node:
            parent = self._parent[node]
            grand = self._parent.get(parent, parent)
            if grand != parent:  # point node at its grandparent: the offset adds up
                self._offset[node] += self._offset[parent]
                self._parent[node] = grand
                continue
            offset += self._offset[node]
            node = parent
        return node, offset

    def join(self, start: int, end: int, value: int) -> None:
        """Record ``P(end) - P(start) = value`` (a visible figure of the months from ``start`` to ``end``)."""
        root_s, off_s = self._find(start)
        root_e, off_e = self._find(end)
        if root_s == root_e:
            return  # already implied (published figures agree: their relations hold)
        # P(root_e) - P(root_s) = value + off_s - off_e
        self._parent[root_e] = root_s
        self._offset[root_e] = value + off_s - off_e

    def difference(self, start: int, end: int) -> int | None:
        """``P(end) - P(start)`` when the joins give it, else ``None``."""
        root_s, off_s = self._find(start)
        root_e, off_e = self._find(end)
        return off_e - off_s if root_s == root_e else None


def range_sum(figures: Iterable[tuple[dt.date, dt.date, int]], first: dt.date, last: dt.date) -> int | None:
    """The sum of the months ``first``..``last`` (first days) from visible ``(first month, last month, value)``
    figures, or ``None`` when they do not give it."""
    links = Links()
    for start, end, value in figures:
        links.join(point(start), point(end) + 1, value)
    return links.difference(point(first), point(last) + 1)
