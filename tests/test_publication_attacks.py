"""Red team (docs/attacks.md, attack 1): every output at once, every indicator together, solved with an LP.

``test_publication.py`` attacks one indicator at a time through the API, and the page downloads'
own periods. This attacker reads what a national and a municipality reader can download — the
API (months, quarters, years and every prefix and suffix range as totals), the page CSV and XLSX
of every month, quarter and year with their *last year* and *since opening* figures, and the
annual workbooks — keys every figure by the months it covers, and relates them all: any figure
is the sum of its months, rooms → municipality → nation, breakdowns → parent. It then asks HiGHS
how tightly each hidden cell is pinned, and checks what no output may do at all.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterable

import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.models import Publication, PublishedCell
from roomlog.reporting.indicators import BY_CODE, Kind
from roomlog.reporting.publication.audit import ranges
from roomlog.reporting.publication.units import ADDITIVE, COUNT_CODES, NATIONAL, Relation, _breakdowns
from tests.support.apps import AuthActions
from tests.support.factories import Factory
from tests.support.worlds import World, bearer, build_world

K = 5
YEARS = (2021, 2022)
MONTHS = [f"{y}-{m:02d}" for y in YEARS for m in range(1, 13)]
LABELS = [*MONTHS, *(f"{y}-Q{q}" for y in YEARS for q in range(1, 5)), *(str(y) for y in YEARS)]
#: Words that would tell a reader why a cell is hidden (a primary cell is 1..k-1).
MARKERS = re.compile(r"\b(primary|secondary|complement\w*|primær|sekundær)\b", re.IGNORECASE)
#: The world's history has these three indicators (every other one is unknown: no published value).
WITH_DATA = "".join(
    f"&indicator={c}" for c in ("consumptions.total", "emergencies.total", "emergencies.acute_treatments")
)
Unit = tuple[str, str]
#: ``(first month, last month, unit, indicator)`` → ``(value or None, hidden)``.
Figures = dict[tuple[str, str, Unit, str], tuple[int | None, bool]]


@pytest.fixture
def world(make: Factory, dbs: Session) -> World:
    return build_world(make, dbs)


class Collected:
    """Every figure read from the outputs, with what a reader may object to on the way."""

    def __init__(self) -> None:
        self.figures: Figures = {}
        self.munis: dict[str, set[Unit]] = {}
        self.conflicts: list[tuple] = []
        self.small: list[tuple] = []

    def add(self, first: str, last: str, room: str | None, muni: str | None, code: str, value: object, hidden: bool,
            source: str) -> None:  # fmt: skip
        if all(c in BY_CODE for c in _parts_of(code)) and BY_CODE[_parts_of(code)[0]].kind == Kind.RATE:
            return  # a rate is no count
        if value in (None, "") and not hidden:
            return  # an empty figure (unknown, not applicable) is no published value
        unit: Unit = ("room", str(room)) if room else (("municipality", str(muni)) if muni else NATIONAL)
        if room:
            self.munis.setdefault(str(muni), set()).add(unit)
        number = None if hidden else int(float(str(value).replace(",", ".")))
        key, seen = (first, last, unit, code), (number, hidden)
        if self.figures.setdefault(key, seen) != seen:
            self.conflicts.append((key, self.figures[key], seen, source))
        if number is not None and 0 < number < K and code != "opening.days":
            self.small.append((key, number, source))


def _parts_of(code: str) -> list[str]:
    """The indicators a merged category of a report is the sum of (``consumptions.route.sniff+oral``)."""
    head, _, tail = code.rpartition(".")
    return [f"{head}.{part}" for part in tail.split("+")] if "+" in tail else [code]


def _months(first: str, last: str) -> list[str]:
    return [m for m in MONTHS if first <= m <= last]


def _api(client: FlaskClient, token: str, out: Collected) -> None:
    queries = [f"from=2021-01&to=2022-12&granularity={g}" for g in ("month", "quarter", "year", "total")]
    for a, b in itertools.combinations_with_replacement(range(len(MONTHS)), 2):
        if a == 0 or b == len(MONTHS) - 1:  # every prefix and suffix range
            queries.append(f"from={MONTHS[a]}&to={MONTHS[b]}&granularity=total")
    for query in queries:
        url = f"/api/v1/aggregates?{query}&limit=10000{WITH_DATA}"
        body = client.get(url, headers=bearer(token))
        assert body.status_code == 200, url
        assert not MARKERS.search(body.get_data(as_text=True)), url
        for r in body.get_json()["rows"]:
            cov = r["coverage"] or {}
            if cov:
                out.add(cov["from"], cov["to"], r["room_id"], r["municipality_code"], r["indicator"], r["value"],
                        r["suppressed"], url)  # fmt: skip


def _long_rows(rows: Iterable[dict], out: Collected, source: str) -> None:
    """Rows of the long format (international dialect) of a page or annual download."""
    for r in rows:
        if r.get("role") == "change_on_last_year" or not r.get("indicator"):
            continue
        out.add(str(r["first_month"]), str(r["last_month"]), r["room_id"], r["municipality_code"], r["indicator"],
                r["value"], r["hidden"] == "..", source)  # fmt: skip


def _xlsx_rows(data: bytes) -> list[dict]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    for sheet in book.worksheets:
        rows = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
        for at, header in enumerate(rows):
            if "first_month" in header and "hidden" in header:
                return [dict(zip(header, row, strict=False)) for row in rows[at + 1 :]]
    return []


def _text_of_xlsx(data: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return " ".join(str(v) for s in book.worksheets for row in s.iter_rows(values_only=True) for v in row if v)


def _downloads(client: FlaskClient, page: str, out: Collected) -> None:
    for label in LABELS if page == "national" else [x for x in LABELS if len(x) == 4 or "-Q" in x]:
        for fmt in ("csv", "xlsx") if label == "2022" else ("csv",):
            url = f"/{page}/export.{fmt}?period={label}&dialect=international"
            got = client.get(url)
            assert got.status_code == 200, url
            if fmt == "csv":
                text = got.get_data(as_text=True).lstrip("\ufeff")
                assert not MARKERS.search(text), url
                _long_rows(csv.DictReader(io.StringIO(text)), out, url)
            else:
                assert not MARKERS.search(_text_of_xlsx(got.data)), url
                _long_rows(_xlsx_rows(got.data), out, url)


def _annual(client: FlaskClient, paths: list[str], out: Collected) -> None:
    for path in paths:
        got = client.get(f"{path}.xlsx?dialect=international")
        assert got.status_code == 200, path
        assert not MARKERS.search(_text_of_xlsx(got.data)), path
        _long_rows(_xlsx_rows(got.data), out, path)
        assert not MARKERS.search(client.get(path).get_data(as_text=True)), path


def _blocks(first: str, last: str, spans: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """The calendar blocks (years, quarters, months) a range is the sum of."""
    months, out, i = _months(first, last), [], 0
    while i < len(months):
        m = months[i]
        if m.endswith("-01") and i + 11 < len(months):
            out.append((m, months[i + 11]))
            i += 12
        elif (int(m[5:]) - 1) % 3 == 0 and i + 2 < len(months) and (m, months[i + 2]) in spans:
            out.append((m, months[i + 2]))
            i += 3
        else:
            out.append((m, m))
            i += 1
    return out


def _calendar(first: str, last: str) -> bool:
    same_year = first[:4] == last[:4]
    return first == last or (same_year and (first[5:], last[5:]) in {("01", "03"), ("04", "06"), ("07", "09"),
                                                                       ("10", "12"), ("01", "12")})  # fmt: skip


def _relations(out: Collected) -> list[Relation]:
    """Every relation between the figures: sums over months, rooms → municipality → nation, breakdowns."""

    def key(first: str, last: str, unit: Unit, code: str) -> tuple:
        return (f"{first}..{last}", unit, code)

    has = {key(*k) for k in out.figures}
    spans: dict[tuple[Unit, str], set[tuple[str, str]]] = {}
    for first, last, unit, code in out.figures:
        spans.setdefault((unit, code), set()).add((first, last))
    rels: list[Relation] = []
    for (unit, code), found in spans.items():
        for first, last in found:
            months = _months(first, last)
            if code not in ADDITIVE or len(months) < 2 or not all((m, m) in found for m in months):
                continue
            terms = ((key(first, last, unit, code), -1), *((key(m, m, unit, code), 1) for m in months))
            rels.append(Relation(terms, True))
    for first, last in {(k[0], k[1]) for k in out.figures}:
        label = f"{first}..{last}"
        for code in COUNT_CODES:
            totals = []
            for muni, rooms in out.munis.items():
                whole, parts = (label, ("municipality", muni), code), [(label, r, code) for r in rooms]
                totals.append(whole)
                rels += _whole(whole, parts, has, code)
            rels += _whole((label, NATIONAL, code), totals, has, code)
        for unit in {k[2] for k in out.figures if (k[0], k[1]) == (first, last)}:
            rels += _breakdowns(label, unit, has)
            for code in {k[3] for k in out.figures if "+" in k[3] and (k[0], k[1], k[2]) == (first, last, unit)}:
                parts = [(label, unit, c) for c in _parts_of(code)]
                if all(p in has for p in parts):
                    rels.append(Relation(((((label, unit, code), -1), *((p, 1) for p in parts))), True))
    return rels


def _whole(whole: tuple, parts: list[tuple], has: set[tuple], code: str) -> list[Relation]:
    known = [p for p in parts if p in has]
    if whole not in has or not known:
        return []
    if code in ADDITIVE and len(known) == len(parts):
        return [Relation(((whole, -1), *((p, 1) for p in known)), True)]
    return [Relation(((p, 1), (whole, -1)), False) for p in known]


def test_an_attacker_with_every_output_pins_down_no_hidden_small_count(
    client: FlaskClient, world: World, auth: AuthActions, dbs: Session
) -> None:
    out = Collected()
    _api(client, world.national_token, out)  # a municipality's token gets a subset of the same cells
    auth.login("ministeriet")
    _downloads(client, "national", out)
    _annual(client, ["/annual/national/2022", "/annual/101/2022", "/annual/461/2021"], out)
    auth.logout()
    auth.login("kbh")
    _downloads(client, "municipality", out)

    assert not out.conflicts, out.conflicts[:5]  # every output says the same of the same figure
    assert not out.small, out.small[:5]  # no count of 1..k-1 is shown anywhere
    hidden = {(f"{a}..{b}", u, c) for (a, b, u, c), (_v, h) in out.figures.items() if h}
    assert hidden, "the world has hidden cells to attack"
    spans = {(a, b) for a, b, _u, _c in out.figures}
    shown_with_hidden_part = [
        k
        for k, (_v, h) in out.figures.items()
        if not h and not _calendar(k[0], k[1]) and any(
            out.figures.get((a, b, k[2], k[3]), (None, True))[1] for a, b in _blocks(k[0], k[1], spans)
        )
    ]  # fmt: skip
    assert not shown_with_hidden_part, shown_with_hidden_part[:5]  # a derived figure with a hidden part is ".."

    exact = {(f"{a}..{b}", u, c): v or 0 for (a, b, u, c), (v, h) in out.figures.items() if not h}
    truth = _truth(dbs)
    small = {k for k in hidden if 0 < sum(truth.get((m, k[1], k[2]), 0) for m in _months(*k[0].split(".."))) < K}
    assert small, "the world has hidden small counts"
    found = ranges({**exact, **dict.fromkeys(hidden, 1)}, _relations(out), hidden, small)
    narrow = {k: r for k, r in found.items() if r[1] - r[0] < K - 1e-6}
    assert not narrow, sorted(narrow.items())[:5]  # no hidden small count is pinned to fewer than k values


def _truth(dbs: Session) -> dict[tuple[str, Unit, str], int]:
    """The exact monthly counts behind the published cells (what the attacker must not learn)."""
    rows = dbs.execute(
        select(Publication.period, Publication.version, PublishedCell.unit_kind, PublishedCell.unit_key,
               PublishedCell.indicator, PublishedCell.exact)
        .join(PublishedCell, PublishedCell.publication_id == Publication.id)
        .where(Publication.kind == "month")
        .order_by(Publication.version)
    )  # fmt: skip
    return {(p, (kind, key), code): int(value or 0) for p, _v, kind, key, code, value in rows}
