"""Calendar arithmetic (roomlog.calendar): service days across midnight and DST nights, months, quarters."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from roomlog import calendar
from roomlog.calendar import (
    COPENHAGEN,
    add_months,
    format_month,
    iter_months,
    month_end,
    month_of_key,
    month_start,
    months_between,
    next_month,
    parse_month,
    quarter_start,
    service_day_of,
    service_day_start,
)

CUTOFF = dt.time(6, 0)


def _local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=COPENHAGEN)


def test_a_night_event_belongs_to_the_service_day_it_started() -> None:
    assert service_day_of(_local(2026, 3, 3, 5, 59), CUTOFF) == dt.date(2026, 3, 2)
    assert service_day_of(_local(2026, 3, 3, 6, 0), CUTOFF) == dt.date(2026, 3, 3)
    # 23:30 UTC on 31 March is 01:30 the next morning in Copenhagen (summer time): still 31 March's night.
    assert service_day_of(dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC), CUTOFF) == dt.date(2026, 3, 31)


def test_service_days_need_aware_instants() -> None:
    with pytest.raises(ValueError, match="aware"):
        service_day_of(dt.datetime(2026, 3, 3, 12, 0), CUTOFF)  # a naive time: the point of the test


@pytest.mark.parametrize("day", [dt.date(2026, 3, 28), dt.date(2026, 3, 29), dt.date(2026, 10, 25)])
def test_service_day_start_round_trips_across_daylight_saving_nights(day: dt.date) -> None:
    start = service_day_start(day, CUTOFF)
    assert start.tzinfo == dt.UTC
    assert service_day_of(start, CUTOFF) == day
    assert service_day_of(start - dt.timedelta(seconds=1), CUTOFF) == day - dt.timedelta(days=1)


def test_month_arithmetic_over_year_ends_and_leap_years() -> None:
    assert month_start(dt.date(2024, 2, 29)) == dt.date(2024, 2, 1)
    assert next_month(dt.date(2025, 12, 1)) == dt.date(2026, 1, 1)
    assert add_months(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)
    assert add_months(dt.date(2026, 1, 1), 25) == dt.date(2028, 2, 1)
    assert month_end(dt.date(2024, 2, 1)) == dt.date(2024, 2, 29)
    assert month_end(dt.date(2025, 2, 1)) == dt.date(2025, 2, 28)
    assert quarter_start(dt.date(2026, 12, 31)) == dt.date(2026, 10, 1)
    assert [quarter_start(dt.date(2026, m, 1)).month for m in range(1, 13)] == [1, 1, 1, 4, 4, 4, 7, 7, 7, 10, 10, 10]


def test_walking_and_counting_months_agree() -> None:
    months = list(iter_months(dt.date(2025, 11, 15), dt.date(2026, 2, 1)))
    assert months == [dt.date(2025, 11, 1), dt.date(2025, 12, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 1)]
    assert months_between(dt.date(2025, 11, 1), dt.date(2026, 2, 1)) == len(months)
    assert list(iter_months(dt.date(2026, 2, 1), dt.date(2026, 1, 1))) == []


def test_months_as_text() -> None:
    assert parse_month("2026-03") == dt.date(2026, 3, 1)
    assert format_month(dt.date(2026, 3, 17)) == "2026-03"
    assert month_of_key("2026-03") == month_of_key("2026-03-01") == dt.date(2026, 3, 1)
    for bad in ("2026-3", "2026-13", "26-03-01", "9999-12", "abcd-ef", ""):
        with pytest.raises(ValueError, match="YYYY-MM"):
            parse_month(bad)


def test_today_is_a_copenhagen_date() -> None:
    assert isinstance(calendar.today_local(), dt.date)


def test_the_calendar_imports_nothing_of_the_app_nor_any_framework() -> None:
    tree = ast.parse(Path(calendar.__file__).read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"__future__", "datetime", "collections.abc", "zoneinfo"}
