"""The one source of the month-state labels: the annual report's letter and Danish word, the pages' msgid.

A room's month is ``open``, ``approved`` (by the room), ``accepted`` (by the municipality), ``locked``
(closed by time) or ``history`` (imported, counts as approved); ``none`` is a month before the room opened.
The annual report is always Danish; the pages translate the msgid (``roomlog.messages.N_``).
"""

from __future__ import annotations

from dataclasses import dataclass

from roomlog.messages import C_, N_, in_danish


@dataclass(frozen=True)
class MonthStateLabel:
    """How one month state is written: a letter in the annual report's month grid, its Danish word, a msgid."""

    letter: str
    danish: str
    msgid: str


MONTH_STATES: dict[str, MonthStateLabel] = {
    "open": MonthStateLabel("F", in_danish(C_("annual report", "awaiting approval")), N_("awaiting approval")),
    "approved": MonthStateLabel("G", in_danish(C_("annual report", "approved")), N_("approved by the room")),
    "accepted": MonthStateLabel("A", in_danish(C_("annual report", "accepted")), N_("accepted")),
    "locked": MonthStateLabel("L", in_danish(C_("annual report", "locked")), N_("locked")),
    "history": MonthStateLabel("H", in_danish(C_("annual report", "history (approved)")), N_("imported history")),
    "none": MonthStateLabel("", "", ""),
}


def month_state(state: str) -> MonthStateLabel:
    """The labels of ``state``; a state not listed is written as it is."""
    return MONTH_STATES.get(state) or MonthStateLabel(state, state, state)


def danish(state: str) -> str:
    """The Danish word of a month state (the annual report and its workbook)."""
    return month_state(state).danish
