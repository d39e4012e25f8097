"""The pure parts of ``make bench``: timing statistics, the request table, hidden shares, rendering."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import __main__ as bench_main
from bench import bare
from bench.aggregates import _further_pages, hidden_shares, requests
from bench.publish_years import only, split
from bench.report import Measure, Results, Stage, growth_rows, markdown, markdown_table, percent, seconds, times, years
from bench.setup import Facts
from bench.stats import Timing, ratio, share, timing
from bench.usage import Usage, usage

FACTS = Facts(
    rooms=((1, "Bench København 1", "101"), (2, "Bench København 2", "101"), (3, "Bench Odense 1", "461")),
    first=dt.date(2024, 12, 1),
    last_closed=dt.date(2026, 11, 1),
    busiest=(2, dt.date(2026, 3, 1)),
    events=1000,
)


def test_the_first_call_is_cold_and_the_rest_warm() -> None:
    t = timing([5.0, 1.0, 3.0, 2.0])
    assert t.cold == 5.0 and t.warm == (1.0, 3.0, 2.0) and t.warm_median == 2.0
    assert timing([4.0]).warm_median == 4.0
    with pytest.raises(ValueError):
        timing([])


def test_ratio_and_share_have_no_value_without_a_base() -> None:
    assert ratio(3.0, 0.5) == 6.0
    assert ratio(3.0, None) is None and ratio(3.0, 0.0) is None
    assert share(1, 4) == 0.25 and share(0, 0) is None


def test_numbers_read_like_the_issue() -> None:
    assert seconds(0.0712) == "71 ms" and seconds(4.567) == "4.57 s" and seconds(None) == "–"
    assert times(57.4) == "57×" and times(1.26) == "1.3×" and times(None) == "–"
    assert times(0.0234) == "0.02×" and times(0.12) == "0.1×"
    assert percent(0.1234) == "12.3 %" and percent(None) == "–"
    assert years(1) == "1 year" and years(10) == "10 years"


def test_requests_cover_the_issues_table_for_the_stage() -> None:
    found = {r.label: r for r in requests(FACTS)}
    assert len(found) == 9
    summary = found["lead: busiest room-month summary"]
    assert summary.path == "/reports/2/2026-03" and summary.rooms == (2,)
    assert (summary.first, summary.last) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert found["lead: its PDF"].path.endswith(".pdf")
    assert found["municipality start page (last month)"].rooms == (1, 2)
    national_year = found["national year"]
    assert national_year.path == "/national/?period=2026" and national_year.rooms == (1, 2, 3)
    assert (national_year.first, national_year.last) == (dt.date(2024, 12, 1), dt.date(2026, 12, 31))
    api = found["API by month, 24 months (national token)"]
    assert api.path == "/api/v1/aggregates?from=2024-12&to=2026-11&granularity=month" and api.who == "token"
    assert found["API granularity=total"].path.endswith("granularity=total")


def test_hidden_shares_count_published_cells_and_headline_totals() -> None:
    rows = [
        {"room_id": 1, "indicator": "visits.total", "value": 10, "suppressed": False},
        {"room_id": 1, "indicator": "emergencies.naloxone", "value": None, "suppressed": True},
        {"room_id": 1, "indicator": "visitors.unique", "value": None, "suppressed": False},  # unknown
        {"room_id": None, "indicator": "visits.total", "value": 30, "suppressed": False},
        {"room_id": None, "indicator": "emergencies.total", "value": None, "suppressed": True},
    ]
    hidden, headline = hidden_shares([json.dumps({"rows": rows}).encode()])
    assert hidden == 0.5 and headline == 0.5
    assert hidden_shares([b"<html>"]) == (None, None)


def test_hidden_shares_read_every_page_of_an_answer() -> None:
    """A first page of months without data publishes nothing: the share comes from the later pages."""
    empty = [{"room_id": 1, "indicator": "visits.total", "value": None, "suppressed": False}]
    later = [
        {"room_id": 1, "indicator": "visits.total", "value": None, "suppressed": True},
        {"room_id": None, "indicator": "visits.total", "value": 30, "suppressed": False},
    ]
    assert hidden_shares([json.dumps({"rows": empty}).encode()]) == (None, None)
    hidden, headline = hidden_shares([json.dumps({"rows": rows}).encode() for rows in (empty, later)])
    assert hidden == 0.5 and headline == 0.0


def test_bare_sql_speaks_each_dialect() -> None:
    sqlite, postgresql = bare.statements("sqlite"), bare.statements("postgresql")
    assert len(sqlite) == len(bare.QUERIES)
    assert all("strftime" in q and "voided = 0" in q for q in sqlite)
    assert all("to_char" in q and "voided = false" in q for q in postgresql)


def _measure(years: int, warm: float, bare_seconds: float) -> Measure:
    return Measure("sqlite", years, "national year", "< 300 ms", Timing(warm * 2, (warm,)), bare_seconds)


def test_growth_compares_the_longest_history_with_the_shortest() -> None:
    rows = growth_rows([_measure(1, 0.2, 0.1), _measure(3, 0.3, 0.3), _measure(10, 0.4, 1.0)])
    assert rows == [("sqlite", "national year", "1 → 10", "200 ms → 400 ms", "2.0×", "10×")]
    assert growth_rows([_measure(1, 0.2, 0.1)]) == []


def test_markdown_holds_the_machine_the_tables_and_how_to_run_it() -> None:
    results = Results(
        machine={"cores": "2", "commit measured": "abc123"},
        measures=[_measure(1, 0.25, 0.05), _measure(3, 0.25, 0.1)],
        stages=[Stage("sqlite", 1, 61.0, 1_234_567, 2.5, None, 0.107, 0.0, ("no `roomlog publish`",))],
    )
    text = markdown(results)
    assert "- commit measured: abc123" in text
    assert "| sqlite | 1 | national year | < 300 ms | 500 ms | 250 ms | 50 ms | 5.0× |  |" in text
    assert "| sqlite | 1 | 1 234 567 | 1.02 min |" not in text and "| 61.00 s |" in text
    assert "10.7 %" in text and "make bench" in text and "no `roomlog publish`" in text


def test_markdown_cells_cannot_break_the_table() -> None:
    assert markdown_table(("a",), [("x|y",)]).splitlines()[-1] == "| x\\|y |"


def test_further_pages_follow_next_links_until_the_last_page() -> None:
    pages = {"/p2": {"rows": [], "next": "/p3"}, "/p3": {"rows": [], "next": None}}
    asked: list[str] = []

    class Pages:
        def request(self, url: str) -> tuple[int, bytes]:
            asked.append(url)
            return 200, json.dumps(pages[url.removeprefix("http://x")]).encode()

    first = json.dumps({"rows": [], "next": "/p2"}).encode()
    found = _further_pages(Pages(), "http://x", first)
    assert asked == ["http://x/p2", "http://x/p3"] and len(found) == 2
    assert _further_pages(Pages(), "http://x", b"<html>") == []


def test_options_set_the_knobs_and_help_lists_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for knob in ("BENCH_DB", "BENCH_YEARS", "BENCH_ROOMS", "BENCH_KEEP"):
        monkeypatch.delenv(knob, raising=False)
    monkeypatch.setenv("BENCH_ROOMS", "4")
    bench_main.arguments(["--db", "sqlite", "--years", "1,3", "--keep"])
    assert (os.environ["BENCH_DB"], os.environ["BENCH_YEARS"], os.environ["BENCH_KEEP"]) == ("sqlite", "1,3", "1")
    assert os.environ["BENCH_ROOMS"] == "4"  # not given: the environment's value stays
    with pytest.raises(SystemExit):
        bench_main.arguments(["--help"])
    assert "BENCH_GENERATE" in capsys.readouterr().out


def test_each_history_length_gets_a_database_of_its_own(tmp_path: Path) -> None:
    with (
        bench_main.database("sqlite", tmp_path, False, 3) as three,
        bench_main.database("sqlite", tmp_path, False, 10) as ten,
    ):
        assert three == f"sqlite:///{tmp_path / '3y' / 'bench.db'}" and ten.endswith("/10y/bench.db")


def test_usage_counts_the_child_processes_that_ended_and_samples_the_load() -> None:
    with usage(every=0.01) as used:
        subprocess.run([sys.executable, "-c", "sum(range(3_000_000))"], check=True)
    assert used.cpu > 0
    assert len(used.loads) >= 2 and used.load_text().startswith("load ")


def test_load_text_gives_the_range_and_mean_of_the_samples() -> None:
    assert Usage(loads=[2.0, 6.0, 4.0]).load_text() == "load 2.0–6.0 (mean 4.0)"
    assert Usage(loads=[3.0]).load_text() == "load 3.0"
    assert Usage().load_text() == "load not sampled"


def test_publish_years_deals_the_years_round_robin_and_skips_the_others() -> None:
    assert split([2019, 2017, 2018, 2020, 2021], 2) == [[2017, 2019, 2021], [2018, 2020]]
    assert split([2024], 4) == [[2024]]
    seen: list[int] = []

    def publish_year(session: object, rooms: object, year: int, *rest: object) -> list[str]:
        seen.append(year)
        return [str(year)]

    wrapped = only({2018}, publish_year)
    assert wrapped(None, None, 2017, [], []) == [] and wrapped(None, None, 2018, [], []) == ["2018"]
    assert seen == [2018]
