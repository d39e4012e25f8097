"""The ``<month:…>`` URL converter: ``YYYY-MM`` in the URL, the month's first day in the view.

It matches any segment without a slash or dot and hands ``None`` to the view for one that
is not a month, so the login guard still answers first and a logged-in user gets a 404
(``reject_bad_month``), never a 500.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, request
from werkzeug.routing import BaseConverter

from roomlog.calendar import format_month, parse_month


class MonthConverter(BaseConverter):
    """Match a path segment; ``to_python`` gives the first day of the month or ``None``."""

    regex = r"[^/.]+"

    def to_python(self, value: str) -> dt.date | None:
        try:
            return parse_month(value)
        except ValueError:
            return None

    def to_url(self, value: dt.date | str) -> str:
        return value if isinstance(value, str) else format_month(value)


def reject_bad_month() -> None:
    """Answer 404 for a URL whose month is not ``YYYY-MM`` (runs after the login guard)."""
    if request.view_args and "month" in request.view_args and request.view_args["month"] is None:
        abort(404)
