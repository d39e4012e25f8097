"""Which months of an annual report's year are not yet over or not yet closed in every room."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from roomlog.calendar import next_month
from roomlog.messages import C_, in_danish, month_name


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
    names = ", ".join(month_name(m.month) for m in pending)
    return in_danish(PENDING, pending=len(pending), total=total, names=names)


PENDING = C_(
    "annual report",
    "The year is not finished: %(pending)s of %(total)s months are not closed yet (%(names)s). "
    "The key figures are not final and do not cover the whole year.",
)
