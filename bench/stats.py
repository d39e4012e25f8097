"""Timing statistics: cold and warm times of a request and its ratio to the bare SQL. Pure."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """Seconds of the first call in a fresh process (cold) and of the calls after it (warm)."""

    cold: float
    warm: tuple[float, ...]

    @property
    def warm_median(self) -> float:
        """The median warm time (the cold time when there was no warm call)."""
        return statistics.median(self.warm) if self.warm else self.cold


def timing(samples: Sequence[float]) -> Timing:
    """Split samples taken in order in a fresh process into the cold first call and the warm rest."""
    if not samples:
        raise ValueError("no samples")
    return Timing(samples[0], tuple(samples[1:]))


def ratio(app_seconds: float, bare_seconds: float | None) -> float | None:
    """How many times longer the app takes than the bare SQL (None without a bare time)."""
    if bare_seconds is None or bare_seconds <= 0:
        return None
    return app_seconds / bare_seconds


def share(hidden: int, total: int) -> float | None:
    """The share of hidden cells (None when there were no cells)."""
    return hidden / total if total else None
