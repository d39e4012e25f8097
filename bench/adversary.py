"""An outside adversary (issue #10's check): pull every published figure over HTTP, solve every relation with HiGHS.

``python -m bench.adversary --base http://127.0.0.1:5000 --token national=rlg_… --token kommune=rlg_…``

It works as someone outside the product would: HTTP only (the standard library's ``urllib``), what the
README and the data dictionary say about the figures, and HiGHS (``highspy``) to solve. It imports nothing
of ``roomlog``; ``--truth INSTANCE`` only reads the SQLite file's stored exact values afterwards, to say which
hidden cells the report lists are small counts (1..k−1).

1. **Harvest.** With each API token: ``/api/v1/aggregates`` for every closed month, quarter and year of the
   window (``granularity`` month, quarter, year), the window as one ``total``, and every prefix
   (``from=F&to=M``) and suffix (``from=M&to=T``) range as a total; with each login (``--login user:password``)
   the page CSVs of ``/national/`` or ``/municipality/`` for every month, quarter and year (each with its same
   period last year and since opening). 429 waits ``Retry-After``; answers are cached in ``--cache``.
2. **Checks.** Every figure is keyed by (unit, indicator, first month, last month): the same key with another
   value, or shown in one output and hidden in another, is a conflict; a shown count of 1..k−1, a word that
   says why a cell is hidden, a figure of a month that is not closed, a range shown while one of its calendar
   blocks is hidden, and a rate shown beside a hidden numerator are reported.
3. **LP.** Additive indicators: a variable per unit, indicator and month; each figure is the sum of its months
   (shown: equal to its value, hidden: at least 1, since zeros are shown). Rooms add up to their municipality
   and municipalities to the nation; breakdowns that split their parent (emergency types, referral targets
   and kinds) add up to it; the others are each at most the parent (routes and turned-away reasons: their sum
   too; substances: each, since a consumption can have several); naloxone ≤ naloxone doses, oxygen ≤ oxygen
   administrations. Distinct counts (``visitors.*``) are one variable per figure: a part ≤ the whole ≤ the sum
   of the parts (rooms, months), sex and age bands add up to the unique visitors, new ≤ unique ≤ visits. For
   every hidden calendar cell (month, quarter, year) the smallest and largest value, block by block
   (connected components). A cell is **narrower than k** when max − min < k (the definition of
   ``roomlog/reporting/publication/audit.py``'s ``narrow``), **pinned** when max = min.
4. **Report** (markdown, ``--out``): figures pulled, distinct figures, hidden shares, whether the national
   headline totals are shown for each closed period, and the LP result.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import hashlib
import html
import io
import json
import math
import re
import sqlite3
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import highspy
import numpy as np

Unit = tuple[str, str]  # ("room", "12") · ("municipality", "101") · ("national", "")
NATIONAL: Unit = ("national", "")
#: (unit, indicator, first month, last month)
Key = tuple[Unit, str, str, str]
#: Words that would tell a reader why a cell is hidden (a primary cell is 1..k−1).
MARKERS = re.compile(r"\b(primary|secondary|complement\w*|primær\w*|sekundær\w*)\b", re.IGNORECASE)
#: The national totals a report must carry (the issue: visits, consumptions, overdoses, acute treatments …).
HEADLINES = (
    ("visits.total", "visits"),
    ("consumptions.total", "consumptions"),
    ("emergencies.total", "emergencies (overdoses and poisonings)"),
    ("emergencies.acute_treatments", "acute treatments"),
    ("referrals.total", "referrals"),
    ("emergencies.type.opioid", "opioid overdoses"),
)
HEADLINE_TOTALS = frozenset(code for code, _ in HEADLINES[:5])
#: Not a count of persons or events (the data dictionary): never hidden for being small.
NOT_COUNTS = frozenset({"opening.days"})
RATE = "emergencies.per_1000_consumptions"
#: What the data dictionary says of the breakdowns: ``prefix → (parent, how)``. ``partition``: every record has
#: exactly one code (the parts add up to the parent); ``sum_le``: at most one code (their sum ≤ the parent);
#: ``each_le``: a record can have several (each part ≤ the parent); ``cover``: each part ≤ the parent ≤ their sum.
BREAKDOWNS: dict[str, tuple[str, str]] = {
    "emergencies.type": ("emergencies.total", "partition"),
    "referrals.target": ("referrals.total", "partition"),
    "referrals.kind": ("referrals.total", "partition"),
    "consumptions.route": ("consumptions.total", "sum_le"),
    "visits.turned_away.reason": ("visits.turned_away", "sum_le"),
    "consumptions.substance": ("consumptions.total", "each_le"),
    "visitors.sex": ("visitors.unique", "partition"),
    # A visitor may pass from one age band to the next within a period: each band ≤ unique ≤ their sum.
    "visitors.age": ("visitors.unique", "cover"),
}
#: Single bounds ``small ≤ big`` of the same unit and period.
BOUNDS = (
    ("visits.anonymous", "visits.total"),
    ("consumptions.assisted", "consumptions.total"),
    ("emergencies.acute_treatments", "emergencies.total"),
    ("emergencies.naloxone", "emergencies.total"),
    ("emergencies.oxygen", "emergencies.total"),
    ("emergencies.ventilation", "emergencies.total"),
    ("emergencies.cpr", "emergencies.total"),
    ("emergencies.ambulance_called", "emergencies.total"),
    ("emergencies.hospital_transfers", "emergencies.total"),
    ("emergencies.deaths", "emergencies.total"),
    ("emergencies.naloxone", "emergencies.naloxone_doses"),
    ("emergencies.oxygen", "emergencies.oxygen_administrations"),
    ("visitors.new", "visitors.unique"),
    ("visitors.unique", "visits.total"),
)
EPS = 1e-6


# ---------------------------------------------------------------------------------------------------- months


def month_add(month: str, n: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = month_add(m, 1)
    return out


def calendar_kind(first: str, last: str) -> str | None:
    """``month``, ``quarter`` or ``year`` when the span is one, else ``None`` (a range)."""
    if first == last:
        return "month"
    if first[:4] != last[:4]:
        return None
    a, b = int(first[5:]), int(last[5:])
    if (a, b) == (1, 12):
        return "year"
    if a % 3 == 1 and b == a + 2:
        return "quarter"
    return None


def label(first: str, last: str) -> str:
    kind = calendar_kind(first, last)
    if kind == "month":
        return first
    if kind == "quarter":
        return f"{first[:4]}-Q{(int(first[5:]) + 2) // 3}"
    if kind == "year":
        return first[:4]
    return f"{first}..{last}"


def blocks(first: str, last: str) -> list[tuple[str, str]]:
    """The largest calendar blocks (years, quarters, months) a range is the sum of (as the README says)."""
    out, m = [], first
    while m <= last:
        if m.endswith("-01") and month_add(m, 11) <= last:
            out.append((m, month_add(m, 11)))
            m = month_add(m, 12)
        elif int(m[5:]) % 3 == 1 and month_add(m, 2) <= last:
            out.append((m, month_add(m, 2)))
            m = month_add(m, 3)
        else:
            out.append((m, m))
            m = month_add(m, 1)
    return out


def key_text(key: Key) -> str:
    (kind, code), indicator, first, last = key
    unit = "national" if kind == "national" else f"{kind} {code}"
    return f"{unit} · {indicator} · {label(first, last)}"


# ---------------------------------------------------------------------------------------------------- harvest


class Http:
    """GET and POST over ``urllib`` with cookies, gzip, and patience on 429 (``Retry-After``)."""

    def __init__(self, base: str, pause: Callable[[float], None] = time.sleep) -> None:
        self.base = base.rstrip("/")
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.pause = pause
        self.requests = 0
        self.throttled = 0
        self.waited = 0.0

    def request(
        self, url: str, headers: dict[str, str] | None = None, data: bytes | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        full = url if url.startswith("http") else self.base + url
        if not full.startswith(("http://", "https://")):
            raise ValueError(f"not an http URL: {full}")
        while True:
            req = urllib.request.Request(full, data=data, headers={"Accept-Encoding": "gzip", **(headers or {})})
            self.requests += 1
            try:
                with self.opener.open(req, timeout=600) as answer:
                    status, head, body = answer.status, dict(answer.headers.items()), answer.read()
            except urllib.error.HTTPError as error:
                status, head, body = error.code, dict(error.headers.items()), error.read()
            if head.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if status != 429:
                return status, head, body
            wait = float(head.get("Retry-After") or 1)
            self.throttled += 1
            self.waited += wait
            self.pause(wait)

    def get(self, url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        return self.request(url, headers)


@dataclass
class Figure:
    key: Key
    value: float | None  # None: hidden
    source: str


@dataclass
class Harvest:
    """Everything read: figures (shown or hidden) with their source, and what a reader may object to."""

    figures: list[Figure] = field(default_factory=list)
    #: Cells that are published as zero for a unit not yet open (``not_applicable``): structural zeros.
    zeros: set[Key] = field(default_factory=set)
    rooms: dict[str, str] = field(default_factory=dict)  # room id → municipality code
    opened: dict[str, str] = field(default_factory=dict)  # room id → first open month
    #: Whether the room list is the whole country's (a national token): the nation adds up its municipalities.
    whole_country: bool = False
    additive: set[str] = field(default_factory=set)
    indicators: set[str] = field(default_factory=set)
    closed: set[str] = field(default_factory=set)  # months published (closed)
    not_closed: set[str] = field(default_factory=set)  # months answered ``not_published``
    markers: list[tuple[str, str]] = field(default_factory=list)  # (source, word)
    window: tuple[str, str] = ("", "")
    answers: int = 0
    cached: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, unit: Unit, indicator: str, first: str, last: str, value: object, hidden: bool, source: str) -> None:
        if hidden:
            self.figures.append(Figure((unit, indicator, first, last), None, source))
        elif value not in (None, ""):
            number = float(str(value).replace(",", "."))
            self.figures.append(Figure((unit, indicator, first, last), number, source))


class Cache:
    """Raw answers on disk, keyed by audience and URL, so that a rerun does not pull again."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        if folder:
            folder.mkdir(parents=True, exist_ok=True)

    def _path(self, audience: str, url: str) -> Path | None:
        if not self.folder:
            return None
        return self.folder / (hashlib.sha256(f"{audience} {url}".encode()).hexdigest()[:32] + ".bin")

    def get(self, audience: str, url: str) -> bytes | None:
        path = self._path(audience, url)
        return path.read_bytes() if path and path.exists() else None

    def put(self, audience: str, url: str, body: bytes) -> None:
        path = self._path(audience, url)
        if path:
            path.write_bytes(body)


def _unit(room: object, muni: object) -> Unit:
    if room not in (None, ""):
        return ("room", str(room))
    if muni not in (None, ""):
        return ("municipality", str(muni))
    return NATIONAL


class Harvester:
    """Pulls the API and page downloads of one server into a :class:`Harvest`."""

    def __init__(self, http: Http, cache: Cache, out: Harvest, log: Callable[[str], None] = print) -> None:
        self.http, self.cache, self.out, self.log = http, cache, out, log

    def _fetch(self, audience: str, url: str, headers: dict[str, str]) -> bytes | None:
        body = self.cache.get(audience, url)
        if body is not None:
            self.out.cached += 1
            return body
        status, _head, body = self.http.get(url, headers)
        if status != 200:
            self.out.failures.append(f"{audience} {url}: HTTP {status} {body[:200]!r}")
            return None
        self.cache.put(audience, url, body)
        return body

    def _scan(self, source: str, text: str) -> None:
        for word in MARKERS.findall(text):
            self.out.markers.append((source, word))

    # -- API

    def api_meta(self, audience: str, token: str) -> None:
        auth = {"Authorization": f"Bearer {token}"}
        body = self._fetch(audience, "/api/v1/indicators", auth)
        if body:
            for item in json.loads(body)["indicators"]:
                self.out.indicators.add(item["code"])
                if item.get("additive"):
                    self.out.additive.add(item["code"])
        body = self._fetch(audience, "/api/v1/rooms", auth)
        if body:
            for room in json.loads(body)["rooms"]:
                self.out.rooms[str(room["id"])] = str(room["municipality_code"])
                if room.get("opened"):
                    self.out.opened[str(room["id"])] = room["opened"][:7]

    def published_range(self, audience: str, token: str, first: str, last: str) -> tuple[str, str] | None:
        """The first and last month with a published figure between ``first`` and ``last`` (visits, consumptions)."""
        query = f"from={first}&to={last}&granularity=month&indicator=visits.total&indicator=consumptions.total"
        rows = self.api_rows(audience, token, query)
        for r in rows:  # an open month must show its state only: a figure of one is reported by check()
            self._api_row(r, f"{audience} api {query}")
        closed = sorted({r["coverage"]["from"] for r in rows if r.get("coverage") and r["period_kind"] == "month"})
        return (closed[0], closed[-1]) if closed else None

    def api_rows(self, audience: str, token: str, query: str) -> list[dict[str, Any]]:
        auth = {"Authorization": f"Bearer {token}"}
        url: str | None = f"/api/v1/aggregates?{query}&limit=10000"
        rows: list[dict[str, Any]] = []
        while url:
            body = self._fetch(audience, url, auth)
            if body is None:
                break
            self.out.answers += 1
            text = body.decode()
            self._scan(f"{audience} {url}", text)
            page = json.loads(text)
            rows.extend(page["rows"])
            nxt = page.get("next")
            url = urllib.parse.urlsplit(nxt)._replace(scheme="", netloc="").geturl() if nxt else None
        return rows

    def api(self, audience: str, token: str, first: str, last: str) -> None:
        months = months_between(first, last)
        queries = [f"from={first}&to={last}&granularity={g}" for g in ("month", "quarter", "year", "total")]
        queries += [f"from={first}&to={m}&granularity=total" for m in months[:-1]]
        queries += [f"from={m}&to={last}&granularity=total" for m in months[1:]]
        for query in queries:
            for r in self.api_rows(audience, token, query):
                self._api_row(r, f"{audience} api {query}")
        self.log(f"{audience}: {len(queries)} API queries, {len(self.out.figures)} figures so far")

    def _api_row(self, r: dict[str, Any], source: str) -> None:
        unit = _unit(r.get("room_id"), r.get("municipality_code"))
        if r.get("status") == "not_published" and r.get("period_kind") == "month":
            self.out.not_closed.add(str(r["period"]))
        cov = r.get("coverage")
        if r.get("missing") == "not_applicable" and r.get("period_kind") == "month":
            self.out.zeros.add((unit, r["indicator"], r["period"], r["period"]))
        if not cov:
            return
        if r.get("period_kind") == "month" and not r.get("missing"):
            self.out.closed.add(cov["from"])
        self.out.add(unit, r["indicator"], cov["from"], cov["to"], r.get("value"), bool(r.get("suppressed")), source)

    # -- pages

    def login(self, audience: str, user: str, password: str) -> bool:
        """Log in through the form (``/auth/login``, with its CSRF token when the form has one)."""
        status, _h, body = self.http.get("/auth/login")
        if status != 200:
            self.out.failures.append(f"{audience}: no login form ({status})")
            return False
        found = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body) or re.search(
            rb'value="([^"]+)"[^>]*name="csrf_token"', body
        )
        fields = {"username": user, "password": password}
        if found:
            fields["csrf_token"] = html.unescape(found.group(1).decode())
        status, head, body = self.http.request(
            "/auth/login",
            {"Content-Type": "application/x-www-form-urlencoded"},
            urllib.parse.urlencode(fields).encode(),
        )
        if b'name="password"' in body or "two-factor" in head.get("Location", "") or b"two-factor" in body:
            self.out.failures.append(f"{audience}: login as {user} failed or asks for a second factor")
            return False
        return True

    def pages(self, audience: str, page: str, first: str, last: str) -> None:
        periods = [label(m, m) for m in months_between(first, last)]
        periods += sorted({label(a, b) for a, b in blocks(first, last) if calendar_kind(a, b) != "month"})
        periods += [label(f"{y}-01", f"{y}-12") for y in range(int(first[:4]), int(last[:4]) + 1)]
        periods += [f"{y}-Q{q}" for y in range(int(first[:4]), int(last[:4]) + 1) for q in range(1, 5)]
        periods += [m for m in sorted(self.out.not_closed) if m > last][:3]  # an open month's page shows no figure
        for period in dict.fromkeys(periods):
            url = f"/{page}/export.csv?period={period}&dialect=international"
            body = self._fetch(audience, url, {})
            if body is None:
                continue
            self.out.answers += 1
            text = body.decode("utf-8-sig")
            self._scan(f"{audience} {url}", text)
            for r in csv.DictReader(io.StringIO(text)):
                if not r.get("indicator") or not r.get("first_month") or "change" in (r.get("role") or ""):
                    continue  # a change in % is no count of its period
                unit = _unit(r.get("room_id"), r.get("municipality_code") if r.get("level") != "nation" else None)
                if r.get("level") in ("nation", "national", "land"):
                    unit = NATIONAL
                self.out.add(unit, r["indicator"], r["first_month"], r["last_month"], r.get("value"),
                             r.get("hidden") == "..", f"{audience} {url}")  # fmt: skip
        self.log(f"{audience}: page CSVs of {page}, {len(self.out.figures)} figures so far")


# ---------------------------------------------------------------------------------------------------- checks


@dataclass
class Checks:
    conflicts: list[tuple[Key, list[tuple[float | None, str]]]] = field(default_factory=list)
    small: list[tuple[Key, float, str]] = field(default_factory=list)
    not_closed: list[tuple[Key, str]] = field(default_factory=list)
    derived: list[tuple[Key, str, list[tuple[str, str]]]] = field(default_factory=list)
    rate: list[tuple[Key, str]] = field(default_factory=list)
    #: Ranges shown over a hidden block whose value is a difference of shown calendar cells (Jan..Sep = year − Q4).
    differences: int = 0
    #: Shown figures reaching outside the window (since opening, last year): not checked for hidden blocks.
    outside: int = 0


class Differences:
    """Known differences of prefix sums between month boundaries, from shown cells (a weighted union-find).

    A shown cell ``a..b`` = ``v`` says P(b + 1) − P(a) = v, with P(m) the sum of the months before ``m``.
    """

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.offset: dict[str, float] = {}  # P(point) − P(parent)

    def _find(self, point: str) -> tuple[str, float]:
        self.parent.setdefault(point, point)
        self.offset.setdefault(point, 0.0)
        total, node = 0.0, point
        while self.parent[node] != node:
            total += self.offset[node]
            node = self.parent[node]
        self.parent[point], self.offset[point] = node, total
        return node, total

    def join(self, start: str, end: str, value: float) -> None:
        (ra, oa), (rb, ob) = self._find(start), self._find(end)
        if ra != rb:  # P(end) − P(start) = value: P(rb) = P(ra) + oa + value − ob
            self.parent[rb], self.offset[rb] = ra, oa + value - ob

    def difference(self, start: str, end: str) -> float | None:
        """P(end) − P(start) when the shown cells give it, else ``None``."""
        (ra, oa), (rb, ob) = self._find(start), self._find(end)
        return ob - oa if ra == rb else None


def is_count(indicator: str) -> bool:
    return indicator != RATE and indicator not in NOT_COUNTS and not indicator.endswith("per_1000_consumptions")


def distinct_figures(harvest: Harvest) -> dict[Key, float | None]:
    """One value per key (the first seen; conflicts are reported by :func:`check`)."""
    out: dict[Key, float | None] = {}
    for f in harvest.figures:
        out.setdefault(f.key, f.value)
    return out


def check(harvest: Harvest, k: int) -> Checks:
    """What no output may do: conflicts, small counts shown, open months, derived figures over hidden parts."""
    result = Checks()
    seen: dict[Key, dict[float | None, str]] = {}
    for f in harvest.figures:
        seen.setdefault(f.key, {}).setdefault(f.value, f.source)
        if f.value is not None and is_count(f.key[1]) and 0 < f.value < k:
            result.small.append((f.key, f.value, f.source))
    for key, values in seen.items():
        if len(values) > 1:
            result.conflicts.append((key, sorted(values.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))))
    figures = distinct_figures(harvest)
    differences: dict[tuple[Unit, str], Differences] = {}
    for (unit, code, a, b), value in figures.items():
        if value is not None and calendar_kind(a, b):
            differences.setdefault((unit, code), Differences()).join(a, month_add(b, 1), value)
    reported: set[Key] = set()
    outside: set[Key] = set()
    for f in harvest.figures:
        if f.key in reported:
            continue
        months = months_between(f.key[2], f.key[3])
        if harvest.not_closed and any(m in harvest.not_closed for m in months):
            result.not_closed.append((f.key, f.source))
            reported.add(f.key)
            continue
        if f.value is None:
            continue
        unit, code, first, last = f.key
        inside = not harvest.window[0] or (harvest.window[0] <= first and last <= harvest.window[1])
        if not inside:
            outside.add(f.key)  # the cells it may be a difference of were not pulled
        elif calendar_kind(first, last) is None and is_count(code):  # a rate: see the numerator check below
            hidden = [
                b for b in blocks(first, last) if (unit, code, *b) in figures and figures[(unit, code, *b)] is None
            ]
            if hidden:
                links = differences.get((unit, code))
                known = links.difference(first, month_add(last, 1)) if links else None
                if known is not None and abs(known - f.value) < EPS:
                    result.differences += 1  # e.g. Jan..Sep = the year − Q4: nothing new
                else:
                    result.derived.append((f.key, f.source, hidden))
                reported.add(f.key)
        if code == RATE and any(figures.get((unit, c, first, last), 0) is None for c in ("emergencies.total",)):
            result.rate.append((f.key, f.source))
            reported.add(f.key)
    result.outside = len(outside)
    return result


# ---------------------------------------------------------------------------------------------------- the LP


@dataclass
class Row:
    terms: dict[int, float]
    lo: float
    hi: float
    what: str


class Model:
    """Variables, linear rows and the hidden cells to bound."""

    def __init__(self) -> None:
        self.names: list[tuple[Any, ...]] = []
        self.index: dict[tuple[Any, ...], int] = {}
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.rows: list[Row] = []
        self.targets: dict[Key, dict[int, float]] = {}

    def var(self, name: tuple[Any, ...]) -> int:
        found = self.index.get(name)
        if found is None:
            found = self.index[name] = len(self.names)
            self.names.append(name)
            self.lo.append(0.0)
            self.hi.append(math.inf)
        return found

    def row(self, terms: dict[int, float], lo: float, hi: float, what: str) -> None:
        terms = {v: c for v, c in terms.items() if c}
        if terms:
            self.rows.append(Row(terms, lo, hi, what))


def _plus(*parts: dict[int, float], sign: Sequence[float] | None = None) -> dict[int, float]:
    out: dict[int, float] = {}
    for n, part in enumerate(parts):
        s = sign[n] if sign else 1.0
        for v, c in part.items():
            out[v] = out.get(v, 0.0) + s * c
    return out


def build(harvest: Harvest) -> Model:
    """The LP of everything published (see the module's docstring for the relations)."""
    model = Model()
    figures = distinct_figures(harvest)
    additive = harvest.additive or {c for c in harvest.indicators if not c.startswith("visitors.") and c != RATE}
    first, last = harvest.window
    months = months_between(first, last)
    munis: dict[str, list[str]] = {}
    for room, muni in harvest.rooms.items():
        munis.setdefault(muni, []).append(room)
    whole_country = harvest.whole_country or any(k[0] == NATIONAL for k in figures)
    units: list[Unit] = [("room", r) for r in harvest.rooms] + [("municipality", m) for m in munis]
    if whole_country:
        units.append(NATIONAL)
    codes = sorted({k[1] for k in figures})
    known_codes = frozenset(harvest.indicators) | frozenset(codes)

    def parts_of(code: str) -> list[str]:
        head, _, tail = code.rpartition(".")
        return [f"{head}.{p}" for p in tail.split("+")] if "+" in tail else [code]

    def month_expr(unit: Unit, code: str, a: str, b: str) -> dict[int, float]:
        return {model.var(("m", unit, c, m)): 1.0 for c in parts_of(code) for m in months_between(a, b)}

    def is_additive(code: str) -> bool:
        return all(c in additive for c in parts_of(code))

    def expr(key: Key) -> dict[int, float]:
        unit, code, a, b = key
        if is_additive(code):
            return month_expr(unit, code, a, b)
        return {model.var(("f", *key)): 1.0}

    # Each figure: shown = its value, hidden ≥ 1 (zeros are shown), not applicable (not open yet) = 0. The rooms'
    # opening dates are not used: imported history can start before them (the API's not_applicable says when).
    for key, value in figures.items():
        if not is_count(key[1]) or key[2] < first or key[3] > last:
            continue
        terms = expr(key)
        if value is None:
            model.row(terms, 1.0, math.inf, "hidden ≥ 1")
            if calendar_kind(key[2], key[3]):
                model.targets[key] = terms
        else:
            model.row(terms, value, value, "shown")
    for key in harvest.zeros:
        if is_additive(key[1]) and first <= key[2] <= last:
            model.row(expr(key), 0.0, 0.0, "not applicable")
    # Additive: every month of every unit, rooms → municipality → nation, breakdowns → parent.
    for code in codes:
        if not is_additive(code) or "+" in code:
            continue
        for m in months:
            for muni, rooms in munis.items():
                whole = month_expr(("municipality", muni), code, m, m)
                parts = [month_expr(("room", r), code, m, m) for r in rooms]
                model.row(_plus(*parts, whole, sign=[1.0] * len(parts) + [-1.0]), 0.0, 0.0, "rooms = municipality")
            if whole_country:
                whole = month_expr(NATIONAL, code, m, m)
                parts = [month_expr(("municipality", x), code, m, m) for x in munis]
                model.row(_plus(*parts, whole, sign=[1.0] * len(parts) + [-1.0]), 0.0, 0.0, "municipalities = nation")
    for unit in units:
        for m in months:

            def in_month(c: str, u: Unit = unit, mm: str = m) -> dict[int, float]:
                return month_expr(u, c, mm, mm)

            _breakdown_rows(model, in_month, codes, is_additive, known_codes)
    # Distinct counts: one variable per figure, bounded by its parts over rooms and months, and by visits.
    spans = sorted({(k[2], k[3]) for k in figures if k[2] >= first and k[3] <= last})
    distinct = [c for c in codes if not is_additive(c) and is_count(c)]
    for a, b in spans:
        for code in distinct:
            for muni, rooms in munis.items():
                _distinct_whole(
                    model, figures, (("municipality", muni), code, a, b), [(("room", r), code, a, b) for r in rooms]
                )
            if whole_country:
                _distinct_whole(
                    model, figures, (NATIONAL, code, a, b), [(("municipality", x), code, a, b) for x in munis]
                )
        for unit in units:
            has = {c for c in distinct if (unit, c, a, b) in figures}
            if has:

                def in_span(c: str, u: Unit = unit, aa: str = a, bb: str = b) -> dict[int, float]:
                    return month_expr(u, c, aa, bb) if is_additive(c) else {model.var(("f", u, c, aa, bb)): 1.0}

                _breakdown_rows(
                    model,
                    in_span,
                    [c for c in codes if c in has or is_additive(c)],
                    is_additive,
                    known_codes,
                    only_distinct=True,
                )
    for code in distinct:
        for unit in units:
            own = [(a, b) for a, b in spans if (unit, code, a, b) in figures]
            for a, b in own:
                inside = [(c, d) for c, d in own if a <= c and d <= b and (c, d) != (a, b)]
                # Only the largest spans inside (a month ≤ its quarter ≤ its year): the rest follows from them.
                inner = [x for x in inside if not any(y != x and y[0] <= x[0] and x[1] <= y[1] for y in inside)]
                whole = {model.var(("f", unit, code, a, b)): 1.0}
                for c, d in inner:
                    model.row(
                        _plus({model.var(("f", unit, code, c, d)): 1.0}, whole, sign=[1.0, -1.0]),
                        -math.inf,
                        0.0,
                        "part ≤ whole (time)",
                    )
                if a != b and all((m, m) in own for m in months_between(a, b)):
                    parts = [{model.var(("f", unit, code, m, m)): 1.0} for m in months_between(a, b)]
                    model.row(_plus(*parts, whole, sign=[1.0] * len(parts) + [-1.0]), 0.0, math.inf, "whole ≤ Σ months")
    return model


def _distinct_whole(model: Model, figures: dict[Key, float | None], whole: Key, parts: list[Key]) -> None:
    if whole not in figures:
        return
    known = [p for p in parts if p in figures]
    w = {model.var(("f", *whole)): 1.0}
    for p in known:
        model.row(_plus({model.var(("f", *p)): 1.0}, w, sign=[1.0, -1.0]), -math.inf, 0.0, "part ≤ whole (units)")
    if known and len(known) == len(parts):
        terms = [{model.var(("f", *p)): 1.0} for p in known]
        model.row(_plus(*terms, w, sign=[1.0] * len(terms) + [-1.0]), 0.0, math.inf, "whole ≤ Σ parts (units)")


def _breakdown_rows(
    model: Model,
    cell: Callable[[str], dict[int, float]],
    codes: Iterable[str],
    is_additive: Callable[[str], bool],
    known: frozenset[str],
    only_distinct: bool = False,
) -> None:
    """Breakdowns and bounds of one unit and span (``cell(code)``: the code's expression there).

    A partition is an equality only when every code of the breakdown (``known``) is there: a missing
    part is not a zero.
    """
    present = set(codes)
    for prefix, (parent, how) in BREAKDOWNS.items():
        children = sorted(c for c in present if c.startswith(prefix + ".") and "+" not in c)
        if parent not in present or not children or (only_distinct and is_additive(parent)):
            continue
        whole = cell(parent)
        kids = [cell(c) for c in children]
        every = {c for c in known if c.startswith(prefix + ".") and "+" not in c}
        if how == "partition" and every <= set(children):
            model.row(_plus(*kids, whole, sign=[1.0] * len(kids) + [-1.0]), 0.0, 0.0, f"{prefix} = parent")
        else:
            for kid in kids:
                model.row(_plus(kid, whole, sign=[1.0, -1.0]), -math.inf, 0.0, f"{prefix} ≤ parent")
            if how == "sum_le" or (how == "partition" and not every <= set(children)):
                model.row(_plus(*kids, whole, sign=[1.0] * len(kids) + [-1.0]), -math.inf, 0.0, f"Σ {prefix} ≤ parent")
            elif how == "cover" and every <= set(children):
                model.row(_plus(*kids, whole, sign=[1.0] * len(kids) + [-1.0]), 0.0, math.inf, f"parent ≤ Σ {prefix}")
    for small, big in BOUNDS:
        if small in present and big in present and not (only_distinct and is_additive(small) and is_additive(big)):
            model.row(_plus(cell(small), cell(big), sign=[1.0, -1.0]), -math.inf, 0.0, f"{small} ≤ {big}")


@dataclass
class Range:
    lo: float
    hi: float
    how: str  # "solved", "wide" (points prove it at least k wide), "fixed" (no free variable)


@dataclass
class BlockResult:
    name: str
    variables: int
    rows: int
    targets: int
    solves: int
    seconds: float
    finished: bool
    infeasible: bool = False


@dataclass
class Solution:
    ranges: dict[Key, Range] = field(default_factory=dict)
    blocks: list[BlockResult] = field(default_factory=list)


def _components(model: Model) -> list[tuple[list[int], list[int], list[Key]]]:
    """Independent blocks: variables linked by rows (union-find), with their rows and targets."""
    parent = list(range(len(model.names)))

    def find(v: int) -> int:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    def link(vs: Iterable[int]) -> None:
        it = iter(vs)
        first = next(it, None)
        if first is None:
            return
        a = find(first)
        for v in it:
            b = find(v)
            if a != b:
                parent[b] = a

    for row in model.rows:
        link(row.terms)
    for terms in model.targets.values():
        link(terms)
    comps: dict[int, tuple[list[int], list[int], list[Key]]] = {}
    for v in range(len(model.names)):
        comps.setdefault(find(v), ([], [], []))[0].append(v)
    for n, row in enumerate(model.rows):
        comps[find(next(iter(row.terms)))][1].append(n)
    for key, terms in model.targets.items():
        comps[find(next(iter(terms)))][2].append(key)
    return [c for c in comps.values() if c[2]]


def _block_name(model: Model, variables: list[int]) -> str:
    families = sorted({str(model.names[v][2]).split(".")[0] for v in variables[:5000]})
    return "+".join(families)


def solve(model: Model, k: int, seconds: float, log: Callable[[str], None] = print) -> Solution:
    """min and max of every target, block by block; cells proven at least k wide by feasible points are not solved."""
    out = Solution()
    for variables, rows, targets in sorted(_components(model), key=lambda c: len(c[0])):
        found, block = _solve_block(model, variables, rows, targets, k, seconds)
        out.ranges.update(found)
        out.blocks.append(block)
        if block.variables > 200 or not block.finished:
            log(
                f"block {block.name}: {block.variables} variables, {block.rows} rows, {block.targets} hidden,"
                f" {block.solves} solves, {block.seconds:.1f} s{'' if block.finished else ' (not finished)'}"
            )
    return out


def _solve_block(
    model: Model, variables: list[int], rows: list[int], targets: list[Key], k: int, seconds: float
) -> tuple[dict[Key, Range], BlockResult]:
    """One HiGHS model, re-solved warm with each target as the objective (min, then max)."""
    started = time.monotonic()
    col = {v: n for n, v in enumerate(variables)}
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(seconds))
    inf = highspy.kHighsInf
    n_cols = len(variables)
    h.addVars(
        n_cols,
        np.array([model.lo[v] for v in variables], dtype=np.float64),
        np.array([min(model.hi[v], inf) for v in variables], dtype=np.float64),
    )
    for r in rows:
        row = model.rows[r]
        idx = np.array([col[v] for v in row.terms], dtype=np.int32)
        val = np.array(list(row.terms.values()), dtype=np.float64)
        h.addRow(max(row.lo, -inf), min(row.hi, inf), len(idx), idx, val)
    t_idx = [np.array([col[v] for v in model.targets[t]], dtype=np.int32) for t in targets]
    t_val = [np.array(list(model.targets[t].values()), dtype=np.float64) for t in targets]
    flat_idx, flat_val = np.concatenate(t_idx), np.concatenate(t_val)
    starts = np.cumsum([0] + [len(i) for i in t_idx[:-1]])
    # Every solution is a feasible point: the values each target takes over them bound its range from inside.
    seen_lo = np.full(len(targets), math.inf)
    seen_hi = np.full(len(targets), -math.inf)
    all_cols, zeros = np.arange(n_cols, dtype=np.int32), np.zeros(n_cols)
    found: dict[Key, Range] = {}
    solves, finished, infeasible = 0, True, False
    for n, key in enumerate(targets):
        if seen_hi[n] - seen_lo[n] >= k - EPS:
            found[key] = Range(float(seen_lo[n]), float(seen_hi[n]), "wide")
            continue
        if time.monotonic() - started > seconds:
            finished = False
            break
        bounds: list[float] = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            h.changeColsCost(n_cols, all_cols, zeros)
            h.changeColsCost(len(t_idx[n]), t_idx[n], t_val[n])
            h.changeObjectiveSense(sense)
            h.run()
            solves += 1
            status = h.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal:
                bounds.append(float(h.getInfo().objective_function_value))
                values = np.add.reduceat(np.asarray(h.getSolution().col_value)[flat_idx] * flat_val, starts)
                np.minimum(seen_lo, values, out=seen_lo)
                np.maximum(seen_hi, values, out=seen_hi)
            elif status == highspy.HighsModelStatus.kUnbounded:
                bounds.append(math.inf)
            else:
                infeasible = status == highspy.HighsModelStatus.kInfeasible
                finished = False
                break
        if not finished:
            break
        found[key] = Range(bounds[0], bounds[1], "solved")
    block = BlockResult(
        _block_name(model, variables), n_cols, len(rows), len(targets), solves, time.monotonic() - started,
        finished, infeasible,
    )  # fmt: skip
    return found, block


# ---------------------------------------------------------------------------------------------------- truth


def truth(instance: Path) -> dict[Key, float]:
    """The exact values of the stored calendar cells (newest version of each period), to label small counts."""
    db = next((p for p in (instance / "roomlog.sqlite3", instance) if p.is_file()), None)
    if db is None:
        raise SystemExit(f"no SQLite file at {instance}")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT p.period, c.unit_kind, c.unit_key, c.indicator, c.exact FROM published_cells c"
            " JOIN publications p ON p.id = c.publication_id"
            " WHERE p.version = (SELECT MAX(q.version) FROM publications q WHERE q.period = p.period)"
        ).fetchall()
    finally:
        con.close()
    out: dict[Key, float] = {}
    for period, kind, unit_key, indicator, exact in rows:
        if exact is None:
            continue
        if "-Q" in period:
            q = int(period[-1])
            first, last = f"{period[:4]}-{3 * q - 2:02d}", f"{period[:4]}-{3 * q:02d}"
        elif len(period) == 4:
            first, last = f"{period}-01", f"{period}-12"
        else:
            first = last = period
        unit: Unit = NATIONAL if kind == "national" else (str(kind), str(unit_key))
        out[(unit, indicator, first, last)] = float(exact)
    return out


# ---------------------------------------------------------------------------------------------------- report


def _pct(part: int, whole: int) -> str:
    return f"{part:,} of {whole:,} ({100 * part / whole:.1f} %)" if whole else "0 of 0"


def report(
    harvest: Harvest,
    checks: Checks,
    solution: Solution | None,
    k: int,
    http: Http | None = None,
    exact: dict[Key, float] | None = None,
    command: str = "",
) -> str:
    first, last = harvest.window
    figures = {key: v for key, v in distinct_figures(harvest).items() if first <= key[2] and key[3] <= last}
    counts = {key: v for key, v in figures.items() if is_count(key[1])}
    lines = ["# Outside adversary (bench.adversary)", ""]
    if command:
        lines += [f"`{command}`", ""]
    lines += [
        f"- window: {first} .. {last}; closed months seen: {len(harvest.closed)}; months answered `not_published`"
        f" after the first closed one: {', '.join(m for m in sorted(harvest.not_closed) if m > first) or 'none'}",
        f"- answers read: {harvest.answers:,} ({harvest.cached:,} from the cache)"
        + (
            f"; HTTP requests {http.requests:,}, 429 answers {http.throttled} ({http.waited:.0f} s waited)"
            if http
            else ""
        ),
        f"- figures pulled: {len(harvest.figures):,}; distinct figures (unit, indicator, first, last month) in the"
        f" window: {len(figures):,}",
    ]
    hidden = [key for key, v in counts.items() if v is None]
    cal = [key for key in counts if calendar_kind(key[2], key[3])]
    lines.append(f"- hidden, all counts: {_pct(len(hidden), len(counts))}; calendar cells only:"
                 f" {_pct(sum(1 for key in cal if counts[key] is None), len(cal))}")  # fmt: skip
    for level in ("municipality", "national"):
        heads = [key for key in cal if key[0][0] == level and key[1] in HEADLINE_TOTALS]
        share = _pct(sum(1 for h in heads if counts[h] is None), len(heads))
        lines.append(f"- hidden headline totals ({level}, calendar cells): {share}")
    if harvest.failures:
        lines += ["", f"**Requests that failed ({len(harvest.failures)}):**", ""]
        lines += [f"- {f}" for f in harvest.failures[:20]]
    lines += ["", "## Checks", ""]
    lines += [
        f"- conflicts (same figure, another value or shown vs hidden): **{len(checks.conflicts)}**",
        f"- shown counts of 1..{k - 1}: **{len(checks.small)}**",
        f"- words that say why a cell is hidden: **{len(harvest.markers)}**",
        f"- figures of a month that is not closed: **{len(checks.not_closed)}**",
        f"- ranges shown while a calendar block of them is hidden, and not a difference of shown cells:"
        f" **{len(checks.derived)}** (a difference of shown cells, e.g. Jan..Sep = year − Q4: {checks.differences:,};"
        f" reaching outside the window, not checked: {checks.outside:,})",
        f"- rates shown beside a hidden numerator: **{len(checks.rate)}**",
    ]
    for key, values in checks.conflicts[:10]:
        lines.append(
            f"  - conflict {key_text(key)}: " + "; ".join(f"{'..' if v is None else v:} ({s})" for v, s in values)
        )
    for key, value, source in checks.small[:10]:
        lines.append(f"  - small {key_text(key)} = {value:g} ({source})")
    for source, word in harvest.markers[:10]:
        lines.append(f"  - marker {word!r} in {source}")
    for key, source in checks.not_closed[:10]:
        lines.append(f"  - not closed {key_text(key)} ({source})")
    for key, source, parts in checks.derived[:10]:
        lines.append(f"  - derived {key_text(key)} shown, hidden block(s) {parts} ({source})")
    for key, source in checks.rate[:10]:
        lines.append(f"  - rate {key_text(key)} shown ({source})")
    lines += ["", "## National headline totals of every closed period", ""]
    lines += ["| period | " + " | ".join(name for _c, name in HEADLINES) + " |", "|---" * (len(HEADLINES) + 1) + "|"]
    periods: list[tuple[str, str]] = [(m, m) for m in months_between(first, last) if m in harvest.closed]
    for y in range(int(first[:4]), int(last[:4]) + 1):
        periods += [(f"{y}-{3 * q - 2:02d}", f"{y}-{3 * q:02d}") for q in range(1, 5)]
        periods.append((f"{y}-01", f"{y}-12"))
    tally = dict.fromkeys((c for c, _ in HEADLINES), 0)
    shown_periods = 0
    for a, b in periods:
        if a < first or b > last or not all(m in harvest.closed for m in months_between(a, b)):
            continue
        shown_periods += 1
        cells = []
        for code, _name in HEADLINES:
            v = figures.get((NATIONAL, code, a, b), "missing")
            cells.append("–" if v == "missing" else (".." if v is None else f"{v:,.0f}"))
            tally[code] += v is not None and v != "missing"
        lines.append(f"| {label(a, b)} | " + " | ".join(cells) + " |")
    lines.append("| **shown** | " + " | ".join(f"{tally[c]} of {shown_periods}" for c, _ in HEADLINES) + " |")
    if solution is not None:
        lines += _lp_report(solution, k, exact, counts)
    return "\n".join(lines) + "\n"


def _truth_of(key: Key, exact: dict[Key, float]) -> float | None:
    if key in exact:
        return exact[key]
    months = months_between(key[2], key[3])
    values = [exact.get((key[0], key[1], m, m)) for m in months]
    return None if any(v is None for v in values) else float(sum(v for v in values if v is not None))


def _lp_report(
    solution: Solution, k: int, exact: dict[Key, float] | None, counts: dict[Key, float | None]
) -> list[str]:
    lines = ["", "## LP (HiGHS): every hidden calendar cell against every published relation", ""]
    narrow = {key: r for key, r in solution.ranges.items() if r.hi - r.lo < k - EPS}
    pinned = {key: r for key, r in narrow.items() if r.hi - r.lo < EPS * max(1.0, abs(r.hi))}
    solved = sum(1 for r in solution.ranges.values() if r.how == "solved")
    targets = sum(b.targets for b in solution.blocks)
    unfinished = [b for b in solution.blocks if not b.finished or b.infeasible]
    lines += [
        f"- blocks (connected components with a hidden cell): {len(solution.blocks)}; the largest:"
        f" {max((b.variables for b in solution.blocks), default=0):,} variables",
        f"- hidden calendar cells: {targets:,}; bounded: {len(solution.ranges):,} ({solved:,} solved,"
        f" {len(solution.ranges) - solved:,} proven at least k wide by feasible points);"
        f" {sum(b.solves for b in solution.blocks):,} LP solves,"
        f" {sum(b.seconds for b in solution.blocks):.0f} s",
        f"- **narrower than k** (max − min < {k}): **{len(narrow)}**;"
        f" of them **pinned** (max = min): **{len(pinned)}**",
        f"- blocks not finished (time limit) or infeasible: **{len(unfinished)}**"
        + "".join(
            f"; {b.name} ({b.variables} variables, {b.targets} hidden, {'infeasible' if b.infeasible else 'time'})"
            for b in unfinished
        ),
    ]
    if exact is not None:
        small = {key for key in narrow if (t := _truth_of(key, exact)) is not None and 0 < t < k}
        hidden_small = sum(1 for key, v in counts.items() if v is None and calendar_kind(key[2], key[3])
                           and (t := _truth_of(key, exact)) is not None and 0 < t < k)  # fmt: skip
        lines.append(
            f"- with `--truth`: hidden small counts (1..{k - 1}) {hidden_small:,}; narrower than k: **{len(small)}**"
        )
    if narrow:
        lines += ["", "| hidden cell | min | max | true value |", "|---|---|---|---|"]
        for key, r in sorted(narrow.items(), key=lambda kv: (kv[1].hi - kv[1].lo, key_text(kv[0])))[:40]:
            t = _truth_of(key, exact) if exact is not None else None
            lines.append(f"| {key_text(key)} | {r.lo:g} | {r.hi:g} | {'' if t is None else f'{t:g}'} |")
        if len(narrow) > 40:
            lines.append(f"| … {len(narrow) - 40} more | | | |")
    by_family: dict[str, list[int]] = {}
    for key in solution.ranges:
        fam = by_family.setdefault(key[1].split(".")[0], [0, 0, 0])
        fam[0] += 1
        fam[1] += key in narrow
        fam[2] += key in pinned
    lines += ["", "| family | hidden calendar cells bounded | narrower than k | pinned |", "|---|---|---|---|"]
    lines += [f"| {f} | {a:,} | {b} | {c} |" for f, (a, b, c) in sorted(by_family.items())]
    return lines


# ---------------------------------------------------------------------------------------------------- CLI


def _pairs(values: Sequence[str], what: str) -> list[tuple[str, str]]:
    out = []
    for value in values:
        name, sep, rest = value.partition("=" if what == "token" else ":")
        if not sep or not rest:
            raise SystemExit(f"--{what} wants NAME{'=' if what == 'token' else ':'}VALUE, got {value!r}")
        out.append((name, rest))
    return out


def _redacted(argv: list[str]) -> list[str]:
    """The command line without secrets: token values and passwords are cut."""
    out = []
    for n, a in enumerate(argv):
        before = argv[n - 1] if n else ""
        if before == "--login" or a.startswith("--login="):
            a = re.sub(r":.*$", ":…", a)
        out.append(re.sub(r"(rlg_)[\w-]+", r"\1…", a))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.adversary", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:5000", help="the server's address")
    parser.add_argument("--token", action="append", default=[], help="AUDIENCE=rlg_… (repeat: national, kommune …)")
    parser.add_argument("--login", action="append", default=[], help="USER:PASSWORD of a national or municipality user")
    parser.add_argument("--from", dest="first", help="first month (default: the first published month)")
    parser.add_argument("--to", dest="last", help="last month (default: the last published month)")
    parser.add_argument("--k", type=int, default=5, help="the threshold k (default 5)")
    parser.add_argument("--cache", type=Path, help="folder for the raw answers (a rerun reads them from there)")
    parser.add_argument("--seconds", type=float, default=600.0, help="time limit per LP block (default 600)")
    parser.add_argument("--no-lp", action="store_true", help="harvest and check only")
    parser.add_argument("--truth", type=Path, help="instance folder (or SQLite file): label the small counts")
    parser.add_argument("--out", type=Path, help="write the markdown report here too")
    args = parser.parse_args(argv)
    tokens, logins = _pairs(args.token, "token"), _pairs(args.login, "login")
    if not tokens and not logins:
        parser.error("give at least one --token or --login")

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    http = Http(args.base)
    harvest = Harvest()
    harvester = Harvester(http, Cache(args.cache), harvest, log)
    for audience, token in tokens:
        harvester.api_meta(audience, token)
    first, last = args.first, args.last
    if tokens:
        found = harvester.published_range(tokens[0][0], tokens[0][1], "1990-01", time.strftime("%Y-%m"))
        if found is None:
            raise SystemExit("no published month found")
        first, last = first or found[0], last or found[1]
    if not first or not last:
        raise SystemExit("give --from and --to")
    harvest.window = (first, last)
    log(f"window {first} .. {last}")
    for audience, token in tokens:
        harvester.api(audience, token, first, last)
    for user, password in logins:
        pages_http = Http(args.base)
        pages = Harvester(pages_http, Cache(args.cache), harvest, log)
        if pages.login(user, user, password):
            status, _h, _b = pages_http.get("/national/")
            pages.pages(user, "national" if status == 200 else "municipality", first, last)
        http.requests += pages_http.requests
        http.throttled += pages_http.throttled
    checks = check(harvest, args.k)
    solution = None
    if not args.no_lp:
        model = build(harvest)
        log(
            f"LP: {len(model.names):,} variables, {len(model.rows):,} rows,"
            f" {len(model.targets):,} hidden calendar cells"
        )
        solution = solve(model, args.k, args.seconds, log)
    exact = truth(args.truth) if args.truth else None
    command = "python -m bench.adversary " + " ".join(_redacted(list(argv if argv is not None else sys.argv[1:])))
    text = report(harvest, checks, solution, args.k, http, exact, command)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
