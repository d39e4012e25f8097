"""Read side: every indicator of the data dictionary, for any rooms over any months.

Public API (import from ``roomlog.reporting``)::

    from roomlog.reporting import compute, periods, INDICATORS

    report = compute(session, room_ids=[1, 2], period=periods.quarter(2026, 1))
    report.combined["visitors.unique"]   # distinct over both rooms and all three months
    report.per_room[1]["visits.total"]   # one room, summed over the months
    report.months                        # MonthState per room-month: state, source, provisional
    report.provisional                   # True if any room-month is still open (foreløbig)

* ``periods``: ``month(date|"YYYY-MM")``, ``quarter(y, q)``, ``year(y)``, ``span(a, b)``,
  ``previous_month``, ``same_period_last_year``, ``year_to_date``, ``since_opening``.
  Months are months of service days (Europe/Copenhagen, room cut-off), stored on events.
* ``compute(session, room_ids, period, live=False) -> Report``. Per room-month the values
  come from the approved snapshot (``MonthlyAggregate``, approved/accepted months), else
  from imported history (``MonthlyHistory``, months without events; state ``history``,
  which counts as approved), else from the events (voided records never count).
  Additive indicators are summed; distinct counts (``visitors.*``) are unions of the
  room-months' visitor-id bitmaps (``visitor_sets``: stored with approved snapshots, built
  from events for open months; ``None`` when history months hold no ids); the rate is
  derived from the totals. ``live=True`` reads events only.
* ``compute_many(session, room_ids, [period, …])`` returns one ``Report`` per period from a
  single set of queries (use it for a month with its comparisons, or 12 months of a year);
  events are read only for room-months that are not closed, so the cost does not grow
  with the years of approved history behind the periods.
* ``visitor_sets.distinct_counts(sets, room_ids, period, earlier)``: unique, new, sex and age
  of any rooms over any months from month sets (pure).
* ``Values[code]`` returns ``int``, ``Decimal`` (the rate) or ``None``; unknown codes raise
  ``KeyError``. ``Values.items()`` yields every code in dictionary order.
* ``indicators``: ``INDICATORS`` (code, section, label_da/en, definition_da/en, kind,
  ``additive``, parent), ``BY_CODE``, ``CODES``, ``get(code)``.
* Exact numbers only: disclosure control for anything leaving the room is the caller's job.
* The scoping listener limits ORM queries in a request to the user's rooms; pass only
  room ids the caller may see.
"""

from roomlog.reporting import indicators, periods
from roomlog.reporting.combine import MonthState, Report
from roomlog.reporting.engine import compute, compute_many, event_rows, first_known_month
from roomlog.reporting.indicators import BY_CODE, CODES, INDICATORS, Indicator
from roomlog.reporting.periods import Period
from roomlog.reporting.summary import Values

__all__ = [
    "BY_CODE",
    "CODES",
    "INDICATORS",
    "Indicator",
    "MonthState",
    "Period",
    "Report",
    "Values",
    "compute",
    "compute_many",
    "event_rows",
    "first_known_month",
    "indicators",
    "periods",
]
