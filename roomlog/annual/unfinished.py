"""Which months of an annual report's year are not yet over or not yet closed in every room."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from roomlog.calendar import next_month

MONTHS_DA = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip


def pending_months(
    months: Sequence[dt.date], states: Mapping[int, Sequence[str]], today: dt.date
) -> tuple[dt.date, ...]:
    """The months that have not ended by ``today`` or that some room has not closed (``open``)."""
    return tuple(
        month
        for i, month in enumerate(months)
        if next_month(month) > today or any(i < len(s) and s[i] == "open" for s in states.values())
    )


def pending_text(pending: Sequence[dt.date], total: int) -> str:
    """The Danish warning beside the key figures, or ``""`` when every month is closed."""
    if not pending:
        return ""
    names = ", ".join(MONTHS_DA[m.month - 1] for m in pending)
    return (
        f"Året er ikke afsluttet: {len(pending)} af {total} måneder er endnu ikke lukket ({names}). "
        "Nøgletallene er ikke endelige og dækker ikke hele året."
    )
