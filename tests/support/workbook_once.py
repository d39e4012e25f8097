"""openpyxl once per distinct workbook, for tests that send many requests for the same downloads.

Every XLSX download goes through :func:`roomlog.reporting.exports.workbook_bytes` (the one writer): a workbook is a
pure function of its sheets (titles, headers, rows, number formats), up to the moment it was written (the
*generated at* row the product stamps from the server's clock, and openpyxl's own creation time). A request whose
sheets equal an earlier one's up to that moment cannot fail where that one passed: it gets the bytes written then.
Every request still runs its whole view and builds every row of its sheets; any input that changes a value is
written anew. The fuzzer asks for the same national annual workbook ~8 times per database (query noise the view
ignores), ~0.5 CPU-s of openpyxl each; the tenant matrix's national role asks for the same workbooks as the fuzzer
(one store for the run: ``tests.support.pdf_once.SharedDocuments``).
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Sequence

import pytest

from tests.support.pdf_once import Store, kept

#: The modules that call the writer (``workbook_bytes`` looked up in their own namespace).
WRITERS = ("roomlog.reporting.exports", "roomlog.pool.workbook")
#: A moment as ``roomlog.reporting.exports.generated_at`` writes it (UTC, whole seconds).
STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00")


def _key(sheets: Sequence[object], since: dt.datetime) -> str:
    """The sheets' contents (``repr`` keeps each value's type: ``1``, ``1.0``, ``'1'``, ``Decimal('1')``), every
    time stamp of the test's own run (from ``since`` to now) replaced: those are the server's clock."""
    text = repr(list(sheets))
    now = dt.datetime.now(dt.UTC)

    def moment(found: re.Match[str]) -> str:
        at = dt.datetime.fromisoformat(found.group(0))
        return "<generated>" if since <= at <= now + dt.timedelta(seconds=1) else found.group(0)

    return STAMP.sub(moment, text)


def write_each_once(monkeypatch: pytest.MonkeyPatch, workbooks: Store) -> dict[str, int]:
    """Make the XLSX writer write each workbook once into ``workbooks`` (kept by the caller: per module or run).

    Returns the test's counts: ``written``, the distinct workbooks it asked for; ``reused``, its other requests.
    """
    from roomlog.reporting.exports import Sheet, workbook_bytes

    since = dt.datetime.now(dt.UTC).replace(microsecond=0)
    seen: set[str] = set()
    counts = {"written": 0, "reused": 0}

    def once(sheets: Sequence[Sheet]) -> bytes:
        return kept(workbooks, _key(sheets, since), lambda: workbook_bytes(sheets), seen, counts, "written")

    for name in WRITERS:
        monkeypatch.setattr(importlib.import_module(name), "workbook_bytes", once)
    return counts
