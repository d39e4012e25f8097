"""Property tests: parts add up to totals, months partition a year, voided records never count."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roomlog.calendar import service_day_of
from roomlog.extensions import db
from roomlog.models.codes import EmergencyType, ReferralTarget, Route, Sex, TurnAwayReason
from roomlog.reporting import compute, periods
from roomlog.reporting.combine import assemble
from roomlog.reporting.indicators import ADDITIVE_CODES
from roomlog.reporting.queries import ConsumptionRow, EmergencyRow, ReferralRow, VisitorRow, VisitRow
from roomlog.reporting.summary import EventRows, additive_by_month, distinct_values

MONTHS = [dt.date(2025, m, 1) for m in range(1, 13)]
rooms = st.sampled_from([1, 2, 3])
months = st.sampled_from(MONTHS)
counts = st.integers(min_value=1, max_value=50)

visit_rows = st.builds(
    VisitRow,
    rooms,
    months,
    st.sampled_from(["admitted", "turned_away"]),
    st.none() | st.sampled_from(TurnAwayReason.codes()),
    st.booleans(),
    counts,
).filter(lambda v: (v.outcome == "turned_away") == (v.reason is not None))
consumption_rows = st.builds(
    ConsumptionRow, rooms, months, st.none() | st.sampled_from(Route.codes()), st.booleans(), counts
)
emergency_rows = st.builds(
    EmergencyRow,
    rooms,
    months,
    st.sampled_from(EmergencyType.codes()),
    st.none() | st.sampled_from(["recovered_on_site", "transported", "died"]),
    counts,
)
referral_rows = st.builds(ReferralRow, rooms, months, st.sampled_from(ReferralTarget.codes()), counts)
visitor_rows = st.builds(
    VisitorRow,
    rooms,
    months,
    st.integers(1, 40),
    st.sampled_from(Sex.codes()),
    st.none() | st.integers(1940, 2005),
)


def _unique_people(rows: list[VisitorRow]) -> list[VisitorRow]:
    """A visitor has one sex and birth year: keep the first row's for every id."""
    first: dict[int, VisitorRow] = {}
    for row in rows:
        first.setdefault(row.visitor_id, row)
    return [
        VisitorRow(r.room_id, r.month, r.visitor_id, first[r.visitor_id].sex, first[r.visitor_id].birth_year)
        for r in rows
    ]


event_rows = st.builds(
    EventRows,
    visits=st.lists(visit_rows, max_size=20).map(tuple),
    consumptions=st.lists(consumption_rows, max_size=20).map(tuple),
    emergencies=st.lists(emergency_rows, max_size=20).map(tuple),
    referrals=st.lists(referral_rows, max_size=20).map(tuple),
    visitors=st.lists(visitor_rows, max_size=40).map(_unique_people).map(tuple),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(event_rows)
def test_parts_add_up_to_their_totals(rows: EventRows) -> None:
    for (room_id, month), v in additive_by_month(rows).items():
        assert sum(v[f"visits.turned_away.reason.{r}"] for r in TurnAwayReason.codes()) == v["visits.turned_away"]
        no_route = sum(c.count for c in rows.consumptions if (c.room_id, c.month, c.route) == (room_id, month, None))
        assert sum(v[f"consumptions.route.{r}"] for r in Route.codes()) + no_route == v["consumptions.total"]
        assert v["consumptions.assisted"] <= v["consumptions.total"]
        assert v["visits.anonymous"] <= v["visits.total"]
        assert sum(v[f"emergencies.type.{t}"] for t in EmergencyType.codes()) == v["emergencies.total"]
        assert v["emergencies.hospital_transfers"] + v["emergencies.deaths"] <= v["emergencies.total"]
        assert sum(v[f"referrals.target.{t}"] for t in ReferralTarget.codes()) == v["referrals.total"]
    distinct = distinct_values(rows.visitors, (), {1, 2, 3}, periods.year(2025))
    assert sum(distinct[f"visitors.sex.{s}"] for s in Sex.codes()) == distinct["visitors.unique"]
    ages = ("18_29", "30_39", "40_49", "50_plus", "u")
    assert sum(distinct[f"visitors.age.{a}"] for a in ages) == distinct["visitors.unique"]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(event_rows)
def test_months_partition_a_year_and_rooms_partition_the_set(rows: EventRows) -> None:
    room_ids = (1, 2, 3)
    year = assemble(periods.year(2025), room_ids, rows)
    by_month = [assemble(periods.month(m), room_ids, rows) for m in MONTHS]
    for code in ADDITIVE_CODES:
        assert year.combined[code] == sum(r.combined[code] for r in by_month)
        assert year.combined[code] == sum(year.per_room[room][code] for room in room_ids)
    unique_year = year.combined["visitors.unique"]
    monthly = [r.combined["visitors.unique"] for r in by_month]
    assert max(monthly) <= unique_year <= sum(monthly)
    assert unique_year == len({v.visitor_id for v in rows.visitors})
    assert len(year.months) == 12 * len(room_ids)


@pytest.mark.rollback
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.integers(1, 28), st.integers(0, 23), st.booleans(), st.booleans()),
        min_size=1,
        max_size=12,
    )
)
def test_voided_records_never_count(app, make, visits: list[tuple[int, int, bool, bool]]) -> None:
    room = make.room(opened_on=make.LONG_OPEN)  # records in 2025
    for day, hour, visit_voided, consumption_voided in visits:
        at = dt.datetime(2025, 6, day, hour, 30, tzinfo=dt.UTC)
        visit = make.visit(room, at, voided=visit_voided)
        make.consumption(visit, room, voided=consumption_voided)
    with app.app_context():
        values = compute(db.session, [room.id], periods.span("2025-05", "2025-07")).per_room[room.id]
    assert values["visits.total"] == sum(1 for v in visits if not v[2])
    assert values["consumptions.total"] == sum(1 for v in visits if not v[3])
    days = {
        service_day_of(dt.datetime(2025, 6, d, h, 30, tzinfo=dt.UTC), room.service_day_cutoff)
        for d, h, v, _ in visits
        if not v
    }
    assert values["opening.days"] == len(days)
