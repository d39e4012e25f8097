"""The issue's table of requests, timed cold and warm beside their bare SQL, and closing a month."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from bench import bare
from bench.client import Client
from bench.report import Measure
from bench.server import gunicorn, has_command, roomlog
from bench.setup import LEAD, MUNICIPALITY, NATIONAL, PASSWORD, Facts
from bench.stats import share, timing
from bench.usage import usage

#: Indicators whose municipal and national totals must stay visible (data dictionary, disclosure control).
HEADLINE = frozenset(
    {"visits.total", "consumptions.total", "emergencies.total", "emergencies.acute_treatments", "referrals.total"}
)


@dataclass(frozen=True)
class Request:
    """One row of the issue's table: who asks, what, the target, and the rooms and days its numbers cover."""

    label: str
    target: str
    who: str  # lead, municipality, national, token
    path: str
    rooms: tuple[int, ...]
    first: dt.date
    last: dt.date


def month_end(month: dt.date) -> dt.date:
    """The last day of ``month``."""
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def add_months(month: dt.date, count: int) -> dt.date:
    """The first day of the month ``count`` months after ``month``."""
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def requests(f: Facts) -> list[Request]:
    """The issue's requests for this stage's data (the last closed month, its year, the busiest room-month)."""
    room, busiest = f.busiest
    last, year = f.last_closed, f.last_closed.year
    everyone = tuple(r[0] for r in f.rooms)
    kommune = tuple(r[0] for r in f.rooms if r[2] == "101")
    year_end = dt.date(year, 12, 31)
    api_first = add_months(last, -23)
    api = f"/api/v1/aggregates?from={api_first:%Y-%m}&to={last:%Y-%m}&granularity="
    since_last, since_year = (f.first, month_end(last)), (f.first, year_end)
    return [
        Request(
            "lead: busiest room-month summary",
            "< 300 ms",
            "lead",
            f"/reports/{room}/{busiest:%Y-%m}",
            (room,),
            busiest,
            month_end(busiest),
        ),
        Request(
            "lead: its PDF",
            "< 1.5 s",
            "lead",
            f"/reports/{room}/{busiest:%Y-%m}.pdf",
            (room,),
            busiest,
            month_end(busiest),
        ),
        Request(
            "municipality start page (last month)", "< 300 ms", "municipality", "/municipality/", kommune, *since_last
        ),
        Request("municipality year", "< 300 ms", "municipality", f"/municipality/?period={year}", kommune, *since_year),
        Request("national month", "< 300 ms", "national", f"/national/?period={last:%Y-%m}", everyone, *since_last),
        Request("national year", "< 300 ms", "national", f"/national/?period={year}", everyone, *since_year),
        Request(
            "national CSV for a year",
            "< 500 ms",
            "national",
            f"/national/export.csv?period={year}",
            everyone,
            *since_year,
        ),
        Request(
            "API by month, 24 months (national token)",
            "< 1 s",
            "token",
            api + "month",
            everyone,
            api_first,
            month_end(last),
        ),
        Request("API granularity=total", "< 300 ms", "token", api + "total", everyone, api_first, month_end(last)),
    ]


#: Username and password per role: the bench users (``bench.setup.ensure_users``).
BENCH_LOGINS = {"lead": (LEAD, PASSWORD), "municipality": (MUNICIPALITY, PASSWORD), "national": (NATIONAL, PASSWORD)}


def client_for(who: str, base: str, token: str, logins: dict[str, tuple[str, str]] | None = None) -> Client:
    """A client logged in as the user of that role (the bench's, or ``logins``), or carrying the API token."""
    if who == "token":
        return Client(token)
    client = Client()
    client.login(base, *(logins or BENCH_LOGINS)[who])
    return client


@dataclass
class Context:
    """What every measurement of a stage needs."""

    database: str
    years: int
    url: str
    engine: Engine
    token: str
    log: Path
    warm: int
    slow: float = 60.0
    #: Who logs in per role (default: the bench users); e.g. a demo instance's own users.
    logins: dict[str, tuple[str, str]] | None = None
    #: Whether to time the bare SQL beside each request (``BENCH_BARE=0``: timed apart, ``bench.bare_table``).
    bare: bool = True


def measure(ctx: Context, request: Request, keep: Callable[[list[bytes]], None] = lambda bodies: None) -> Measure:
    """Time a request cold (first call in a fresh worker) and warm, and its bare SQL.

    ``keep`` receives the last answer and, for a paged API answer, every further page (read after
    the timing, not timed), so that a share of hidden cells covers the whole answer, not its first page.
    """
    samples, notes = [], set()
    with gunicorn(ctx.url, ctx.log) as base:
        client = client_for(request.who, base, ctx.token, ctx.logins)
        for _ in range(1 + ctx.warm):
            seconds, status, body = client.timed(base + request.path)
            samples.append(seconds)
            if status != 200:
                notes.add(f"HTTP {status}")
            if seconds > ctx.slow:
                notes.add(f"one warm call at most: a call took over {ctx.slow:.0f} s")
                if len(samples) > 1:
                    break
        keep([body, *_further_pages(client, base, body)])
    bare_time = bare.bare_seconds(ctx.engine, request.rooms, request.first, request.last) if ctx.bare else None
    return Measure(
        ctx.database, ctx.years, request.label, request.target, timing(samples), bare_time, ", ".join(sorted(notes))
    )


def _further_pages(client: Client, base: str, body: bytes) -> list[bytes]:
    """The pages after ``body`` of a paged API answer (its ``next`` links), or nothing."""
    pages: list[bytes] = []
    while True:
        try:
            following = json.loads(pages[-1] if pages else body).get("next")
        except (ValueError, AttributeError):
            return pages
        if not following:
            return pages
        status, page = client.request(base + following)
        if status != 200:
            return pages
        pages.append(page)


def hidden_shares(bodies: list[bytes]) -> tuple[float | None, float | None]:
    """Shares of hidden cells, all and headline totals, among the published cells of an API answer (every page)."""
    try:
        rows = [row for body in bodies for row in json.loads(body)["rows"]]
    except (ValueError, KeyError, TypeError):
        return None, None
    published = [r for r in rows if r.get("suppressed") or r.get("value") is not None]
    headline = [r for r in published if r.get("room_id") is None and r.get("indicator") in HEADLINE]
    return (
        share(sum(1 for r in published if r.get("suppressed")), len(published)),
        share(sum(1 for r in headline if r.get("suppressed")), len(headline)),
    )


def close_month(ctx: Context, f: Facts) -> tuple[float | None, float | None, list[str]]:
    """Reopen the last closed month of every room (untimed), then time the lead approving it and publishing.

    Every room is reopened first, so only the last approval closes the month and publishes it (as a
    revised version), as when a month closes; reopening and approving room by room would republish
    the month after every approval.
    """
    notes: list[str] = []
    month = f.last_closed
    total = 0.0
    with gunicorn(ctx.url, ctx.log) as base:
        lead = client_for("lead", base, ctx.token, ctx.logins)
        password = (ctx.logins or BENCH_LOGINS)["lead"][1]
        csrf = lead.csrf(base + "/")
        for room_id, _name, _code in f.rooms:
            prefix = f"{base}/reports/{room_id}/{month:%Y-%m}"
            lead.request(prefix + "/reopen", {"reason": "bench: time approval again", "next": "", "csrf_token": csrf})
        for room_id, _name, _code in f.rooms:
            prefix = f"{base}/reports/{room_id}/{month:%Y-%m}"
            seconds, status, _body = lead.timed(
                prefix + "/approve", {"password": password, "backdated_reviewed": "y", "csrf_token": csrf}
            )
            total += seconds
            if status not in (302, 303):
                notes.append(f"approving room {room_id} {month:%Y-%m} answered HTTP {status}")
    publish = None
    if has_command(ctx.url, "publish"):
        started = time.perf_counter()
        with usage() as used:
            roomlog(ctx.url, "publish")
        publish = time.perf_counter() - started
        notes.append(f"closing: `roomlog publish` took {publish:.1f} s ({used.cpu:.1f} CPU-s, {used.load_text()})")
    else:
        notes.append("no `roomlog publish` in this version: publishing not timed")
    return total, publish, notes
