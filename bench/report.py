"""Render bench results as a console table and as ``docs/benchmarks.md``. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.stats import Timing, ratio


@dataclass(frozen=True)
class Measure:
    """One request at one history length on one database."""

    database: str
    years: int
    request: str
    target: str
    timing: Timing | None
    bare: float | None
    note: str = ""


@dataclass(frozen=True)
class Stage:
    """Facts of one history length on one database."""

    database: str
    years: int
    generate_seconds: float
    events: int
    approve_seconds: float | None
    publish_seconds: float | None
    hidden: float | None
    hidden_headline: float | None
    notes: tuple[str, ...] = ()


@dataclass
class Results:
    """Everything one run measured, and the machine it ran on."""

    machine: dict[str, str] = field(default_factory=dict)
    measures: list[Measure] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)


def seconds(value: float | None) -> str:
    """``123 ms`` below a second, ``4.56 s`` above; ``–`` when not measured."""
    if value is None:
        return "–"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def years(count: int) -> str:
    """``1 year``, ``3 years``."""
    return f"{count} year" if count == 1 else f"{count} years"


def times(value: float | None) -> str:
    """A ratio as ``12×``, ``1.3×`` or ``0.04×`` (two figures below 0.1); ``–`` when there is none."""
    if value is None:
        return "–"
    return f"{value:.0f}×" if value >= 10 else f"{value:.1f}×" if value >= 0.095 else f"{value:.2f}×"


def percent(value: float | None) -> str:
    """A share as ``12.3 %``; ``–`` when there is none."""
    return "–" if value is None else f"{value * 100:.1f} %"


MEASURE_HEADER = ("database", "years", "request", "target", "cold", "warm", "bare SQL", "warm ÷ SQL", "note")
STAGE_HEADER = ("database", "years", "events", "generate", "approve month", "publish", "hidden", "hidden headline")


def measure_cells(m: Measure) -> tuple[str, ...]:
    """The table cells of one measure."""
    cold = m.timing.cold if m.timing else None
    warm = m.timing.warm_median if m.timing else None
    return (
        m.database,
        str(m.years),
        m.request,
        m.target,
        seconds(cold),
        seconds(warm),
        seconds(m.bare),
        times(ratio(warm, m.bare) if warm is not None else None),
        m.note,
    )


def stage_cells(s: Stage) -> tuple[str, ...]:
    """The table cells of one stage."""
    return (
        s.database,
        str(s.years),
        f"{s.events:,}".replace(",", " "),
        seconds(s.generate_seconds),
        seconds(s.approve_seconds),
        seconds(s.publish_seconds),
        percent(s.hidden),
        percent(s.hidden_headline),
    )


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain fixed-width table for the console."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in (header, *rows)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured markdown table (pipes in cells escaped)."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *(line(r) for r in rows)])


GROWTH_HEADER = ("database", "request", "years", "warm", "growth of warm", "growth of bare SQL")


def growth_rows(measures: Sequence[Measure]) -> list[tuple[str, ...]]:
    """Per database and request: warm time at the longest history ÷ at the shortest, beside the bare SQL's."""
    out = []
    keys = list(dict.fromkeys((m.database, m.request) for m in measures))
    for database, request in keys:
        same = sorted((m for m in measures if (m.database, m.request) == (database, request)), key=lambda m: m.years)
        first, last = same[0], same[-1]
        if first.years == last.years or not first.timing or not last.timing:
            continue
        out.append(
            (
                database,
                request,
                f"{first.years} → {last.years}",
                f"{seconds(first.timing.warm_median)} → {seconds(last.timing.warm_median)}",
                times(ratio(last.timing.warm_median, first.timing.warm_median)),
                times(ratio(last.bare, first.bare) if last.bare is not None else None),
            )
        )
    return out


def console(results: Results) -> str:
    """The tables printed at the end of a run."""
    return "\n\n".join(
        [
            text_table(MEASURE_HEADER, [measure_cells(m) for m in results.measures]),
            text_table(STAGE_HEADER, [stage_cells(s) for s in results.stages]),
            text_table(GROWTH_HEADER, growth_rows(results.measures)),
        ]
    )


HOW = """\
## How to run it

    make bench                                # SQLite and PostgreSQL, 1, 3 and 10 years
    BENCH_DB=sqlite BENCH_YEARS=1,3 make bench # a quicker run
    .venv/bin/python -m bench --help           # the knobs as options

Knobs (environment): `BENCH_DB` (`sqlite`, `postgresql` or both, comma-separated),
`BENCH_YEARS` (history lengths; each is generated fresh on a database of its own),
`BENCH_ROOMS` (default 10), `BENCH_WARM` (warm calls per request, default 3; one only when
a call takes over `BENCH_SLOW` seconds, default 60),
`BENCH_DIR` (where the SQLite file and logs go, default `instance/bench`), `BENCH_KEEP=1`
(reuse the database an earlier run left instead of starting afresh), `BENCH_GENERATE=0` (with
`BENCH_KEEP=1`: measure that database as it is, e.g. a copy of a `roomlog demo` file),
`BENCH_OUT` (this file), `BENCH_PUBLISH_JOBS` (SQLite: publish the fresh history's calendar years
side by side in that many processes, `python -m bench.publish_years`; default 1, `roomlog publish`).
`BENCH_BARE=0` (no bare SQL beside the requests; `python -m bench.bare_table URL` times it apart).
`python -m bench.demo --instance DIR` times the same requests on a copy of an instance.
PostgreSQL: the server of `ROOMLOG_TEST_POSTGRES_OWNER_URL` when set
(a database `roomlog_bench_<N>y` per history length, renamed with `BENCH_PGDATABASE`, is created
on it as the owner; the CLI and the bare SQL run as the
owner, gunicorn as the app role of `ROOMLOG_TEST_POSTGRES_URL`), otherwise a throwaway server
started with `.ci/postgres.sh` on `BENCH_PGPORT` (default 54340).

The data comes from `roomlog bench-data --rooms 10 --years N`: ten rooms in seven
municipalities, each at the traffic of the busiest Danish room (the demo's H17: about
6,600 visits and 7,400 consumptions a month), every finished month approved through the
app's approval service; the current month stays open. `roomlog publish` runs once after
the history is generated (every closed month, a year at a time, with the product's own
`publish_due`). `roomlog bench-data --help` for the generator alone.
"""

MEANING = """\
## What the columns mean

- **cold**: the first call of the request in a freshly started gunicorn worker (one worker,
  logged in beforehand; the operating system's file cache is warm). Each request gets its
  own fresh worker, so nothing another request computed is reused.
- **warm**: the median of the next calls in the same worker.
- **bare SQL**: the GROUP BY queries that compute the same counts (visits by outcome,
  consumptions by route and substance, emergencies by type, referrals, services and
  distinct visitors per room and month) over the rooms and months the page shows, on the
  same database file, timed outside the app (median of three runs, one when it takes over 5 s).
- **warm ÷ SQL**: how many times longer the app takes than the bare SQL. This is the
  figure that matters: the absolute times depend on the machine, the ratio much less. A
  page that reads stored monthly figures should stay near or below 1× and stay flat as
  years accumulate, while the bare SQL over "since opening" grows with the history.
- **events**: event rows in the database (visits, consumptions, emergencies and their
  actions, referrals, services); **generate**: the wall time of `roomlog bench-data`
  generating the whole history on a fresh database (bulk inserts and the approval of every
  month; its CPU seconds are in the notes).
- **approve month**: the lead's approval (HTTP, password included) of the last finished
  month of every room, summed; **publish**: `roomlog publish` after it (`–` when the app
  has no such command).
- **hidden**: the share of cells shown as `..` in the national API answer by month over
  the 24 months; **hidden headline**: the same among municipal and national totals of
  visits, consumptions, emergencies, acute treatments and referrals.
"""


def markdown(results: Results) -> str:
    """The whole ``docs/benchmarks.md``."""
    facts = "\n".join(f"- {k}: {v}" for k, v in results.machine.items())
    notes = [f"- {s.database}, {years(s.years)}: {n}" for s in results.stages for n in s.notes]
    parts = [
        "# Benchmarks",
        "Written by `make bench` (bench/). Rerun it after changing anything on the read side.",
        "## Machine and code\n\n" + facts,
        "## Requests\n\n" + markdown_table(MEASURE_HEADER, [measure_cells(m) for m in results.measures]),
        "## History, closing a month, hidden cells\n\n"
        + markdown_table(STAGE_HEADER, [stage_cells(s) for s in results.stages]),
        "## Does the cost of a fixed period stay flat as years accumulate?\n\n"
        + "Growth = the time at the longest history ÷ the time at the shortest (1.0× is flat).\n\n"
        + markdown_table(GROWTH_HEADER, growth_rows(results.measures)),
    ]
    if notes:
        parts.append("## Notes\n\n" + "\n".join(notes))
    parts += [MEANING.strip(), HOW.strip()]
    return "\n\n".join(parts) + "\n"
