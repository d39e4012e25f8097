"""The protection decisions every test run's demo builds start from (``tests/protection-memo/``), and how to remake
them (``make test-memo``).

The run's demos are built as of a fixed day (``demo_db.DEMO_TODAY``, ``roomlog demo --today``), so every year they
publish has the same figures in every run: the decisions of all of them are kept here, in the app's memo format
(:mod:`roomlog.reporting.publication.memo`), and copied into the run's memo before its first demo build. A decision
is found only under its key: a digest of the year's every input, the threshold, ``MEMO_VERSION``, the code of every
module ``protect_year`` runs (its syntax tree without docstrings: a comment or docstring edit keeps the key) and the
versions of HiGHS, NumPy and Python. A change to any of them makes the kept decisions miss (the build protects those
years itself, as without this directory: slower, never stale); ``make test-memo`` then keeps the new ones.

Rule: after a change to the protection code (``roomlog/reporting``: protect, audit, units, suppression, indicators …),
to the demo's figures (``roomlog/operations/demo``, ``DEMO_TODAY``) or to a library version, run ``make test-memo``
and commit what it changes.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

#: The committed decisions (one ``<key>.json`` each).
CARRIED = Path(__file__).resolve().parents[1] / "protection-memo"
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


def stale_years(log: str) -> list[int]:
    """The years a demo build's log says it protected itself: the committed memo missed them."""
    return sorted({int(year) for year in _MISSED.findall(log)})


def kept_keys(log: str) -> set[str]:
    """The key prefixes of the years a demo build's log says it protected (from the memo or not)."""
    return {prefix for _year, prefix in _LOGGED.findall(log)}


def regenerate() -> None:
    """Build the SQLite demo as the tests do and keep the decisions of every year it published."""
    from tests.support.demo_db import DEMO_TODAY, drop_shared, protection_memo, shared_sqlite_demo

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
        print(f"{CARRIED}: {len(kept)} decisions (the demo as of {DEMO_TODAY})")
    finally:
        drop_shared(shared)


if __name__ == "__main__":
    regenerate()
