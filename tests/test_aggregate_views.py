"""Municipality and national pages, downloads and the annual report: scopes, known answers, agreement."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from roomlog.models.codes import Role
from tests.support.apps import AuthActions
from tests.support.factories import Factory
from tests.support.net import without_csrf_tokens
from tests.support.worlds import World, bearer, build_world


@pytest.fixture
def world(make: Factory, dbs: Session) -> World:
    return build_world(make, dbs)


def cells(html: str, indicator: str) -> list[str]:
    """The shown values of one indicator line (rooms…, total, last year, change, since opening)."""
    row = re.search(rf'<tr data-indicator="{re.escape(indicator)}">(.*?)</tr>', html, re.S)
    assert row, indicator
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


def headline(html: str) -> dict[str, dict[str, str]]:
    out = {}
    for title, body in re.findall(r'<tr class="[a-z]*" data-unit="([^"]+)">(.*?)</tr>', html, re.S):
        out[title] = {
            k: re.sub(r"<[^>]+>", "", v).strip() for k, v in re.findall(r'data-col="([^"]+)">(.*?)</td>', body)
        }
    return out


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        (Role.MUNICIPALITY, "/municipality/", 200),
        (Role.NATIONAL, "/municipality/", 403),
        (Role.STAFF, "/municipality/", 403),
        (Role.NATIONAL, "/national/", 200),
        (Role.MUNICIPALITY, "/national/", 403),
        (Role.LEAD, "/national/", 403),
        (Role.ADMIN, "/national/export.csv", 403),
        (Role.MUNICIPALITY, "/annual/101/2022", 200),
        (Role.MUNICIPALITY, "/annual/461/2022", 404),
        (Role.NATIONAL, "/annual/461/2022", 200),
        (Role.STAFF, "/annual/101/2022", 404),
    ],
)
def test_who_sees_which_page(
    make: Factory, client: FlaskClient, auth: AuthActions, role: Role, path: str, status: int
) -> None:
    make.user_for(make.room("Skyen", "101"), role, username="u")
    auth.login("u")
    assert client.get(path).status_code == status


def test_municipality_and_national_users_land_on_their_view(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("kbh")
    assert client.get("/").headers["Location"] == "/municipality/"
    auth.logout()
    auth.login("ministeriet")
    assert client.get("/").headers["Location"] == "/national/"


def test_municipality_page_has_its_rooms_total_change_and_since_opening(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("kbh")
    html = client.get("/municipality/?period=2022").get_data(as_text=True)
    assert "Odense" not in html
    # H17, Skyen, København total, same period last year, change, since opening (history 2021 + 2022).
    assert cells(html, "consumptions.total") == ["180", "450", "630", "450", "+40,0&nbsp;%", "1.080 siden 2021-01"]
    assert (
        cells(html, "emergencies.acute_treatments")[0] == ".."
    )  # H17 has 3 (with only two rooms, the LP audit may hide the total too)


@pytest.mark.both_databases
def test_national_page_gives_the_figures_a_ministry_quotes(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("ministeriet")
    html = client.get("/national/?period=2022").get_data(as_text=True)
    rows = headline(html)
    national = next(v for k, v in rows.items() if k not in ("Skyen", "H17", "Odense Stue") and "(" not in k)
    assert national == {
        "consumptions": "750",
        "last-year": "510",
        "change": "+47,1&nbsp;%",
        # H17's 3 is hidden with a sibling; the national headline total stays visible.
        "acute": "48",
        "acute-since-opening": "78 siden 2021-01",
        "consumptions-since-opening": "1.260 siden 2021-01",
    }
    assert rows["H17"]["acute"] == ".."


def test_a_bad_period_is_explained_and_the_default_shown(world: World, client: FlaskClient, auth: AuthActions) -> None:
    auth.login("kbh")
    response = client.get("/municipality/?period=2022-Q7")
    assert response.status_code == 200
    assert "2022-Q1" in response.get_data(as_text=True) or "flash-error" in response.get_data(as_text=True)


@pytest.mark.both_databases
def test_downloads_agree_with_the_api_and_the_page(world: World, client: FlaskClient, auth: AuthActions) -> None:
    api = client.get(
        "/api/v1/aggregates?from=2022-01&to=2022-12&granularity=year", headers=bearer(world.kbh_token)
    ).get_json()
    expected = {(r["room"], r["indicator"]): r["value"] for r in api["rows"]}
    auth.login("kbh")
    text = client.get("/municipality/export.csv?period=2022").get_data(as_text=True).lstrip("\ufeff")
    rows = [r for r in csv.DictReader(io.StringIO(text), delimiter=";") if r["Rolle"] == "perioden"]
    assert {(r["Periodetype"], r["Første måned"], r["Sidste måned"]) for r in rows} == {("år", "2022-01", "2022-12")}
    total = "Københavns Kommune i alt"
    from_csv = {(None if r["Navn"] == total else r["Navn"], r["Indikator"]): r for r in rows}
    assert len(from_csv) == len(expected)
    for key, value in expected.items():
        shown = from_csv[key]
        if value is None:
            assert shown["Værdi"] == "" and shown["Skjult"] in ("..", "")  # hidden, or not computable
        else:
            assert float(shown["Værdi"].replace(",", ".")) == value and shown["Skjult"] == ""
    book = load_workbook(io.BytesIO(client.get("/municipality/export.xlsx?period=2022").data))
    data = [r for r in book["Data"].iter_rows(min_row=2, values_only=True) if r[3] == "perioden"]
    assert {(None if r[6] == total else r[6], r[8]): r[11] for r in data} == expected
    assert book.sheetnames == ["Data", "Definitioner", "Metadata"]
    html = client.get("/municipality/?period=2022").get_data(as_text=True)
    assert cells(html, "consumptions.total")[2] == f"{expected[(None, 'consumptions.total')]}"


def test_annual_report_page_pdf_and_xlsx(world: World, client: FlaskClient, auth: AuthActions) -> None:
    auth.login("kbh")
    html = client.get("/annual/101/2022").get_data(as_text=True)
    assert "Årsafrapportering 2022" in html and "Definitionsversion" in html
    assert cells(html, "consumptions.total") == ["180", "450", "630"]
    assert 'title="historik (godkendt)">H<' in html
    pdf = client.get("/annual/101/2022.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    book = load_workbook(io.BytesIO(client.get("/annual/101/2022.xlsx").data))
    assert book.sheetnames == ["Data", "Indikatorer", "Rum", "Måneder", "Definitioner", "Metadata"]
    sheet = book["Indikatorer"]
    row = next(r for r in sheet.iter_rows(values_only=True) if r[1] == "consumptions.total")
    assert row[2:] == (180, 450, 630)


def test_downloads_never_hold_another_municipality(world: World, client: FlaskClient, auth: AuthActions) -> None:
    auth.login("odense")
    text = client.get("/municipality/export.csv?period=2022").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert rows and {r["Kommunekode"] for r in rows} == {"461"}
    assert {r["Navn"] for r in rows} == {"Odense Stue", "Odense Kommune i alt"}
    page = without_csrf_tokens(client.get("/municipality/?period=2022").get_data(as_text=True))
    assert "Skyen" not in page and "H17" not in page
    assert client.get("/annual/101/2022.xlsx").status_code == 404
    assert client.get("/annual/101/2022.pdf").status_code == 404


def test_a_municipality_without_rooms_gets_a_page_that_says_so(
    world: World, make: Factory, client: FlaskClient, auth: AuthActions
) -> None:
    make.user(Role.MUNICIPALITY, municipality="147", username="frederiksberg")
    auth.login("frederiksberg")
    page = client.get("/municipality/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-state="no-rooms"' in html and "intet stofindtagelsesrum" in html
    assert 'data-indicator="' not in html  # no other municipality's figures
    assert client.get("/municipality/export.csv").status_code == 404
