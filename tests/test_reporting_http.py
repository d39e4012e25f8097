"""HTTP: every /reports endpoint for every role, tenant isolation, bad months, the PDF."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from roomlog.calendar import today_local
from roomlog.models import MonthlyAggregate, PeriodStatus
from roomlog.models.codes import PeriodState, Role
from tests.support.apps import AuthActions
from tests.support.factories import Factory

MONTH = "2025-03"
FIRST = dt.date(2025, 3, 1)
OPENED = dt.date(2024, 1, 1)
PASSWORD = Factory.PASSWORD


@pytest.fixture
def world(make: Factory):
    """A room in København with a month of records, and one user per role (plus outsiders).

    The rooms opened in January 2024, over a year before the recorded month (so last year is unknown,
    not zero): an approval publishes every closed month since the first opening, and opening in 2020
    (the factory's default) made each one publish seven years instead of three.
    """
    room = make.room("Skyen", municipality="101", opened_on=OPENED)
    other = make.room("Odense", municipality="461", opened_on=OPENED)
    visit = make.visit(
        room, dt.datetime(2025, 3, 4, 10, tzinfo=dt.UTC), left_at=dt.datetime(2025, 3, 4, 11, tzinfo=dt.UTC)
    )
    make.consumption(visit, room)
    make.user(Role.STAFF, rooms=[room], username="staff")
    make.user(Role.LEAD, rooms=[room], username="lead")
    make.user(Role.LEAD, rooms=[other], username="other-lead")
    make.user(Role.MUNICIPALITY, municipality="101", username="kommune")
    make.user(Role.MUNICIPALITY, municipality="461", username="other-kommune")
    make.user(Role.NATIONAL, username="national")
    make.user(Role.ADMIN, username="admin")
    return room


def _status(make: Factory, room_id: int) -> PeriodStatus | None:
    make.session.expire_all()
    return make.session.scalar(select(PeriodStatus).where(PeriodStatus.room_id == room_id, PeriodStatus.month == FIRST))


@pytest.mark.parametrize(
    ("username", "expected"),
    [("staff", 200), ("lead", 200), ("other-lead", 404), ("kommune", 404), ("national", 404), ("admin", 404)],
)
def test_summary_and_pdf_access(world, client: FlaskClient, auth: AuthActions, username: str, expected: int) -> None:
    auth.login(username)
    assert client.get(f"/reports/{world.id}/{MONTH}").status_code == expected
    assert client.get(f"/reports/{world.id}/{MONTH}.pdf").status_code == expected
    assert client.get("/reports/definitions").status_code == 200


def test_anonymous_users_are_sent_to_login(world, client: FlaskClient) -> None:
    for url in (f"/reports/{world.id}/{MONTH}", f"/reports/{world.id}/{MONTH}.pdf", "/reports/definitions"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.post(f"/reports/{world.id}/{MONTH}/approve", data={"password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("month", ["2025-13", "2025-00", "2025-3", "abcd-ef", "0999-01", "2025-03.pdf.pdf", "2025-03x"])
def test_bad_months_are_404(world, client: FlaskClient, auth: AuthActions, month: str) -> None:
    auth.login("lead")
    assert client.get(f"/reports/{world.id}/{month}").status_code == 404
    assert client.get(f"/reports/{world.id}/{month}.pdf").status_code == 404
    assert client.get(f"/reports/99999/{MONTH}").status_code == 404


def test_summary_shows_exact_numbers_and_state(world, client: FlaskClient, auth: AuthActions) -> None:
    auth.login("staff")
    page = client.get(f"/reports/{world.id}/{MONTH}").get_data(as_text=True)
    assert "Fortroligt – internt arbejdsmateriale" in page and "Månedsopgørelse" in page
    assert 'data-indicator="visits.total"' in page and 'data-value="1"' in page
    assert 'data-state="open"' in page
    assert 'data-action="approve-month"' not in page  # staff read only
    # CSP: no inline styles or scripts; the charts need no JavaScript (only the idle timer is loaded).
    assert 'style="' not in page and not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert re.findall(r'<script src="([^"]+)"', page) == ["/static/js/idle.js"]
    assert client.get(f"/reports/{world.id}/").status_code == 302


def test_lead_sees_checks_and_approves_with_password(
    world, make: Factory, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("lead")
    page = client.get(f"/reports/{world.id}/{MONTH}").get_data(as_text=True)
    assert 'data-check="open_visits" data-count="0"' in page and 'data-action="approve-month"' in page
    wrong = client.post(f"/reports/{world.id}/{MONTH}/approve", data={"password": "nope"})
    assert wrong.status_code == 400 and "Adgangskoden var forkert" in wrong.get_data(as_text=True)
    assert _status(make, world.id) is None
    ok = client.post(f"/reports/{world.id}/{MONTH}/approve", data={"password": PASSWORD})
    assert ok.status_code == 302
    status = _status(make, world.id)
    assert status is not None and status.state == PeriodState.APPROVED
    assert make.session.scalar(select(MonthlyAggregate).where(MonthlyAggregate.indicator == "visits.total")).value == 1
    page = client.get(f"/reports/{world.id}/{MONTH}").get_data(as_text=True)
    assert 'data-state="approved"' in page and 'data-action="reopen-month"' in page
    assert client.post(f"/reports/{world.id}/{MONTH}/reopen", data={"reason": ""}).status_code == 400
    assert client.post(f"/reports/{world.id}/{MONTH}/reopen", data={"reason": "wrong route"}).status_code == 302
    assert _status(make, world.id).state == PeriodState.OPEN


def test_open_visit_blocks_approval(world, make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    make.visit(world, dt.datetime(2025, 3, 9, 10, tzinfo=dt.UTC))  # never left
    auth.login("lead")
    page = client.get(f"/reports/{world.id}/{MONTH}").get_data(as_text=True)
    assert 'data-check="open_visits" data-count="1"' in page
    assert client.post(f"/reports/{world.id}/{MONTH}/approve", data={"password": PASSWORD}).status_code == 400
    assert _status(make, world.id) is None


@pytest.mark.parametrize("username", ["staff", "other-lead", "kommune", "national", "admin"])
def test_only_the_rooms_lead_approves_or_grants_exceptions(
    world, make: Factory, client: FlaskClient, auth: AuthActions, username: str
) -> None:
    auth.login(username)
    approve = client.post(f"/reports/{world.id}/{MONTH}/approve", data={"password": PASSWORD})
    until = (today_local() + dt.timedelta(days=5)).isoformat()
    exception = client.post(f"/reports/{world.id}/{MONTH}/lock-exception", data={"until": until, "reason": "x"})
    assert approve.status_code in (403, 404) and exception.status_code in (403, 404)
    assert _status(make, world.id) is None


def test_lead_grants_a_lock_exception(world, make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    auth.login("lead")
    until = today_local() + dt.timedelta(days=5)
    bad = client.post(f"/reports/{world.id}/{MONTH}/lock-exception", data={"until": until.isoformat(), "reason": ""})
    assert bad.status_code == 400
    ok = client.post(
        f"/reports/{world.id}/{MONTH}/lock-exception", data={"until": until.isoformat(), "reason": "paper forms"}
    )
    assert ok.status_code == 302
    assert _status(make, world.id).lock_exception_until == until


def test_municipality_accepts_its_own_rooms_only(world, make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    auth.login("lead")
    client.post(f"/reports/{world.id}/{MONTH}/approve", data={"password": PASSWORD})
    auth.logout()
    for username in ("other-kommune", "lead", "staff", "national"):
        auth.login(username)
        assert client.post(f"/reports/{world.id}/{MONTH}/accept", data={"next": "/"}).status_code == 404
        auth.logout()
    assert _status(make, world.id).state == PeriodState.APPROVED
    auth.login("kommune")
    response = client.post(f"/reports/{world.id}/{MONTH}/accept", data={"next": "/somewhere"})
    assert response.status_code == 302 and response.headers["Location"] == "/somewhere"
    assert _status(make, world.id).state == PeriodState.ACCEPTED
    evil = client.post(
        f"/reports/{world.id}/{MONTH}/reopen", data={"reason": "re-check", "next": "https://evil.example"}
    )
    assert evil.status_code == 302 and evil.headers["Location"] == "/"
    assert _status(make, world.id).state == PeriodState.APPROVED


def test_accept_and_approve_need_csrf_when_on(app, world, client: FlaskClient, auth: AuthActions) -> None:
    auth.login("lead")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/reports/{world.id}/{MONTH}/approve", data={"password": PASSWORD}).status_code == 400


def test_definitions_list_every_indicator(world, client: FlaskClient, auth: AuthActions) -> None:
    from roomlog.reporting import INDICATORS

    auth.login("kommune")
    page = client.get("/reports/definitions").get_data(as_text=True)
    for indicator in INDICATORS:
        assert f'data-indicator="{indicator.code}"' in page
    english = client.get("/reports/definitions?lang=en").get_data(as_text=True)
    assert "Voided records never count." in english


def _pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return result.stdout.decode("utf-8")


def test_pdf_is_a4_with_footer_room_month_and_status(world, client: FlaskClient, auth: AuthActions) -> None:
    auth.login("lead")
    response = client.get(f"/reports/{world.id}/{MONTH}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = _pdf_text(response.data)
    assert "Fortroligt – internt arbejdsmateriale" in text
    assert "Skyen" in text and "Månedsopgørelse" in text and "marts 2025" in text
    assert "Foreløbig – ikke godkendt" in text and "Dannet" in text
    english = _pdf_text(client.get(f"/reports/{world.id}/{MONTH}.pdf?lang=en").data)
    assert "Monthly summary" in english and "Fortroligt – internt arbejdsmateriale" in english


def test_changes_after_approval_are_flagged_with_their_count(
    app, world, make: Factory, client: FlaskClient, auth: AuthActions
) -> None:
    from roomlog.extensions import db
    from roomlog.models import Room, User
    from roomlog.services.locks import check_change_allowed

    auth.login("lead")
    client.post(f"/reports/{world.id}/{MONTH}/approve", data={"password": PASSWORD})
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.username == "lead"))
        room = db.session.get(Room, world.id)
        for reason in ("wrong route", "wrong substance"):
            check_change_allowed(
                db.session, room, dt.date(2025, 3, 4), lead, reason, lock_after_days=15, today=dt.date(2025, 4, 2)
            )
        db.session.commit()
    page = client.get(f"/reports/{world.id}/{MONTH}").get_data(as_text=True)
    assert 'data-changes="2"' in page and "Ændret efter godkendelse: 2 registreringer" in page
    assert "Godkend igen" in page
    board = client.get(f"/rooms/{world.id}/").get_data(as_text=True)
    assert 'data-action="monthly-summary"' in board


@pytest.mark.parametrize(
    ("username", "expected"), [("staff", 403), ("other-lead", 404), ("national", 404), ("admin", 404)]
)
def test_reopen_and_accept_refuse_other_roles(
    world, make: Factory, client: FlaskClient, auth: AuthActions, username: str, expected: int
) -> None:
    auth.login("lead")
    client.post(f"/reports/{world.id}/{MONTH}/approve", data={"password": PASSWORD})
    auth.logout()
    auth.login(username)
    assert client.post(f"/reports/{world.id}/{MONTH}/reopen", data={"reason": "x"}).status_code == expected
    assert client.post(f"/reports/{world.id}/{MONTH}/accept", data={}).status_code == 404
    assert _status(make, world.id).state == PeriodState.APPROVED


def test_earlier_periods_without_data_are_unknown_and_since_opening_starts_with_the_data(
    world, client: FlaskClient, auth: AuthActions
) -> None:
    """The room opened long before its first recorded month: last month and last year are «–», not 0."""
    assert world.opened_on < FIRST.replace(year=FIRST.year - 1)  # open a year before: last year's month counts
    auth.login("lead")
    html = client.get(f"/reports/{world.id}/{MONTH}").get_data(as_text=True)
    row = re.search(r'<tr data-indicator="consumptions.total">(.*?)</tr>', html, re.S)
    assert row
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]
    month, previous, last_year, change, year_to_date, since = cells
    assert (month, year_to_date, since) == ("1", "1", "1")
    assert previous == "–" and last_year == "–" and change == "–"  # no data then: unknown, never 0
    note = re.search(r"Siden åbning: ([^<]*?) til ([^<]*?), inklusive", html)
    assert note and note.group(1) == note.group(2)  # since the first month with data, not since 2012
