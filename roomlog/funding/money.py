"""Whole Danish kroner: parse what people type, format as ``25.000.000 kr.`` — never floats."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

#: The largest amount anyone may type (10 mia. kr.; far above the pool, far below integer limits).
MAX_KR = 10_000_000_000
_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+$")


class AmountError(ValueError):
    """What was typed is not a whole number of kroner from 0 up."""


def parse_kr(text: str | None) -> int:
    """Return whole kroner from ``25.000.000``, ``25000000``, ``25 000 000 kr.``; empty is 0."""
    raw = (
        (text or "")
        .strip()
        .lower()
        .removesuffix("kr.")
        .removesuffix("kr")
        .strip()
        .replace(" ", "")
        .replace("\u00a0", "")
    )
    if raw == "":
        return 0
    if _GROUPED.match(raw):
        raw = raw.replace(".", "")
    if not raw.isdigit() or not raw.isascii():
        raise AmountError(raw)
    value = int(raw)
    if value > MAX_KR:
        raise AmountError(raw)
    return value


def _group(digits: str) -> str:
    out: list[str] = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return ".".join(out)


def format_kr(amount: int | Decimal | None, *, decimals: bool = False) -> str:
    """``25000000`` → ``25.000.000 kr.``; with ``decimals``: ``1234.5`` → ``1.234,50 kr.``; None → ``–``."""
    if amount is None:
        return "–"
    if decimals:
        value = Decimal(amount).quantize(Decimal("0.01"), ROUND_HALF_UP)
        sign = "-" if value < 0 else ""
        whole, _, cents = f"{abs(value):.2f}".partition(".")
        return f"{sign}{_group(whole)},{cents} kr."
    sign = "-" if amount < 0 else ""
    return f"{sign}{_group(str(abs(int(amount))))} kr."
