"""The annual report to the ministry (national and municipal): access, figures from the stored cells, `..`."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from roomlog.calendar import today_local
from roomlog.models.codes import Role
from tests.support.apps import AuthActions
from tests.support.factories import Factory
from tests.support.worlds import World, build_world, history, publish


@pytest.fixture
def world(make: Factory, dbs: Session) -> World:
    return build_world(make, dbs)


def unit_line(html: str, unit: str, code: str) -> dict[str, str]:
    """The shown cells of one indicator of one unit: now, before, change, since."""
    table = re.search(rf'<table class="data annual-unit" data-unit="{re.escape(unit)}">(.*?)</table>', html, re.S)
    assert table, unit
    row = re.search(rf'<tr data-code="{re.escape(code)}"[^>]*>(.*?)</tr>', table.group(1), re.S)
    assert row, code
    cols = re.findall(r'data-col="([^"]+)">(.*?)</td>', row.group(1), re.S)
    return {k: re.sub(r"<[^>]+>", "", v).replace("&nbsp;", " ").strip() for k, v in cols}


def pdf_text(data: bytes) -> str:
    """The PDF read back as text (poppler's pdftotext)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.pdf"
        path.write_bytes(data)
        return subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout


def data_rows(data: bytes) -> dict[tuple[str, str], tuple[object, ...]]:
    """The long Data sheet pivoted to ``(name, code) -> (now, before, change, since)`` (``..`` when hidden)."""
    book = load_workbook(io.BytesIO(data), read_only=True)  # values only: read as a stream, no cell objects
    rows = list(book["Data"].iter_rows(values_only=True))
    head = list(rows[0])
    assert head[:4] == ["Periodetype", "Første måned", "Sidste måned", "Rolle"]
    at = {name: head.index(name) for name in ("Rolle", "Navn", "Indikator", "Værdi", "Skjult")}
    order = ["perioden", "samme periode sidste år", "ændring fra samme periode sidste år", "siden åbning"]
    out: dict[tuple[str, str], list[object]] = {}
    for r in rows[1:]:
        line = out.setdefault((str(r[at["Navn"]]), str(r[at["Indikator"]])), [None] * 4)
        line[order.index(r[at["Rolle"]])] = r[at["Skjult"]] or r[at["Værdi"]]
    return {k: tuple(v) for k, v in out.items()}


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.NATIONAL, 200), (Role.MUNICIPALITY, 403), (Role.LEAD, 403), (Role.STAFF, 403), (Role.ADMIN, 403)],
)
@pytest.mark.parametrize("suffix", ["", ".pdf", ".xlsx"])
def test_only_the_national_role_gets_the_national_report(
    make: Factory, client: FlaskClient, auth: AuthActions, role: Role, status: int, suffix: str
) -> None:
    make.user_for(make.room("Skyen", "101"), role, username="u")
    auth.login("u")
    assert client.get(f"/annual/national/2022{suffix}").status_code == status


def test_anonymous_is_sent_to_login(client: FlaskClient) -> None:
    assert client.get("/annual/national/2022").status_code in (302, 401)


def test_national_report_figures_are_the_stored_cells(world: World, client: FlaskClient, auth: AuthActions) -> None:
    auth.login("ministeriet")
    html = client.get("/annual/national/2022").get_data(as_text=True)
    assert "Hele landet" in html and "Københavns Kommune i alt" in html and "Odense Kommune i alt" in html
    # 2022: Skyen 3 × 150, H17 3 × 60, Odense 3 × 40; 2021: 3 × 100, 3 × 50, 3 × 20
    assert unit_line(html, "national", "consumptions.total") == {
        "now": "750", "before": "510", "change": "+47,1 %", "since": "1.260 siden 2021-01"
    }  # fmt: skip
    assert unit_line(html, "municipality-101", "consumptions.total")["now"] == "630"
    assert unit_line(html, f"room-{world.odense.id}", "consumptions.total") == {
        "now": "120", "before": "60", "change": "+100,0 %", "since": "180 siden 2021-01"
    }  # fmt: skip
    # Skyen's acute treatments: 3 × 10 in 2022, 3 × 8 in 2021 (visible); H17's 3 and 6 are hidden
    skyen = unit_line(html, f"room-{world.skyen.id}", "emergencies.acute_treatments")
    assert skyen["now"] in ("30", "..") and skyen["before"] in ("24", "..")
    h17 = unit_line(html, f"room-{world.h17.id}", "emergencies.acute_treatments")
    assert h17["now"] == ".." and h17["change"] == "–"
    assert "siden 2016-01" in html or "siden 2021-01" in html
    # capacity from the rooms table
    places = unit_line(html, "national", "places")["now"]
    total_inj = world.skyen.places_injection + world.h17.places_injection + world.odense.places_injection
    assert places.startswith(f"{total_inj} + ")
    # definitions and the disclosure note, never why a cell is hidden
    assert "Naloxondoser" in html and "rusmiddelbehandling" in html and "diskretioneret" in html
    assert "emergencies.oxygen_administrations" in html and "referrals.kind.social" in html


def test_hidden_cell_is_dots_in_html_pdf_and_xlsx(world: World, client: FlaskClient, auth: AuthActions) -> None:
    auth.login("ministeriet")
    html = client.get("/annual/national/2022").get_data(as_text=True)
    assert unit_line(html, f"room-{world.h17.id}", "emergencies.acute_treatments")["now"] == ".."
    text = pdf_text(client.get("/annual/national/2022.pdf").data)
    assert "Hele landet" in text and "Københavns Kommune i alt" in text
    assert re.search(r"Akutte behandlinger.*?\.\.", text)
    assert re.search(r"Stofindtagelser\s+750\s+510\s+\+47,1 %\s+1\.260", text)
    rows = data_rows(client.get("/annual/national/2022.xlsx").data)
    assert rows[("H17", "emergencies.acute_treatments")][0] == ".."
    assert rows[("Hele landet", "consumptions.total")] == (750, 510, 47.1, 1260)
    book = load_workbook(io.BytesIO(client.get("/annual/national/2022.xlsx").data))
    assert book.sheetnames == ["Data", "Definitioner", "Metadata"]
    definitions = {r[0] for r in book["Definitioner"].iter_rows(values_only=True)}
    assert {"emergencies.naloxone_doses", "referrals.kind.treatment", "visitors.new"} <= definitions


def test_municipal_report_has_the_same_content_for_its_own_units(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("kbh")
    html = client.get("/annual/101/2022").get_data(as_text=True)
    assert "stofindtagelsesrum i Københavns Kommune" in html
    assert unit_line(html, "municipality-101", "consumptions.total") == {
        "now": "630", "before": "450", "change": "+40,0 %", "since": "1.080 siden 2021-01"
    }  # fmt: skip
    assert unit_line(html, f"room-{world.h17.id}", "emergencies.acute_treatments")["now"] == ".."
    assert 'data-unit="national"' not in html and "Odense Stue" not in html
    text = pdf_text(client.get("/annual/101/2022.pdf").data)
    assert re.search(r"Stofindtagelser\s+630\s+450\s+\+40,0 %\s+1\.080", text)
    rows = data_rows(client.get("/annual/101/2022.xlsx").data)
    assert rows[("Københavns Kommune i alt", "consumptions.total")] == (630, 450, 40.0, 1080)
    assert rows[("H17", "emergencies.acute_treatments")][0] == ".."


def test_an_unpublished_year_says_so_and_lists_its_months(world: World, client: FlaskClient, auth: AuthActions) -> None:
    auth.login("ministeriet")
    year = today_local().year  # December of the running year is never published yet
    html = client.get(f"/annual/national/{year}").get_data(as_text=True)
    assert 'data-state="unfinished"' in html and "Ikke offentliggjort endnu: " in html and f"{year}-12" in html
    assert "foreløbig" in html


def _spread(total: int, parts: int) -> list[int]:
    """``total`` in ``parts`` whole numbers (the remainder in the last)."""
    base = total // parts
    return [base] * (parts - 1) + [total - base * (parts - 1)]


def test_the_seed_figures_come_out_of_imported_history(
    make: Factory, dbs: Session, client: FlaskClient, auth: AuthActions
) -> None:
    """Five rooms' history: 167,932 and 256,936 consumptions (+53 %), 2,048 acute treatments since opening."""
    rooms = [
        make.room(name, code, opened_on=dt.date(2021, 1, 1))
        for name, code in (("H17", "101"), ("Skyen", "101"), ("Odense", "461"), ("Aarhus", "751"), ("Vejle", "630"))
    ]
    acute = "emergencies.acute_treatments"
    for year, consumptions, treatments in ((2021, 167_932, 1_000), (2022, 256_936, 1_048)):
        per_room = zip(_spread(consumptions, 5), _spread(treatments, 5), strict=True)
        for room, (c_room, t_room) in zip(rooms, per_room, strict=True):
            months = zip(_spread(c_room, 12), _spread(t_room, 12), strict=True)
            for month, (c, t) in enumerate(months, start=1):
                history(dbs, room, f"{year}-{month:02d}", consumptions_total=c, emergencies_total=t, **{acute: t})
    publish(dbs)
    dbs.commit()
    make.user(Role.NATIONAL, username="ministeriet")
    auth.login("ministeriet")
    html = client.get("/annual/national/2022").get_data(as_text=True)
    assert unit_line(html, "national", "consumptions.total") == {
        "now": "256.936", "before": "167.932", "change": "+53,0 %", "since": "424.868 siden 2021-01"
    }  # fmt: skip
    assert unit_line(html, "national", acute) == {
        "now": "1.048",
        "before": "1.000",
        "change": "+4,8 %",
        "since": "2.048 siden 2021-01",
    }
    assert "siden 2021-01" in html and 'data-state="unfinished"' not in html
    text = pdf_text(client.get("/annual/national/2022.pdf").data)
    assert re.search(r"Stofindtagelser\s+256\.936\s+167\.932\s+\+53,0 %\s+424\.868", text)
    assert "2.048" in text and "siden 2021-01" in text
    rows = data_rows(client.get("/annual/national/2022.xlsx").data)
    assert rows[("Hele landet", "consumptions.total")] == (256_936, 167_932, 53.0, 424_868)
    assert rows[("Hele landet", acute)][3] == 2_048


def _routes_page(make: Factory, dbs: Session, client: FlaskClient, auth: AuthActions, sniff_in_june: int) -> str:
    """The national 2022 report over two rooms with every route in 2021–2022 (room A: 2022's sniffing all in June)."""
    rooms = [make.room(name, "101", opened_on=dt.date(2021, 1, 1)) for name in ("Rum A", "Rum B")]
    for year in (2021, 2022):
        for month in range(1, 13):
            for room in rooms:
                sniff = 10
                if room is rooms[0] and year == 2022:
                    sniff = sniff_in_june if month == 6 else 0
                routes = {"inject": 100, "smoke": 50, "sniff": sniff, "oral": 10, "other": 10}
                values = {f"consumptions.route.{k}": v for k, v in routes.items()}
                history(dbs, room, f"{year}-{month:02d}", consumptions_total=sum(routes.values()), **values)
    publish(dbs)
    dbs.commit()
    make.user(Role.NATIONAL, username="ministeriet")
    auth.login("ministeriet")
    return client.get("/annual/national/2022").get_data(as_text=True)


def test_other_routes_are_one_line_when_every_part_is_visible(
    make: Factory, dbs: Session, client: FlaskClient, auth: AuthActions
) -> None:
    html = _routes_page(make, dbs, client, auth, sniff_in_june=30)
    # 2022: Rum A sniffs 30 (June only), Rum B 120; oral and other 120 each per room
    assert unit_line(html, "national", "consumptions.route.sniff+oral+other")["now"] == f"{30 + 120 + 4 * 120}"
    assert 'data-code="consumptions.route.sniff"' not in html
    assert unit_line(html, "national", "consumptions.route.inject")["now"] == "2.400"


def test_other_routes_are_shown_one_by_one_when_a_part_is_hidden(
    make: Factory, dbs: Session, client: FlaskClient, auth: AuthActions
) -> None:
    html = _routes_page(make, dbs, client, auth, sniff_in_june=2)
    room_a = re.search(r'data-unit="(room-\d+)">\s*<caption[^>]*>Rum A', html)
    assert room_a
    assert unit_line(html, room_a.group(1), "consumptions.route.sniff")["now"] == ".."
    assert 'data-code="consumptions.route.sniff+oral+other"' not in html
    assert unit_line(html, "national", "consumptions.route.oral")["now"] in ("240", "..")
    rows = data_rows(client.get("/annual/national/2022.xlsx").data)
    assert rows[("Rum A", "consumptions.route.sniff")][0] == ".."


def test_an_unfinished_year_names_the_months_it_covers() -> None:
    from roomlog.annual.content import Content
    from roomlog.reporting.periods import Period
    from roomlog.reporting.windows import Window, total_label, year_window

    def content(last_month: int) -> Content:
        part = Period(dt.date(2026, 1, 1), dt.date(2026, last_month, 1))
        missing = tuple(dt.date(2026, m, 1) for m in range(last_month + 1, 13))
        window = Window(total_label(part), part)
        return Content(2026, (), window, window, window, missing, False, ())

    assert content(6).covered == "januar–juni 2026" and content(6).unfinished
    assert content(1).covered == "januar 2026"
    whole = year_window(2025)
    assert Content(2025, (), whole, whole, whole, (), False, ()).covered == "2025"
