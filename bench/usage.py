"""What a step of the bench used on a shared machine: its children's CPU seconds and the load average meanwhile."""

from __future__ import annotations

import os
import resource
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Usage:
    """Filled in when the step ends: CPU seconds (user + system) of the child processes that ended meanwhile,
    and the 1-minute load averages sampled meanwhile (at the start, every ``every`` seconds, at the end)."""

    cpu: float = 0.0
    loads: list[float] = field(default_factory=list)

    def load_text(self) -> str:
        """``load 3.1–7.4 (mean 5.2)``, or the single sample."""
        if not self.loads:
            return "load not sampled"
        low, high, mean = min(self.loads), max(self.loads), sum(self.loads) / len(self.loads)
        if len(self.loads) == 1 or high - low < 0.05:
            return f"load {mean:.1f}"
        return f"load {low:.1f}–{high:.1f} (mean {mean:.1f})"


@contextmanager
def usage(every: float = 30.0) -> Iterator[Usage]:
    """Measure a step that runs child processes: on a shared machine wall time mostly measures the wait for a
    core, so the CPU seconds and the load beside it say what the wall time means."""
    found = Usage()
    stop = threading.Event()

    def sample() -> None:
        while True:
            found.loads.append(os.getloadavg()[0])
            if stop.wait(every):
                return

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield found
    finally:
        stop.set()
        sampler.join()
        found.loads.append(os.getloadavg()[0])
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        found.cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
