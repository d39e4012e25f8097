"""The "changed after approval" notice in words: record kinds, what was done, changed fields."""

from __future__ import annotations

from dataclasses import dataclass

from roomlog.reporting.indicators import BY_CODE, Indicator
from roomlog.reports.page import BREAKDOWNS
from roomlog.services.approval_changes import ChangesSinceApproval, RecordChange
from roomlog.web import history_text
from roomlog.web.history_text import FIELD_LABELS, KIND_LABELS


@dataclass(frozen=True)
class RecordLine:
    """One changed record as the notice shows it (no visitor code: kind, id, times, what)."""

    change: RecordChange
    kind: str
    what: str


def record_lines(changes: ChangesSinceApproval | None) -> list[RecordLine]:
    """Return the changed records of the notice in words."""
    out = []
    for r in changes.records if changes else ():
        what = str(history_text.ACTIONS.get(r.what, r.what))
        if r.fields:
            what += ": " + ", ".join(history_text.field_text(r.kind, f, FIELD_LABELS) for f in r.fields)
        out.append(RecordLine(r, str(KIND_LABELS.get(r.kind, r.kind)), what))
    return out


def indicator(code: str) -> Indicator:
    """Return the indicator of a code."""
    return BY_CODE[code]


def indicator_label(code: str, lang: str) -> str:
    """Return the label of an indicator, a breakdown's part with the breakdown's title
    ("Consumptions by route: injection")."""
    own = BY_CODE[code].label(lang)
    title = next((str(t) for t, prefix in BREAKDOWNS if code.startswith(prefix)), None)
    return f"{title}: {own}" if title else own
