"""What every template may use beyond the formatting filters: the rate test and the month-state labels."""

from __future__ import annotations

from flask import Flask

from roomlog.reporting.indicators import is_rate
from roomlog.reporting.state_labels import month_state
from roomlog.web import html_attributes


def init_app(app: Flask) -> None:
    """Register ``code is rate`` (two decimals) and ``month_state(state)`` for every template; form fields'
    attributes by :func:`roomlog.web.html_attributes.html_params` (the same markup, less CPU)."""
    html_attributes.install()
    app.jinja_env.tests["rate"] = is_rate
    app.jinja_env.globals["month_state"] = month_state
