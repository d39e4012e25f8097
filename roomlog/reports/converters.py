"""The ``<month:…>`` URL converter: ``YYYY-MM`` in the URL, the month's first day in the view."""

from __future__ import annotations

import datetime as dt

from werkzeug.routing import BaseConverter, ValidationError

from roomlog.services.service_days import format_month, parse_month


class MonthConverter(BaseConverter):
    """Match ``YYYY-MM``; an impossible month (``2026-13``) does not match, so it is a 404."""

    regex = r"\d{4}-\d{2}"

    def to_python(self, value: str) -> dt.date:
        try:
            return parse_month(value)
        except ValueError as exc:
            raise ValidationError() from exc

    def to_url(self, value: dt.date | str) -> str:
        return value if isinstance(value, str) else format_month(value)
