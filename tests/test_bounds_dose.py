"""A naloxone dose is typed in plain digits: Unicode digits and exponents are refused, not read as numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from roomlog.services import DomainError, bounds

NOT_PLAIN = ["٣", "３", "1e1", "4E-1", "+1.8", "1.8.0", "0,4.5", "NaN", "sNaN", "Infinity", "1_0", "½", "1.", ".5"]


@pytest.mark.parametrize("raw", NOT_PLAIN)
def test_dose_refuses_what_is_not_plain_digits(raw: str) -> None:
    with pytest.raises(DomainError, match="not a number"):
        bounds.dose(raw)


@pytest.mark.parametrize(("raw", "mg"), [("1.8", "1.80"), ("0,4", "0.40"), (" 4 ", "4.00"), ("10", "10.00")])
def test_dose_reads_plain_decimals(raw: str, mg: str) -> None:
    assert bounds.dose(raw) == Decimal(mg)


def test_dose_outside_bounds_is_refused() -> None:
    for raw in ("10.01", "0", "-1", "-0", "1000000000", "1" * 400):
        with pytest.raises(DomainError, match="between"):
            bounds.dose(raw)
    assert bounds.dose("") is None
