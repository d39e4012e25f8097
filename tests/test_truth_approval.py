"""Months that cannot hold data cannot be approved (issue #11 item 6), and their pages never 500."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from roomlog.calendar import add_months, format_month, month_start, today_local
from roomlog.extensions import db
from roomlog.i18n import message
from roomlog.models import PeriodStatus, Room, User
from roomlog.models.codes import Role
from roomlog.services import DomainError, approval
from tests.support.apps import AuthActions
from tests.support.factories import Factory

PASSWORD = Factory.PASSWORD


@pytest.fixture
def room(make: Factory) -> Room:
    room = make.room("Odense", municipality="461", opened_on=dt.date(2016, 3, 15))
    make.user(Role.LEAD, rooms=[room], username="lead")
    make.user(Role.STAFF, rooms=[room], username="staff")
    return room


def _approve(app, room_id: int, month: dt.date) -> None:
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.username == "lead"))
        try:
            approval.approve_month(db.session, db.session.get(Room, room_id), month, lead, password=PASSWORD)
        finally:
            db.session.rollback()


@pytest.mark.parametrize(
    ("month", "words"),
    [
        (dt.date(2006, 11, 1), "Odense åbnede i 2016-03"),
        (dt.date(2016, 2, 1), "før rummet åbnede"),
        (dt.date(2031, 11, 1), "2031-11 ligger ude i fremtiden"),
        (dt.date(9999, 12, 1), "fremtiden"),
    ],
)
def test_the_service_refuses_months_before_opening_or_in_the_future_in_danish(app, room, month, words) -> None:
    with pytest.raises(DomainError) as caught:
        _approve(app, room.id, month)
    with app.test_request_context():  # the service keeps the msgid; the view shows it in the user's language
        assert words in message(caught.value)
    with app.app_context():
        assert db.session.scalar(select(PeriodStatus)) is None


@pytest.mark.rollback
def test_the_month_the_room_opened_can_be_approved(app, room) -> None:
    _approve(app, room.id, dt.date(2016, 3, 1))  # opened mid-month: the month is approvable


#: Month by month, the lead then the staff member: their PDFs of a month are the same HTML (the print view shows no
#: approval form), so the second is drawn from the layout the product keeps for it (``render_pdf(reuse_layout=True)``,
#: the last four per thread) instead of being laid out again; ten tests of a user's five months in a row would have
#: pushed each month's layout out before the other user asked for it.
PAGE_CASES = [
    (username, month)
    for month in ("2006-11", "2016-02", "2031-11", "1900-01", "2100-12")
    for username in ("lead", "staff")
]


@pytest.mark.parametrize(("username", "month"), PAGE_CASES, ids=[f"{u}-{m}" for u, m in PAGE_CASES])
def test_pages_of_months_that_cannot_hold_data_answer_without_500(
    client: FlaskClient, auth: AuthActions, room, month: str, username: str
) -> None:
    auth.login(username)
    response = client.get(f"/reports/{room.id}/{month}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-action="approve-month"' not in html
    if username == "lead":
        assert "data-approval-refused" in html
    assert client.get(f"/reports/{room.id}/{month}.pdf").status_code in (200, 503)


@pytest.mark.parametrize("username", ["lead", "staff"])
def test_an_absurd_month_is_not_found(client: FlaskClient, auth: AuthActions, room, username: str) -> None:
    auth.login(username)
    for url in (f"/reports/{room.id}/9999-12", f"/reports/{room.id}/9999-12.pdf", f"/reports/{room.id}/3000-01"):
        assert client.get(url).status_code == 404
    assert client.post(f"/reports/{room.id}/9999-12/approve", data={"password": PASSWORD}).status_code in (403, 404)


@pytest.mark.parametrize("month", ["2006-11", "2031-11"])
def test_posting_an_approval_is_refused_with_the_reason(
    client: FlaskClient, auth: AuthActions, room, month: str
) -> None:
    auth.login("lead")
    response = client.post(f"/reports/{room.id}/{month}/approve", data={"password": PASSWORD})
    assert response.status_code == 400
    assert "data-approval-refused" in response.get_data(as_text=True)
    assert client.application  # the month stays without a status row
    with client.application.app_context():
        assert db.session.scalar(select(PeriodStatus)) is None


def test_a_finished_month_after_opening_still_offers_approval(client: FlaskClient, auth: AuthActions, room) -> None:
    auth.login("lead")
    last = format_month(add_months(month_start(today_local()), -1))
    html = client.get(f"/reports/{room.id}/{last}").get_data(as_text=True)
    assert 'data-action="approve-month"' in html
    assert "data-approval-refused" not in html
