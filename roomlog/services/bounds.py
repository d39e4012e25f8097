"""Bounds on every number and time a capture screen accepts, with the messages staff see.

One place for the limits, so the form, the one-tap path, the correction and the service
agree: an out-of-range value is a clear 400, never an overflow deep in the database driver.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from roomlog.messages import N_
from roomlog.services import DomainError

#: The database's INTEGER range: record ids above it cannot exist.
ID_MAX = 2**31 - 1
#: A single naloxone dose: nasal sprays are 1.8 mg (4 mg abroad), ampoules 0.4 mg; 10 mg is far beyond any one dose.
DOSE_MIN, DOSE_MAX = Decimal("0.01"), Decimal("10")
QUANTITY_MIN, QUANTITY_MAX = 1, 999
#: Event times: nothing in a room's log happened before 2000 (the first Danish room opened in 2012).
EVENT_YEAR_MIN, EVENT_YEAR_MAX = 2000, 2100
BIRTH_YEAR_MIN = 1900
#: A dose as typed: digits with at most one decimal comma or point (a minus sign gets the range message).
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?", re.ASCII)


def record_id(raw: str | None) -> int | None:
    """Parse an optional record id from a form (empty → ``None``; not a valid id → 400)."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    # isascii(): "²" and "٣" are digits to isdigit() but not to int()
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or not 1 <= int(text) <= ID_MAX:
        raise DomainError(N_("The record was not found. Reload the page and try again."))
    return int(text)


def dose(raw: str | None) -> Decimal | None:
    """Parse a naloxone dose in mg (``0,4`` or ``0.4``); empty → ``None``."""
    if raw is None or not str(raw).strip():
        return None
    text = str(raw).strip()
    # Plain ASCII digits only: Decimal() also reads "٣", "３" and "1e1" as numbers.
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise DomainError(N_("The dose is not a number."))
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation as exc:
        raise DomainError(N_("The dose is not a number.")) from exc
    if not value.is_finite() or not DOSE_MIN <= value <= DOSE_MAX:
        raise DomainError(N_("The dose must be between 0,01 and 10 mg."))
    return value.quantize(Decimal("0.01"))


def quantity(raw: str | int | None, *, default: int | None = None) -> int | None:
    """Parse a service quantity (whole number 1–999); empty → ``default``."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    text = str(raw).strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 6 or not QUANTITY_MIN <= int(text) <= QUANTITY_MAX:
        raise DomainError(N_("The quantity must be a whole number between 1 and 999."))
    return int(text)


def event_time(value: dt.datetime) -> dt.datetime:
    """Refuse a time outside the years a room's log can cover (before the time-zone shift overflows)."""
    if not EVENT_YEAR_MIN <= value.year <= EVENT_YEAR_MAX:
        raise DomainError(N_("The time is not valid. Use the date and time picker."))
    return value
