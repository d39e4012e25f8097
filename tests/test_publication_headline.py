"""On the demo data: every national headline total of k or more is visible, and the LP audit still passes.

National totals of the other indicators are complements only as a last resort: on the demo, national
naloxone (every month and year) and the 2022 annual report's hospital transfers stay visible.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from roomlog.auth.national_scope import national_scope
from roomlog.calendar import today_local
from roomlog.reporting.publication import sources
from roomlog.reporting.publication.audit import ranges
from roomlog.reporting.publication.exact import COUNTS, units_of
from roomlog.reporting.publication.store import exact_counts, latest
from roomlog.reporting.publication.units import HEADLINE_TOTALS, NATIONAL, kind_of_label, relations, year_labels

K = 5
#: National totals that the demo shows although they are not headline indicators, in every period of
#: its imported history (national naloxone was hidden every month from 2023-08: a municipality with one
#: room is its room, so the nearest visible complement was always the national total). In the live
#: months of the current year a small room's naloxone count can still need the national total as the
#: last complement the LP audit accepts, so the current year is not asked.
SHOWN = {"month": ("emergencies.naloxone",), "year": ("emergencies.naloxone",)}
#: The annual report's national hospital transfers of 2022 (/annual/national/2022).
TRANSFERS_2022 = ("2022", NATIONAL, "emergencies.hospital_transfers")


def test_demo_national_headline_totals_are_visible_and_no_hidden_small_count_is_pinned(
    app: Flask, runner: FlaskCliRunner, dbs: Session
) -> None:
    result = runner.invoke(args=["demo", "--months", "3"])
    assert result.exit_code == 0, result.output
    assert "Published 0 periods" not in result.output
    with national_scope(dbs):
        rooms = sources.room_infos(dbs)
        years = sorted({r.first_month.year for r in rooms if r.first_month is not None})
        checked, small_hidden = 0, 0
        for year in range(years[0], today_local().year + 1):
            months, quarters, whole = year_labels(year)
            stored = latest(dbs, [*months, *quarters, whole])
            exact: dict = {}
            hidden: set = set()
            for label, pub in stored.items():
                keys = [(unit, code) for unit, _m in units_of(rooms, label) for code in COUNTS]
                exact |= {k: v for k, v in exact_counts(pub, keys).items() if v is not None}
                hidden |= {(label, u, c) for (u, c), cell in pub.cells.items() if cell.hidden and c in COUNTS}
                shown = SHOWN.get(kind_of_label(label), ()) if year < today_local().year else ()
                for code in (*HEADLINE_TOTALS, *shown):
                    value = exact.get((label, NATIONAL, code))
                    if value is not None and value >= K:
                        checked += 1
                        assert (label, NATIONAL, code) not in hidden, (label, code, value)
            if not stored:
                continue
            found = ranges(exact, relations(list(stored), rooms, set(exact)), hidden)
            small = {k: r for k, r in found.items() if 0 < exact[k] < K}
            small_hidden += len(small)
            assert all(hi - lo >= K - 1e-6 for lo, hi in small.values()), {
                k: r for k, r in small.items() if r[1] - r[0] < K - 1e-6
            }
            if year == 2022:
                assert TRANSFERS_2022 not in hidden and exact[TRANSFERS_2022] >= K
    assert checked > 0 and small_hidden > 0, (checked, small_hidden, years, result.output[:300])
