"""The protection decisions every test run's demo builds start from (``tests/protection-memo/``), and how to remake
them (``make test-memo``).

The demo's imported history of 2021 and 2022 is the proposal's figures (``operations/demo/history.SEED_YEARS``);
from 2023 every month ramps toward the level of the synthetic activity, which starts ``--months`` before today, so
those years' figures (and their protection) change every month. The decisions of the years up to the last seed year
do not depend on the date: they are kept here, in the app's memo format (:mod:`roomlog.reporting.publication.memo`),
and copied into the run's memo before its first demo build. A decision is found only under its key: a digest of the
year's every input, the threshold, ``MEMO_VERSION``, the source of every module ``protect_year`` runs and the
versions of HiGHS, NumPy and Python. A change to any of them makes the kept decisions miss (the build protects those
years itself, as without this directory: slower, never stale); ``make test-memo`` then keeps the new ones.

Rule: after a change to the protection code (``roomlog/reporting``: protect, audit, units, suppression, indicators …),
to the demo's 2021–2022 history, or to a library version, run ``make test-memo`` and commit what it changes.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from roomlog.operations.demo.history import SEED_YEARS

#: The committed decisions (one ``<key>.json`` each).
CARRIED = Path(__file__).resolve().parents[1] / "protection-memo"
#: The last year whose demo figures do not depend on the date the demo is built.
LAST_CARRIED = max(SEED_YEARS)
#: What ``memo.protect`` logs for every year it protects: the year and the first 12 digits of its key.
_LOGGED = re.compile(r"protection of (\d{4}) (?:from the memo \(hit|computed \(miss) ([0-9a-f]{12})\)")
_MISSED = re.compile(r"protection of (\d{4}) computed \(miss")


def seed(memo: Path) -> int:
    """Copy the committed decisions into ``memo`` (a run's memo directory); the number copied."""
    memo.mkdir(parents=True, exist_ok=True)
    files = sorted(CARRIED.glob("*.json"))
    for path in files:
        shutil.copyfile(path, memo / path.name)
    return len(files)


def stale_years(log: str, last: int = LAST_CARRIED) -> list[int]:
    """The years up to ``last`` that a demo build's log says it protected itself: the committed memo missed them."""
    return sorted({int(year) for year in _MISSED.findall(log) if int(year) <= last})


def kept_keys(log: str, last: int = LAST_CARRIED) -> set[str]:
    """The key prefixes of the years up to ``last`` that a demo build's log says it protected."""
    return {prefix for year, prefix in _LOGGED.findall(log) if int(year) <= last}


def regenerate() -> None:
    """Build the SQLite demo as the tests do and keep its decisions of the years up to ``LAST_CARRIED``."""
    from tests.support.demo_db import drop_shared, protection_memo, shared_sqlite_demo

    shared = Path(tempfile.mkdtemp(prefix="roomlog-memo-"))
    try:
        demo = shared_sqlite_demo(shared, months=3)
        assert demo.exit_code == 0, demo.output
        prefixes = kept_keys(demo.log)
        assert prefixes, "the demo's log names no protected year"
        kept = [p for p in sorted(protection_memo(shared).glob("*.json")) if p.name[:12] in prefixes]
        shutil.rmtree(CARRIED, ignore_errors=True)
        CARRIED.mkdir()
        for path in kept:
            shutil.copyfile(path, CARRIED / path.name)
        print(f"{CARRIED}: {len(kept)} decisions of the years up to {LAST_CARRIED}")
    finally:
        drop_shared(shared)


if __name__ == "__main__":
    regenerate()
