"""The demo's synthetic activity is reproducible: the time of day a load runs at changes only that day's rows."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any
from unittest import mock

from flask import Flask

from roomlog.calendar import COPENHAGEN
from roomlog.extensions import db
from roomlog.models import Room
from roomlog.operations.demo import events
from roomlog.operations.demo.facts import ROOMS

START, TODAY = dt.date(2026, 3, 2), dt.date(2026, 3, 4)


def _draw(app: Flask, hour: int) -> dict[str, list[tuple[Any, ...]]]:
    """Two rooms' activity from START to TODAY drawn at ``hour`` (Copenhagen) of TODAY: the rows by table,
    without the ids they were numbered with (those follow every earlier room's row count)."""
    rooms = [Room(id=901 + n, service_day_cutoff=dt.time(5, 0)) for n in range(2)]
    now = dt.datetime.combine(TODAY, dt.time(hour), tzinfo=COPENHAGEN).astimezone(dt.UTC)
    with app.app_context(), mock.patch.object(events, "utcnow", lambda: now):
        generator = events.ActivityGenerator(db.session, random.Random(7), "k" * 32)
        for room, spec in zip(rooms, ROOMS[:2], strict=True):
            generator.room(room, spec, START, TODAY, lambda: None)
    numbering = {"id", "visit_id", "consumption_id", "emergency_id"}
    return {
        table.__name__: sorted(
            tuple(sorted((k, v) for k, v in row.items() if k not in numbering))
            for row in rows
            if row.get("service_day") is not None
        )
        for table, rows in generator.rows.items()
    }


def _days(rows: dict[str, list[tuple[Any, ...]]], keep: Any) -> dict[str, list[tuple[Any, ...]]]:
    return {table: [r for r in found if keep(dict(r)["service_day"])] for table, found in rows.items()}


def test_the_time_of_day_changes_only_todays_rows(app: Flask) -> None:
    early, late = _draw(app, 6), _draw(app, 23)
    assert _days(early, lambda day: day < TODAY) == _days(late, lambda day: day < TODAY)
    assert _days(early, lambda day: day == TODAY)["Visit"] == []  # no room is open at six
    assert _days(late, lambda day: day == TODAY)["Visit"]  # (so the two draws did differ)
