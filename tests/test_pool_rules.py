"""The pool's pure parts: money in and out, cost per unit, eligibility, permit steps, the pool ceiling."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roomlog.funding.cost import Activity, Funding, cost_per, room_year_costs
from roomlog.funding.money import AmountError, format_kr, parse_kr
from roomlog.funding.rules import YearPlan, eligibility, permit_change_problem, pool_excess, shortfall
from roomlog.models.codes import OperatorType, PermitStatus

P = PermitStatus
TODAY = dt.date(2026, 6, 1)


@pytest.mark.parametrize(
    ("amount", "text"),
    [(25_000_000, "25.000.000 kr."), (0, "0 kr."), (999, "999 kr."), (1000, "1.000 kr."), (-1500, "-1.500 kr.")],
)
def test_amounts_are_shown_the_danish_way(amount: int, text: str) -> None:
    assert format_kr(amount) == text


def test_amounts_with_ore() -> None:
    assert format_kr(Decimal("1234.5"), decimals=True) == "1.234,50 kr."
    assert format_kr(Decimal("0.005"), decimals=True) == "0,01 kr."
    assert format_kr(None) == "–"


@pytest.mark.parametrize(
    ("text", "amount"),
    [("25.000.000", 25_000_000), ("25000000", 25_000_000), ("25 000 000 kr.", 25_000_000), ("1.500 kr", 1500), ("", 0)],
)
def test_typed_amounts(text: str, amount: int) -> None:
    assert parse_kr(text) == amount


@pytest.mark.parametrize("text", ["-5", "1,5", "1.5", "12.34.567", "1e9", "NaN", "٣", "²", "99999999999", "abc"])
def test_bad_amounts_are_refused(text: str) -> None:
    with pytest.raises(AmountError):
        parse_kr(text)


@given(st.integers(min_value=0, max_value=10_000_000_000))
def test_format_and_parse_round_trip(amount: int) -> None:
    assert parse_kr(format_kr(amount)) == amount


def test_cost_per_unit_is_funding_divided_by_activity() -> None:
    assert cost_per(3_000_000, 12_000) == Decimal("250.00")
    assert cost_per(1_000_000, 3) == Decimal("333333.33")
    assert cost_per(2, 3) == Decimal("0.67")  # half up to whole øre


def test_hidden_unknown_or_zero_activity_gives_no_cost() -> None:
    assert cost_per(1_000_000, None) is None
    assert cost_per(1_000_000, 0) is None


@given(
    st.integers(min_value=0, max_value=10**10),
    st.integers(min_value=0, max_value=10**10),
    st.integers(min_value=1, max_value=10**7),
)
def test_cost_equals_an_independent_exact_calculation(state: int, own: int, count: int) -> None:
    [line] = room_year_costs([Funding(1, 2025, state, own)], {(1, 2025): Activity(count, None)})
    exact = Fraction(state + own, count)
    assert abs(Fraction(line.per_consumption) - exact) <= Fraction(1, 200)  # rounded to the nearest øre
    assert line.per_acute_treatment is None


def test_a_room_year_without_activity_gets_unknown_counts() -> None:
    [line] = room_year_costs([Funding(7, 2026, 100, 100)], {})
    assert line.activity == Activity(None, None) and line.per_consumption is None


def test_permit_steps() -> None:
    assert permit_change_problem(P.PLANNED, P.APPLIED, TODAY, dt.date(2026, 1, 1), TODAY) is None
    assert permit_change_problem(P.APPLIED, P.GRANTED, TODAY, None, TODAY) is None
    assert permit_change_problem(P.GRANTED, P.GRANTED, TODAY, None, TODAY).code == "permit.same"
    assert permit_change_problem(P.PLANNED, P.GRANTED, TODAY, None, TODAY).code == "permit.transition"
    assert permit_change_problem(P.GRANTED, P.APPLIED, TODAY, None, TODAY).code == "permit.transition"
    assert permit_change_problem(P.APPLIED, P.GRANTED, dt.date(2026, 6, 2), None, TODAY).code == "permit.future"
    problem = permit_change_problem(P.APPLIED, P.REFUSED, dt.date(2025, 1, 1), dt.date(2025, 2, 1), TODAY)
    assert problem.code == "permit.before_last"
    assert permit_change_problem(P.REFUSED, P.APPLIED, TODAY, None, TODAY) is None


def _codes(checks: list) -> dict[str, bool]:
    return {c.code: c.ok for c in checks}


def test_eligibility_of_a_planned_room_with_matching_own_funding() -> None:
    checks = eligibility(
        OperatorType.MUNICIPAL, P.PLANNED, 2_000_000, 1_500_000, [YearPlan(2026, 5_000_000, 1_000_000, 1_000_000)]
    )
    assert all(c.ok for c in checks)
    assert _codes(checks)["eligible.permit_pending"] is True and _codes(checks)["eligible.match"] is True


def test_eligibility_flags_every_broken_rule() -> None:
    checks = eligibility(OperatorType.SELF_GOVERNING, P.REFUSED, 1_000, 2_000, [YearPlan(2026, 500, 1_000, 400)])
    codes = _codes(checks)
    assert codes["eligible.operator"] is True
    assert codes["eligible.permit_closed"] is False
    assert codes["eligible.establishment_over"] is False
    assert codes["eligible.year_over"] is False
    assert codes["eligible.shortfall"] is False
    shortfall_check = next(c for c in checks if c.code == "eligible.shortfall")
    assert shortfall_check.params["short"] == "600 kr."


def test_an_empty_application_is_not_eligible() -> None:
    assert _codes(eligibility(OperatorType.MUNICIPAL, P.GRANTED, 0, 0, []))["eligible.no_amount"] is False


def test_the_pool_ceiling_and_the_municipal_match() -> None:
    assert pool_excess(25_000_000, 24_000_000, 1_000_000) == 0
    assert pool_excess(25_000_000, 24_000_000, 1_000_001) == 1
    assert shortfall(1_000_000, 999_999) == 1 and shortfall(1_000_000, 2_000_000) == 0
