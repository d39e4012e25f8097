"""Walk every aggregate page and output over a database with history gaps (issue #11 items 1–2).

Rooms: «Gammel» (101, opened 2019) with history for 2021 (no naloxone) and 2023, a gap in
2022 and one month with events (2024-03); «Ny» (101, opened 2023) with history for 2023;
«Fyn» (461, opened 2021) with history for 2021–2023. Every other room-month has no data:
it is unknown, never 0. Checked on the municipality, national and annual pages (HTML, PDF
text, XLSX, CSV) and the API (JSON, CSV) for the nation, a municipality and a room.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from roomlog.models import Room
from roomlog.models.codes import Role
from roomlog.reporting.indicators import BY_CODE
from roomlog.reporting.publication.coverage import LARGER
from roomlog.services.tokens import create_token
from tests.support.apps import AuthActions
from tests.support.factories import Factory
from tests.support.worlds import bearer, history, publish
from tests.test_annual_national import pdf_text

ACUTE = "emergencies.acute_treatments"
FULL = {"consumptions_total": 120, "emergencies_total": 12, ACUTE: 9, "visits_total": 90, "referrals_total": 7}
PERIODS = ("2019-05", "2021-Q2", "2022", "2023", "2024-03")
MONTH = re.compile(r"^\d{4}-\d{2}$")
NUM = re.compile(r"^[+-]?\d[\d.]*(,\d+)?$")


def _history_year(dbs: Session, room: Room, year: int, **values: int) -> None:
    for month in range(1, 13):
        history(dbs, room, f"{year}-{month:02d}", **values)


@pytest.fixture
def gaps(make: Factory, dbs: Session) -> dict[str, object]:
    gammel = make.room("Gammel", "101", opened_on=dt.date(2019, 1, 1))
    ny = make.room("Ny", "101", opened_on=dt.date(2023, 1, 1))
    fyn = make.room("Fyn", "461", opened_on=dt.date(2021, 1, 1))
    _history_year(dbs, gammel, 2021, **FULL)
    _history_year(dbs, gammel, 2023, **FULL, emergencies_naloxone=6)
    _history_year(dbs, ny, 2023, **FULL, emergencies_naloxone=6)
    for year in (2021, 2022, 2023):
        _history_year(dbs, fyn, year, **FULL, emergencies_naloxone=6)
    day = dt.datetime(2024, 3, 12, 11, 0, tzinfo=dt.UTC)
    for n in range(6):
        visit = make.visit(gammel, day + dt.timedelta(hours=n))
        make.consumption(visit, gammel)
    kbh = make.user(Role.MUNICIPALITY, municipality="101", username="kbh")
    national = make.user(Role.NATIONAL, username="ministeriet")
    tokens = {"kbh": create_token(dbs, kbh).value, "national": create_token(dbs, national).value}
    publish(dbs)
    dbs.commit()
    return {"gammel": gammel.id, "ny": ny.id, "fyn": fyn.id, "tokens": tokens}


def _known_room_months(g: dict[str, object]) -> dict[int, set[str]]:
    """The room-months with data (the truth the outputs are checked against)."""
    months = lambda y: {f"{y}-{m:02d}" for m in range(1, 13)}  # noqa: E731
    return {
        g["gammel"]: months(2021) | months(2023) | {"2024-03"},
        g["ny"]: months(2023),
        g["fyn"]: months(2021) | months(2022) | months(2023),
    }


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&nbsp;", " ").strip()


def _rows(html: str, attr: str) -> dict[str, list[tuple[str, str]]]:
    """``code -> [(column, shown text)]`` of every table row carrying ``attr``."""
    out: dict[str, list[tuple[str, str]]] = {}
    for code, body in re.findall(rf'<tr {attr}="([^"]+)"[^>]*>(.*?)</tr>', html, re.S):
        cols = re.findall(r'<td class="num[^"]*"(?: data-(?:unit|col)="([^"]+)")?>(.*?)</td>', body, re.S)
        out.setdefault(code, []).extend((col, _text(v)) for col, v in cols)
    return out


def _number(shown: str) -> int | None:
    head = shown.split(" siden ")[0].strip()
    if not NUM.match(head) or "," in head:
        return None
    return int(head.replace(".", ""))


def _check_no_false_zero(shown: Iterable[str], where: str) -> None:
    """No figure on a page over months without events reads 0 (every history value here is positive)."""
    for text in shown:
        assert text.split(" siden ")[0] not in ("0", "0,00"), where


def _check_parents(values: dict[str, int | None], where: str) -> None:
    for code, bigs in LARGER.items():
        for big in bigs:
            small_v, big_v = values.get(code), values.get(big)
            if small_v is not None and big_v is not None:
                assert small_v <= big_v, (where, code, small_v, big, big_v)


def _check_page(html: str, attr: str, where: str, *, zero_ok: bool) -> None:
    tables = re.findall(r"<table[^>]*>.*?</table>", html, re.S)
    assert any(_rows(t, attr) for t in tables), where
    for table in tables:
        if _rows(table, attr):
            _check_table(table, attr, where, zero_ok=zero_ok)


def _check_table(html: str, attr: str, where: str, *, zero_ok: bool) -> None:
    rows = _rows(html, attr)
    for col in {c for r in rows.values() for c, _ in r if c and c != "change"}:
        values = {code: _number(dict(r).get(col, "")) for code, r in rows.items() if col in dict(r)}
        _check_parents(values, f"{where} {col}")
    for code, cells in rows.items():
        for col, text in cells:
            if col in ("since-opening", "since", "acute-since-opening", "consumptions-since-opening") and _number(text):
                assert re.search(r"siden \d{4}-\d{2}$", text), (where, code, text)  # coverage stated
        if not zero_ok:
            _check_no_false_zero((t for c, t in cells if c != "change"), f"{where} {code}")


def test_every_page_and_output_keeps_unknown_apart(
    gaps: dict[str, object], client: FlaskClient, auth: AuthActions
) -> None:
    known = _known_room_months(gaps)
    gammel = gaps["gammel"]
    # The municipality and national pages and their downloads, for several periods.
    for user, base in (("kbh", "/municipality/"), ("ministeriet", "/national/")):
        auth.login(user)
        for period in PERIODS:
            html = client.get(f"{base}?period={period}").get_data(as_text=True)
            _check_page(html, "data-indicator", f"{base}{period}", zero_ok=period.startswith("2024"))
            if period == "2022":
                cells = dict(_rows(html, "data-indicator")["consumptions.total"])
                assert cells.get("last-year") != "0" and "0" not in cells.values()
            body = client.get(f"{base}export.csv?period={period}").data.decode("utf-8-sig")
            _check_csv(body, known, gammel, f"{base}export.csv {period}")
            book = _workbook(client.get(f"{base}export.xlsx?period={period}").data)
            _check_xlsx(book, known, gammel, f"{base}export.xlsx {period}")
        auth.logout()
    # The annual reports (HTML, PDF read back as text, XLSX), municipal and national.
    for user, prefix in (("kbh", "/annual/101"), ("ministeriet", "/annual/national")):
        auth.login(user)
        for year in (2021, 2022, 2023, 2024):  # the gap year, a known year, a year with one month of events
            html = client.get(f"{prefix}/{year}").get_data(as_text=True)
            _check_page(html, "data-code", f"{prefix}/{year}", zero_ok=year == 2024)
            if year in (2022, 2023):
                text = pdf_text(client.get(f"{prefix}/{year}.pdf").data)
                assert not re.search(r"Stofindtagelser\s+0\s", text) and "siden 20" in text, (prefix, year)
            _check_annual_xlsx(_workbook(client.get(f"{prefix}/{year}.xlsx").data), year)
        auth.logout()
    # The API: nation, municipality, one room; months, quarters, years and a multi-year total.
    tokens = gaps["tokens"]
    for who, extra in (("national", ""), ("kbh", ""), ("kbh", f"&room={gammel}")):
        for granularity in ("month", "quarter", "year", "total"):
            url = f"/api/v1/aggregates?from=2019-01&to=2024-12&granularity={granularity}{extra}"
            data = client.get(url, headers=bearer(tokens[who])).get_json()
            _check_api(data["rows"], known, gammel, granularity, who)
            csv_url = url + "&format=csv&dialect=international&limit=100000"
            body = client.get(csv_url, headers=bearer(tokens[who])).data.decode()
            for row in csv.DictReader(io.StringIO(body)):
                if row["value"] in ("0", "0.0"):
                    assert _zero_allowed(_label(row["first_month"], row["last_month"]), row["room_id"], gammel), row
        quarters = _by(client, tokens[who], "quarter", extra)
        years = _by(client, tokens[who], "year", extra)
        for (label, unit, code), value in years.items():
            parts = [quarters.get((f"{label}-Q{q}", unit, code)) for q in range(1, 5)]
            if value is not None and BY_CODE[code].additive and all(p is not None for p in parts):
                assert value == sum(parts), (label, unit, code)


def _zero_allowed(period: str, room_id: object, gammel: object) -> bool:
    """Only Gammel's month with events (and totals of it alone) can hold a known zero here."""
    return period in ("2024-03",) and str(room_id) in (str(gammel), "")


def _label(first: str, last: str) -> str:
    """The period a tidy row covers, as the API labels a range (one month: ``2024-03``)."""
    return first if first == last else f"{first}..{last}"


def _check_tidy(rows: list[dict[str, object]], known: dict[int, set[str]], gammel: object, where: str) -> None:
    """Rows of the tidy long format (Danish headers): no false zero, no figure for an unknown month."""
    assert rows, where
    for row in rows:
        period = _label(str(row["Første måned"]), str(row["Sidste måned"]))
        room_id, value, hidden = row["Rum-id"] or "", row["Værdi"], row["Skjult"] == ".."
        if value in ("0", 0):
            assert _zero_allowed(period, room_id, gammel) or period.endswith("2024-03"), (where, row)
        if room_id and MONTH.match(period) and value not in ("", None) and not hidden:
            assert period in known[int(str(room_id))], (where, row)
        if value in ("", None) and not hidden:
            assert row["Status"] != "offentliggjort", (where, row)  # an empty figure says why


def _check_csv(body: str, known: dict[int, set[str]], gammel: object, where: str) -> None:
    _check_tidy(list(csv.DictReader(io.StringIO(body), delimiter=";")), known, gammel, where)


def _workbook(data: bytes):
    """The workbook's values, read as a stream (``read_only``: the same values, no cell objects or styles kept;
    this module reads only values, about a third less CPU than a full load)."""
    return load_workbook(io.BytesIO(data), read_only=True)


def _sheet_rows(book, name: str = "Data") -> list[dict[str, object]]:
    rows = list(book[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _check_xlsx(book, known: dict[int, set[str]], gammel: object, where: str) -> None:
    _check_tidy(_sheet_rows(book), known, gammel, where)


def _check_annual_xlsx(book, year: int) -> None:
    by_unit: dict[str, dict[str, int | None]] = {}
    rows = _sheet_rows(book)
    assert {"perioden", "siden åbning"} <= {row["Rolle"] for row in rows}, year
    for row in rows:
        value, role = row["Værdi"], row["Rolle"]
        if role == "siden åbning":
            if isinstance(value, int | float):  # coverage stated: the first month it covers, from 2021 on
                assert re.match(r"20(2[1-9])-\d{2}$", str(row["Første måned"])), row
            unit = f"{row['Niveau']} {row['Navn']}"
            by_unit.setdefault(unit, {})[str(row["Indikator"])] = value if isinstance(value, int) else None
        elif role == "perioden" and year != 2024:
            assert value != 0 or str(row["Indikator"]).startswith("places."), row
    assert by_unit, year
    for unit, values in by_unit.items():
        _check_parents(values, f"annual {year} {unit} since")


def _check_api(rows: list[dict], known: dict[int, set[str]], gammel: object, granularity: str, who: str) -> None:
    by_cell: dict[tuple[str, str], dict[str, int | None]] = {}
    for r in rows:
        if r["value"] is None and not r["suppressed"]:
            assert r["missing"] in ("unknown", "not_applicable", "not_published", "not_available"), r
            assert r["coverage"] is None, r
        else:
            assert r["missing"] is None and r["coverage"]["from"] <= r["coverage"]["to"], r
        if r["value"] == 0:
            assert r["period"] == "2024-03" and r["room_id"] in (gammel, None), (who, r)
        if granularity == "month" and r["room_id"] is not None and r["value"] is not None:
            assert r["period"] in known[r["room_id"]], (who, r)
        if r["indicator"] != "emergencies.per_1000_consumptions":
            key = (r["period"], f"{r['room_id']}/{r['municipality_code']}")
            by_cell.setdefault(key, {})[r["indicator"]] = r["value"]
    for key, values in by_cell.items():
        _check_parents(values, f"api {who} {granularity} {key}")


def _by(client: FlaskClient, token: str, granularity: str, extra: str) -> dict[tuple[str, str, str], int | None]:
    url = f"/api/v1/aggregates?from=2021-01&to=2023-12&granularity={granularity}{extra}"
    rows = client.get(url, headers=bearer(token)).get_json()["rows"]
    return {
        (r["period"], f"{r['room_id']}/{r['municipality_code']}", r["indicator"]): r["value"]
        for r in rows
        if not r["suppressed"]
    }
