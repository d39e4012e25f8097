"""Trend charts on the municipality, national and annual pages: the SVG, its table, the published cells, the PDF."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from roomlog.models import Publication
from roomlog.models.codes import Role
from roomlog.reporting.charts import CHARTS
from roomlog.reporting.periods import Period
from roomlog.reporting.publication import NATIONAL, Unit, reader_rooms, tables
from roomlog.reporting.trends import read_series
from roomlog.reporting.windows import month_window
from tests.support.apps import AuthActions
from tests.support.factories import Factory
from tests.support.worlds import World, build_world, history, kept_world, publish
from tests.test_annual_national import pdf_text


def published(dbs: Session, which: object) -> dt.date:
    """The first or last published month."""
    label = dbs.scalar(select(which(Publication.period)).where(Publication.kind == "month"))
    return dt.date(int(label[:4]), int(label[5:7]), 1)


def chart_months(dbs: Session, last: dt.date) -> list[dt.date]:
    """Five calendar years: those before the newest published year, or (for an old period) those up to it;
    not before the first published month; ending with ``last``."""
    newest = published(dbs, func.max)
    end = min(last, newest)
    first_year = (newest.year if end.year >= newest.year - 2 else end.year) - 4
    return list(Period(max(dt.date(first_year, 1, 1), published(dbs, func.min)), end).months)


MARCH, DECEMBER = dt.date(2022, 3, 1), dt.date(2022, 12, 1)


@pytest.fixture
def world(make: Factory, dbs: Session) -> World:
    """The aggregate world (2021-Q1 and 2022-Q1 from history) with referrals hidden in one month.

    Built and published once per session (per database kind) and copied, like build_world's own.
    """

    def build() -> World:
        made = build_world(make, dbs, publish_now=False)
        history(dbs, made.skyen, "2022-02", referrals_total=2)  # 3 < k: Københavns referrals that month are hidden
        history(dbs, made.h17, "2022-02", referrals_total=1)
        publish(dbs)
        dbs.commit()
        return made

    return kept_world(make, dbs, "test_trend_pages.world", build)


def fid_of(code: str) -> str:
    return "trend-" + re.sub(r"[^a-z0-9]", "-", code)


def figure_table(html: str, code: str) -> dict[int, list[str]]:
    """The table beside one chart: year -> twelve cells."""
    fig = re.search(rf'<figure class="trend" id="{fid_of(code)}".*?</figure>', html, re.S)
    assert fig, code
    fid = fid_of(code)
    assert f'<figcaption id="{fid}-caption">' in fig.group(0)
    assert '<svg class="trend-chart"' in fig.group(0) and f'aria-labelledby="{fid}-caption {fid}-desc"' in fig.group(0)
    rows = re.findall(r'<tr><th scope="row">(\d{4})</th>(.*?)</tr>', fig.group(0), re.S)
    return {int(y): re.findall(r'<td class="num">(.*?)</td>', cells) for y, cells in rows}


def expected(dbs: Session, unit: Unit, code: str, last: dt.date) -> dict[int, list[str]]:
    """The published cells of every chart month, as the table must show them (independently of the chart code)."""
    months = chart_months(dbs, last)
    read = tables(dbs, [month_window(m) for m in months], reader_rooms(dbs), 5, [code])
    out: dict[int, list[str]] = {y: [""] * 12 for y in range(months[0].year, last.year + 1)}
    for m, t in zip(months, read, strict=True):
        cell = t.cell(unit, code)
        text = ".." if cell.suppressed else ("–" if cell.value is None else f"{int(cell.value):,}".replace(",", "."))
        out[m.year][m.month - 1] = text
    return out


@pytest.mark.both_databases
def test_municipality_page_charts_the_published_months(
    world: World, dbs: Session, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("kbh")
    html = client.get("/municipality/?period=2022-03").get_data(as_text=True)
    assert '<section class="trends" data-section="trends">' in html
    for code, _title in CHARTS:
        assert figure_table(html, code) == expected(dbs, ("municipality", "101"), code, MARCH), code
    consumptions = figure_table(html, "consumptions.total")
    assert consumptions[2021][:3] == ["150"] * 3
    assert consumptions[2022] == ["210"] * 3 + [""] * 9  # the chart ends with the page's period
    assert figure_table(html, "visits.total")[2021][:3] == ["–"] * 3  # imported history without visits: unknown
    assert figure_table(html, "referrals.total")[2022][1] == ".."  # hidden: 3 referrals
    assert re.search(r"Stofindtagelser pr\. måned, \d{4}-\d\d–2022-03, Københavns Kommune", html)
    assert "Odense" not in re.search(r'<section class="trends".*?</section>', html, re.S).group(0)


def test_the_chart_ends_with_the_latest_published_month(
    world: World, dbs: Session, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("kbh")
    latest = published(dbs, func.max)
    html = client.get(f"/municipality/?period={latest.year + 1}").get_data(as_text=True)
    rows = figure_table(html, "consumptions.total")
    assert rows == expected(dbs, ("municipality", "101"), "consumptions.total", latest)
    assert max(rows) == latest.year and rows[latest.year][latest.month - 1] != ""
    assert rows[latest.year][latest.month :] == [""] * (12 - latest.month)
    assert min(rows) == latest.year - 4 and rows[latest.year - 4][0] != ""  # five calendar years
    auth.login("odense")  # Odense's only room opened 2021-01: its chart starts there
    rows = figure_table(client.get("/municipality/?period=2022-03").get_data(as_text=True), "consumptions.total")
    assert min(rows) == 2021 and rows[2021][:3] == ["20", "20", "20"]


def test_national_page_charts_the_national_total(
    world: World, dbs: Session, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("ministeriet")
    html = client.get("/national/?period=2022").get_data(as_text=True)
    for code, _title in CHARTS:
        assert figure_table(html, code) == expected(dbs, NATIONAL, code, DECEMBER), code
    assert figure_table(html, "consumptions.total")[2022][:3] == ["250"] * 3
    assert re.search(r"Besøg pr\. måned, \d{4}-\d\d–2022-12, hele landet", html)


def test_the_line_breaks_exactly_where_the_table_has_no_number(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("kbh")
    html = client.get("/municipality/?period=2022-03").get_data(as_text=True)
    for code, _title in CHARTS:
        fig = re.search(rf'<figure class="trend" id="{fid_of(code)}".*?</figure>', html, re.S).group(0)
        cells = [c for _year, row in sorted(figure_table(html, code).items()) for c in row if c]
        numeric = "".join("n" if re.fullmatch(r"\d[\d.]*", c) else "g" for c in cells)
        pieces = [len(run) for run in re.findall("n+", numeric)]
        paths = [len(d.split(" L")) for d in re.findall(r'<path class="trend-line" d="M([^"]*)"', fig)]
        dots = len(re.findall(r'<circle class="trend-dot"', fig))
        assert sorted(paths + [1] * dots) == sorted(pieces), code
        assert len(re.findall(r'<rect class="trend-gap"', fig)) == numeric.count("g"), code
    assert "g" in numeric  # referrals have gaps (unknown months and the hidden one)


def test_english_page_gets_english_charts_and_numbers(world: World, client: FlaskClient, auth: AuthActions) -> None:
    auth.login("ministeriet")
    client.post("/account/language", data={"language": "en"})
    html = client.get("/national/?period=2022").get_data(as_text=True)
    assert "<h2>Trends by month</h2>" in html and "The figures behind the chart" in html
    assert figure_table(html, "consumptions.total")[2022][:3] == ["250"] * 3
    assert '<th scope="col" class="num">May</th>' in html
    assert re.search(r"Consumptions per month, \d{4}-\d\d–2022-12, the whole country", html)


def test_annual_reports_have_the_charts_in_html_and_pdf(
    world: World, dbs: Session, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("ministeriet")
    for path, unit, name in (
        ("/annual/101/2022", ("municipality", "101"), "Københavns Kommune"),
        ("/annual/national/2022", NATIONAL, "hele landet"),
    ):
        html = client.get(path).get_data(as_text=True)
        assert "<h2>Udvikling pr. måned</h2>" in html
        for code, _title in CHARTS:
            assert figure_table(html, code) == expected(dbs, unit, code, DECEMBER), (path, code)
        text = pdf_text(client.get(path + ".pdf").data)
        assert "Udvikling pr. måned" in text
        assert re.search(rf"Stofindtagelser pr\. måned, \d{{4}}-\d\d–2022-12,\s+{name}", text), path
        total = "210" if unit != NATIONAL else "250"
        assert re.search(rf"2022\s+{total}\s+{total}\s+{total}\s", text), path  # the table beside, open in the PDF
        assert re.search(r"2021\s+170\s+170\s+170\s" if unit == NATIONAL else r"2021\s+150\s+150\s+150\s", text), path


def test_no_published_month_no_charts(make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    make.room("Skyen", "101", opened_on=dt.date(2016, 6, 1))
    make.user(Role.NATIONAL, username="ministeriet")
    auth.login("ministeriet")
    html = client.get("/national/").get_data(as_text=True)
    assert 'class="trends"' not in html


def test_a_municipality_without_rooms_gets_no_charts(
    world: World, make: Factory, client: FlaskClient, auth: AuthActions
) -> None:
    make.user(Role.MUNICIPALITY, municipality="751", username="aarhus")
    auth.login("aarhus")
    for path in ("/annual/751/2022", "/annual/751/2022.pdf"):
        response = client.get(path)
        assert response.status_code == 200 and b'class="trends"' not in response.data, path


@pytest.mark.both_databases
def test_a_chart_reads_all_its_months_in_one_go(world: World, dbs: Session) -> None:
    """Five years or fifteen months or two: the same number of statements (no query per month)."""
    rooms = reader_rooms(dbs)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = dbs.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        seen = []
        for last in (dt.date(2021, 2, 1), dt.date(2022, 3, 1), dt.date(2026, 12, 1)):
            statements.clear()
            series = read_series(dbs, rooms, NATIONAL, "hele landet", last, threshold=5, cache=None, lang="da")
            seen.append(len(statements))
            assert [s.code for s in series] == [c for c, _title in CHARTS]
        assert seen[0] == seen[1] == seen[2] <= 4, seen
    finally:
        event.remove(engine, "before_cursor_execute", count)
