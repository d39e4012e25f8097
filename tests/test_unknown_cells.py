"""Unknown, not applicable and zero kept apart in the read model; partial figures and their coverage. Pure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from roomlog.reporting.publication.coverage import LARGER, closure, partial_cells, span
from roomlog.reporting.publication.exact import period_values
from roomlog.reporting.publication.read import Cell
from roomlog.reporting.publication.store import OPEN_MARK, Stored, StoredCell
from roomlog.reporting.publication.units import RoomInfo

UNIT = ("room", "1")


def _cell(value: int | None, *, hidden: bool = False) -> StoredCell:
    status = "unknown" if value is None and not hidden else "known"
    return StoredCell(None if value is None or hidden else Decimal(value), hidden, status, None)


def _stored(label: str, **values: int | None) -> Stored:
    cells = {(UNIT, OPEN_MARK): _cell(values.pop("days", 0))}
    cells |= {(UNIT, code.replace("__", ".")): _cell(v) for code, v in values.items()}
    return Stored(label, 1, False, 5, cells, 1)


def _c(value: int | Decimal | None, status: str = "approved", suppressed: bool = False) -> Cell:
    return Cell("101", 1, "A", "2021", "consumptions.total", value, suppressed, status)


def test_a_cell_says_whether_it_is_a_value_a_zero_hidden_unknown_or_not_applicable() -> None:
    assert _c(7).state == "value" and _c(7).known and _c(7).missing is None
    assert _c(0).state == "zero" and _c(0).known
    assert _c(None, suppressed=True).state == "hidden" and _c(None, suppressed=True).missing is None
    assert _c(None, "unknown").state == "unknown" and _c(None, "unknown").missing == "unknown"
    assert _c(None, "not_applicable").missing == "not_applicable"
    assert _c(None, "approved").state == "unknown"  # no figure is never a zero


def test_since_opening_stops_at_the_first_unknown_block_and_states_its_coverage() -> None:
    parts = [
        _stored("2021", consumptions__total=100, emergencies__total=10),
        _stored("2022", consumptions__total=None, emergencies__total=None),  # the gap
        _stored("2023", consumptions__total=200, emergencies__total=20),
        _stored("2024-01", consumptions__total=5, emergencies__total=0),
    ]
    out = partial_cells(UNIT, ["consumptions.total", "emergencies.total"], parts, ["2021", "2022", "2023", "2024-01"])
    assert out["consumptions.total"] == (205, False, "approved", "2023-01")
    assert out["emergencies.total"] == (20, False, "approved", "2023-01")


def test_a_sub_indicator_never_covers_more_months_than_its_parent() -> None:
    # Acute treatments are known for two years, emergencies only for the last: acute follows emergencies.
    parts = [
        _stored("2021", emergencies__total=None, **{"emergencies__acute_treatments": 800}),
        _stored("2022", emergencies__total=30, **{"emergencies__acute_treatments": 20}),
    ]
    codes = ["emergencies.total", "emergencies.acute_treatments", "emergencies.per_1000_consumptions"]
    parts[0].cells[(UNIT, "consumptions.total")] = _cell(1000)
    parts[1].cells[(UNIT, "consumptions.total")] = _cell(1000)
    out = partial_cells(UNIT, codes, parts, ["2021", "2022"])
    assert out["emergencies.acute_treatments"] == (20, False, "approved", "2022-01")
    assert out["emergencies.total"][0] >= out["emergencies.acute_treatments"][0]
    # The rate covers what both its numerator and its denominator cover: 30 / 1000, not 30 / 2000.
    assert out["emergencies.per_1000_consumptions"] == (Decimal("30.00"), False, "approved", "2022-01")
    assert "emergencies.total" in LARGER["emergencies.acute_treatments"]
    assert {"emergencies.total", "consumptions.total"} <= set(closure(["emergencies.per_1000_consumptions"]))


def test_a_hidden_block_makes_the_figure_hidden_and_a_unit_never_open_is_not_applicable() -> None:
    parts = [_stored("2021", consumptions__total=100), _stored("2022", consumptions__total=None)]
    parts[0].cells[(UNIT, "referrals.total")] = _cell(None, hidden=True)
    out = partial_cells(UNIT, ["consumptions.total"], parts, ["2021", "2022"])
    assert out["consumptions.total"] == (None, False, "unknown", None)  # the last block is unknown
    out = partial_cells(UNIT, ["referrals.total"], parts[:1], ["2021"])
    assert out["referrals.total"] == (None, True, "approved", "2021-01")
    closed = Stored("2020", 1, False, 5, {}, 1)
    assert partial_cells(UNIT, ["consumptions.total"], [closed], ["2020"])["consumptions.total"][2] == "not_applicable"


def test_a_rate_without_consumptions_is_not_applicable() -> None:
    parts = [_stored("2022", consumptions__total=0, emergencies__total=0)]
    out = partial_cells(UNIT, ["emergencies.per_1000_consumptions"], parts, ["2022"])
    assert out["emergencies.per_1000_consumptions"] == (None, False, "not_applicable", None)


def test_span_of_labels() -> None:
    assert span("2021") == ("2021-01", "2021-12")
    assert span("2021-Q2") == ("2021-04", "2021-06")
    assert span("2021-03..2026-01") == ("2021-03", "2026-01")


def test_a_year_with_an_unknown_month_is_unknown_and_before_opening_does_not_count() -> None:
    room = RoomInfo(1, "A", "101", "København", dt.date(2021, 3, 1))
    months = [dt.date(2021, m, 1) for m in range(1, 13)]
    known = {"consumptions.total": 10, "visits.total": 5, "visitors.unique": 2}
    by_month = {(1, m): dict(known) for m in months if m >= room.first_month}
    values = period_values("2021-Q2", [room], by_month, set(), lambda ids, p: {"visitors.unique": 3})
    assert values[("2021-Q2", room.unit, "consumptions.total")] == 30
    q1 = period_values("2021-Q1", [room], by_month, set(), lambda ids, p: {"visitors.unique": 3})
    assert q1[("2021-Q1", room.unit, "consumptions.total")] == 10  # March only: Jan and Feb are before opening
    by_month[(1, dt.date(2021, 7, 1))] = dict.fromkeys(known)  # an unknown month (no snapshot, no history)
    year = period_values("2021", [room], by_month, set(), lambda ids, p: {"visitors.unique": 3})
    assert year[("2021", room.unit, "consumptions.total")] is None
    assert year[("2021", room.unit, "visitors.unique")] is None  # not recounted over a month nobody counted


def test_the_audit_never_reads_an_unknown_part_as_zero() -> None:
    """A municipality total with an unknown room gives no equality "total = the known room"."""
    from roomlog.reporting.publication.units import relations

    a = RoomInfo(1, "A", "101", "København", dt.date(2021, 1, 1))
    b = RoomInfo(2, "B", "101", "København", dt.date(2021, 1, 1))
    code = "consumptions.total"
    total, part_a, part_b = (("2021-01", u, code) for u in (("municipality", "101"), a.unit, b.unit))
    has = {total, part_a}
    found = [r for r in relations(["2021-01"], [a, b], has, {part_b}) if {k for k, _ in r.terms} == {total, part_a}]
    assert found and not any(r.exact for r in found)
    # Without the unknown room (not open: no cell at all) the total is the known room exactly.
    found = [r for r in relations(["2021-01"], [a, b], has) if {k for k, _ in r.terms} == {total, part_a}]
    assert any(r.exact for r in found)
