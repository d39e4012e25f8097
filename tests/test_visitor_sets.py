"""Visitor-id bitmaps: the same distinct counts as a recount over the visits, from stored sets."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyroaring import FrozenBitMap

from roomlog.models.codes import Sex
from roomlog.reporting import periods
from roomlog.reporting.combine import assemble
from roomlog.reporting.periods import Period
from roomlog.reporting.rows import FirstVisitRow, VisitorRow
from roomlog.reporting.summary import EventRows, distinct_values
from roomlog.reporting.visitor_sets import MonthSets, build, deserialize, distinct_counts, serialize

MONTHS = [dt.date(2024, 11, 1), dt.date(2024, 12, 1), *(dt.date(2025, m, 1) for m in range(1, 7))]
People = dict[int, tuple[str, int | None]]
Visit = tuple[int, dt.date, int]  # room, service day, visitor


def _rows(visits: list[Visit], people: People) -> tuple[list[VisitorRow], list[FirstVisitRow]]:
    """What the two visitor queries return for these admitted visits (over all history)."""
    seen = {(room, day.replace(day=1), visitor) for room, day, visitor in visits}
    visitors = [VisitorRow(r, m, v, *people[v]) for r, m, v in sorted(seen)]
    first: dict[tuple[int, int], dt.date] = {}
    for room, day, visitor in visits:
        first[(room, visitor)] = min(day, first.get((room, visitor), day))
    return visitors, [FirstVisitRow(r, v, d) for (r, v), d in sorted(first.items())]


def _earlier(first_visits: list[FirstVisitRow], rooms: set[int], period: Period) -> FrozenBitMap:
    return FrozenBitMap(f.visitor_id for f in first_visits if f.room_id in rooms and f.first_day < period.first_day)


def _round_trip(month_sets: MonthSets) -> MonthSets:
    return deserialize(*serialize(month_sets))


people_strategy = st.dictionaries(
    st.integers(1, 60),
    st.tuples(st.sampled_from([*Sex.codes(), "?"]), st.none() | st.integers(1950, 2006)),
    min_size=1,
    max_size=40,
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[People, list[Visit]]:
    people = draw(people_strategy)
    visit = st.tuples(
        st.sampled_from([1, 2, 3]),
        st.sampled_from(MONTHS).flatmap(lambda m: st.integers(0, 27).map(lambda d: m + dt.timedelta(days=d))),
        st.sampled_from(sorted(people)),
    )
    return people, draw(st.lists(visit, max_size=80))


@st.composite
def scopes(draw: st.DrawFn) -> tuple[set[int], Period]:
    rooms = draw(st.sets(st.sampled_from([1, 2, 3]), min_size=1))
    first, last = sorted(draw(st.lists(st.sampled_from(MONTHS), min_size=2, max_size=2)))
    return rooms, Period(first, last)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), scopes(), st.sets(st.sampled_from(MONTHS)))
def test_unions_of_stored_sets_equal_the_recount(history, scope, stored_months) -> None:
    """Any rooms, any months, some months read back from storage: the numbers of the recount."""
    people, visits = history
    rooms, period = scope
    visitors, first_visits = _rows(visits, people)
    expected = distinct_values(visitors, first_visits, rooms, period)
    sets = build(visitors, {(f.room_id, f.visitor_id): f.first_day for f in first_visits})
    sets = {key: _round_trip(s) if key[1] in stored_months else s for key, s in sets.items()}
    assert distinct_counts(sets, rooms, period, _earlier(first_visits, rooms, period)) == expected


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), scopes())
def test_assemble_counts_distinct_visitors_as_before(history, scope) -> None:
    """The pure report (per room and combined) gives the recount's distinct values."""
    people, visits = history
    rooms, period = scope
    visitors, first_visits = _rows(visits, people)
    rows = EventRows(visitors=tuple(visitors), first_visits=tuple(first_visits))
    report = assemble(period, rooms, rows)
    for room in rooms:
        expected = distinct_values(visitors, first_visits, {room}, period)
        assert {code: report.per_room[room][code] for code in expected} == expected
    expected = distinct_values(visitors, first_visits, rooms, period)
    assert {code: report.combined[code] for code in expected} == expected


def test_known_month_sets_and_counts() -> None:
    nov, dec = dt.date(2024, 11, 1), dt.date(2024, 12, 1)
    visitors = [
        VisitorRow(1, nov, 7, "f", 1990),
        VisitorRow(1, dec, 7, "f", 1990),
        VisitorRow(1, dec, 8, "m", None),
        VisitorRow(2, dec, 7, "f", 1990),
        VisitorRow(2, dec, 9, "weird", 1960),
    ]
    first_days = {(1, 7): dt.date(2024, 11, 3), (1, 8): dt.date(2024, 12, 30), (2, 7): dt.date(2024, 12, 2)}
    sets = build(visitors, first_days)
    assert list(sets[(1, dec)].visitors) == [7, 8] and list(sets[(1, dec)].first_seen) == [8]
    assert list(sets[(2, dec)].sex["u"]) == [9]  # an unknown sex code counts as unknown
    assert list(sets[(2, dec)].first_seen) == [7]  # 9 has no first visit: never new
    december = Period(dec, dec)
    both = distinct_counts(sets, {1, 2}, december, earlier=FrozenBitMap([7]))
    assert both["visitors.unique"] == 3 and both["visitors.new"] == 1  # 7 was known in room 1 since November
    assert both["visitors.sex.f"] == 1 and both["visitors.sex.m"] == 1 and both["visitors.sex.u"] == 1
    assert both["visitors.age.30_39"] == 1 and both["visitors.age.u"] == 1 and both["visitors.age.50_plus"] == 1
    room_2 = distinct_counts(sets, {2}, december)
    assert room_2["visitors.new"] == 1 and room_2["visitors.unique"] == 2
    assert distinct_counts(sets, {3}, december)["visitors.unique"] == 0


def test_sets_survive_serialization() -> None:
    sets = build([VisitorRow(1, MONTHS[0], n, "m" if n % 2 else "f", 1960 + n % 40) for n in range(1, 5000)], {})
    original = sets[(1, MONTHS[0])]
    again = _round_trip(original)
    assert again == original
    assert _round_trip(MonthSets()) == MonthSets()


@pytest.mark.parametrize("groups", [b"", b"\x07", b"\x01\x00\x05\x00\x00\x00\x01sex.m"])
def test_a_damaged_blob_is_refused(groups: bytes) -> None:
    empty = FrozenBitMap().serialize()
    with pytest.raises(ValueError):
        deserialize(empty, empty, groups)


def test_age_follows_the_last_year_of_the_period() -> None:
    rows = [VisitorRow(1, dt.date(2024, 12, 1), 1, "m", 1995), VisitorRow(1, dt.date(2025, 6, 1), 1, "m", 1995)]
    sets = build(rows, {})
    assert distinct_counts(sets, {1}, periods.month("2024-12"))["visitors.age.18_29"] == 1
    assert distinct_counts(sets, {1}, Period(dt.date(2024, 12, 1), dt.date(2025, 6, 1)))["visitors.age.30_39"] == 1
