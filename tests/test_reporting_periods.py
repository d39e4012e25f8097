"""Periods, and month windows by service day across daylight-saving nights (Europe/Copenhagen)."""

from __future__ import annotations

import datetime as dt

import pytest

from roomlog.calendar import COPENHAGEN
from roomlog.extensions import db
from roomlog.reporting import compute, periods
from roomlog.reporting.detail import heat_map, time_bands

#: Models and services on one connection, each test rolled back (tests/support/rollback.py).
pytestmark = pytest.mark.rollback


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=COPENHAGEN).astimezone(dt.UTC)


def test_periods() -> None:
    assert periods.quarter(2026, 2) == periods.span("2026-04", "2026-06")
    assert len(periods.year(2026).months) == 12
    assert periods.year(2026).last_day == dt.date(2026, 12, 31)
    march = periods.month("2026-03")
    assert periods.previous_month(march) == periods.month("2026-02")
    assert periods.same_period_last_year(march) == periods.month("2025-03")
    assert periods.year_to_date(march) == periods.span("2026-01", "2026-03")
    assert periods.since_opening(dt.date(2019, 5, 17), march).first == dt.date(2019, 5, 1)
    assert periods.since_opening(dt.date(2019, 5, 17), march, dt.date(2018, 2, 1)).first == dt.date(2018, 2, 1)
    assert periods.since_opening(None, march) == march
    with pytest.raises(ValueError):
        periods.quarter(2026, 5)
    with pytest.raises(ValueError):
        periods.span("2026-05", "2026-04")
    assert dt.date(2026, 2, 28) in periods.month("2026-02") and dt.date(2026, 3, 1) not in periods.month("2026-02")


def test_quarters_partition_a_year() -> None:
    months = [m for q in range(1, 5) for m in periods.quarter(2026, q).months]
    assert tuple(months) == periods.year(2026).months


@pytest.mark.both_databases
def test_month_boundaries_follow_service_days_across_dst_nights(app, make, backend):
    room = make.room(service_day_cutoff=dt.time(5, 0))
    # Night of 31 March → 1 April (summer time, UTC+2): before 05:00 it is still March.
    make.visit(room, local(2026, 4, 1, 4, 59))
    make.visit(room, local(2026, 4, 1, 5, 0))
    # The spring-forward night 28→29 March: 02:00 does not exist; 03:30 CEST belongs to the 28th.
    make.visit(room, local(2026, 3, 29, 3, 30))
    # Night of 31 October → 1 November (winter time again, UTC+1), after the fall-back on 25 October.
    make.visit(room, local(2026, 11, 1, 4, 59))
    make.visit(room, local(2026, 11, 1, 5, 0))
    # The fall-back night 24→25 October: 02:30 happens twice; both count on the 24th.
    make.visit(room, dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC))  # 02:30 CEST
    make.visit(room, dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC))  # 02:30 CET
    with app.app_context():

        def total(month: str) -> int:
            return compute(db.session, [room.id], periods.month(month)).per_room[room.id]["visits.total"]

        assert (total("2026-03"), total("2026-04")) == (2, 1)
        assert (total("2026-10"), total("2026-11")) == (3, 1)
        october = compute(db.session, [room.id], periods.month("2026-10")).per_room[room.id]
    assert october["opening.days"] == 2  # the 24th and the 31st


def test_heat_map_and_time_bands_use_local_time_across_dst() -> None:
    winter = dt.datetime(2026, 1, 5, 9, 15, tzinfo=dt.UTC)  # Monday 10:15 CET
    summer = dt.datetime(2026, 7, 7, 9, 15, tzinfo=dt.UTC)  # Tuesday 11:15 CEST
    heat = heat_map([winter, summer, summer])
    assert heat.counts[0][10] == 1 and heat.counts[1][11] == 2
    assert heat.peak == 2 and heat.levels[1][11] == 5 and heat.levels[0][10] >= 1 and heat.levels[2][0] == 0
    bands = {b.key: b.value for b in time_bands([winter, summer])}
    assert bands["09–12"] == 2 and sum(bands.values()) == 2
