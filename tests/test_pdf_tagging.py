"""Every PDF is tagged (PDF/UA-1 as far as WeasyPrint goes), titled, numbered "Side X af Y" and dated."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from roomlog.models.codes import Role
from tests.pdf_read import ReadPdf, read_pdf
from tests.support.apps import AuthActions
from tests.support.factories import Factory
from tests.support.worlds import World, build_world
from tests.support.worlds import application as pool_application


def _assert_tagged(pdf: ReadPdf, lang: str, title: str) -> None:
    """Structure tree, marked content, language, title, headings in order, scoped table headers."""
    assert "/StructTreeRoot" in pdf.catalog and pdf.catalog["/MarkInfo"]["/Marked"]
    assert str(pdf.catalog["/Lang"]) == lang
    assert title in pdf.title
    assert pdf.created is not None
    headings = [int(t[2]) for t in pdf.tags if re.fullmatch(r"/H[1-6]", t)]
    assert headings and headings[0] == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(headings)), headings
    assert "/Table" in pdf.tags and "/TH" in pdf.tags


def _assert_numbered(pdf: ReadPdf, words: tuple[str, str, str]) -> None:
    """Every page carries "<Side> n <af> N" and the creation date in its footer."""
    page, of, created = words
    for n in range(1, pdf.pages + 1):
        assert f"{page} {n} {of} {pdf.pages}" in pdf.text
    assert f"{created} {pdf.created.date().isoformat()}" in pdf.text


def test_monthly_summary_pdf_is_tagged_numbered_and_dated(
    make: Factory, client: FlaskClient, auth: AuthActions
) -> None:
    room = make.room("Skyen", municipality="101", opened_on=make.LONG_OPEN)
    visit = make.visit(
        room, dt.datetime(2025, 3, 4, 10, tzinfo=dt.UTC), left_at=dt.datetime(2025, 3, 4, 11, tzinfo=dt.UTC)
    )
    make.consumption(visit, room)
    make.user(Role.LEAD, rooms=[room], username="lead")
    auth.login("lead")
    pdf = read_pdf(client.get(f"/reports/{room.id}/2025-03.pdf").data)
    _assert_tagged(pdf, "da", "Månedsopgørelse Skyen")
    _assert_numbered(pdf, ("Side", "af", "Dannet"))
    assert "/TD" in pdf.headed, "data cells point at their <th scope> headers (/Headers)"
    english = read_pdf(client.get(f"/reports/{room.id}/2025-03.pdf?lang=en").data)
    _assert_tagged(english, "en", "Monthly summary Skyen")
    _assert_numbered(english, ("Page", "of", "Created"))


@pytest.fixture
def world(make: Factory, dbs: Session) -> World:
    return build_world(make, dbs)


def test_annual_report_pdf_of_a_finished_year(world: World, client: FlaskClient, auth: AuthActions) -> None:
    auth.login("kbh")
    pdf = read_pdf(client.get("/annual/101/2022.pdf").data)
    _assert_tagged(pdf, "da", "Årsafrapportering København 2022")
    _assert_numbered(pdf, ("Side", "af", "Dannet"))
    assert "ikke afsluttet" not in pdf.text


def test_annual_report_of_an_unfinished_year_says_so_beside_the_key_figures(
    world: World, client: FlaskClient, auth: AuthActions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("roomlog.annual.views.today_local", lambda: dt.date(2026, 12, 1))
    auth.login("kbh")
    page = client.get("/annual/101/2026").get_data(as_text=True)
    notice = re.search(
        r'<h2[^>]*>Nøgletal</h2>\s*<p class="notice" role="note" data-state="unfinished-year">([^<]*)<', page
    )
    assert notice, "the warning stands right under the key-figures heading"
    # December 2026 has not ended on 1 December (earlier months depend on the lock rule and the real clock)
    assert re.match(r"Året er ikke afsluttet: \d+ af 12 måneder er endnu ikke lukket \(.*december\)\.", notice.group(1))
    pdf = read_pdf(client.get("/annual/101/2026.pdf").data)
    text = " ".join(pdf.text.split())
    assert "(året er ikke afsluttet)" in text
    assert re.search(r"Året er ikke afsluttet: \d+ af 12 måneder er endnu ikke lukket", text)
    assert text.index("Nøgletal") < text.index("Året er ikke afsluttet")


def test_pending_months_counts_months_not_over_or_still_open() -> None:
    from roomlog.annual.unfinished import pending_months, pending_text

    months = [dt.date(2026, m, 1) for m in range(1, 13)]
    states = {1: ("history",) * 5 + ("open",) * 6 + ("none",), 2: ("locked",) * 11 + ("none",)}
    pending = pending_months(months, states, dt.date(2026, 12, 1))
    assert [m.month for m in pending] == [6, 7, 8, 9, 10, 11, 12]
    assert pending_text(pending, 12).startswith("Året er ikke afsluttet: 7 af 12 måneder er endnu ikke lukket (juni,")
    closed = {1: ("locked",) * 12}
    assert pending_months(months, closed, dt.date(2027, 1, 1)) == () and pending_text((), 12) == ""


def test_pool_decision_letter_pdf_is_tagged_numbered_and_dated(app: Flask, make: Factory, auth: AuthActions) -> None:
    room = make.room("Esbjerg Stue", municipality="561")
    decided = pool_application(make, room, grant={"reason": "Inden for puljens ramme."})
    make.user(Role.NATIONAL, username="ministeriet")
    client = app.test_client()
    AuthActions(client).login("ministeriet")
    pdf = read_pdf(client.get(f"/pool/applications/{decided.id}/letter.pdf").data)
    _assert_tagged(pdf, "da", f"#{decided.id}")
    _assert_numbered(pdf, ("Side", "af", "Dannet"))
