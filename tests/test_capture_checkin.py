"""Check-in by visitor code: known/new, under 18, anonymous, turn-away, idempotency, privacy."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roomlog.models import AuditEntry, Visit, Visitor
from roomlog.models.codes import Role, Sex, TurnAwayReason, VisitOutcome
from roomlog.services.pseudonyms import pseudonym, visitor_code
from tests.support.apps import AuthActions, sqlite_path
from tests.support.capture import CODE, CODE_TEXT, check_in, key, location_id, one_tap_visit, staffed_room, stored
from tests.support.factories import Factory
from tests.support.net import without_csrf_tokens


@pytest.mark.both_databases
def test_new_then_known_visitor(
    backend: str, make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    first = check_in(client, room)
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert 'data-visitor="new"' in page
    visitor = dbs.scalar(select(Visitor))
    assert visitor is not None
    assert visitor.pseudonym == pseudonym("test-pseudonym-key-for-tests-only-0123", CODE_TEXT)
    assert (visitor.birth_year, visitor.sex.value, visitor.nationality.value) == (1981, "m", "dk")
    assert visitor.check_word in page
    client.post(f"/rooms/{room.id}/visits/{location_id(first, 'visits')}/check-out", data={"idempotency_key": key()})
    second = check_in(client, room, last_letters="qxz", first_letters="jw")
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert 'data-visitor="known"' in page and visitor.check_word in page
    assert dbs.scalar(select(func.count()).select_from(Visitor)) == 1
    assert [v.visitor_id for v in stored(dbs, Visit)] == [visitor.id, visitor.id]


def test_a_visitor_already_in_the_room_is_offered_the_open_visit(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    first = check_in(client, room)
    second = check_in(client, room, birth="17031981", birth_day="", birth_month="", birth_year="")
    assert second.headers["Location"] == first.headers["Location"]
    assert len(stored(dbs, Visit)) == 1
    assert "allerede tjekket ind" in client.get(second.headers["Location"]).get_data(as_text=True)


def test_one_birth_date_field_and_autofocus(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    page = client.get(f"/rooms/{room.id}/check-in").get_data(as_text=True)
    assert 'id="birth"' in page and 'id="birth_day"' not in page
    tag = re.search(r'<input[^>]*id="last_letters"[^>]*>', page)
    assert tag and "autofocus" in tag.group(0)
    for birth in ("17.03.1981", "17-03-1981", "17 03 1981"):
        one_field = {"birth": birth, "birth_day": "", "birth_month": "", "birth_year": ""}
        response = check_in(client, room, idempotency_key=key(), **one_field)
        assert response.status_code == 303
    assert len(stored(dbs, Visit)) == 1  # the same visitor: offered the open visit each time


def test_under_18_is_turned_away_without_a_visitor_row(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    year = str(dt.date.today().year - 16)
    k = key()
    asked = check_in(client, room, birth_year=year, idempotency_key=k)
    assert asked.status_code == 200 and 'data-confirm="under-18"' in asked.get_data(as_text=True)
    assert stored(dbs, Visit) == []  # nothing saved before staff confirms
    response = check_in(client, room, birth_year=year, idempotency_key=k, confirm_under_18="yes")
    assert response.status_code == 303
    (visit,) = stored(dbs, Visit)
    assert visit.outcome == VisitOutcome.TURNED_AWAY and visit.turn_away_reason == TurnAwayReason.UNDER_18
    assert visit.visitor_id is None
    assert dbs.scalar(select(func.count()).select_from(Visitor)) == 0
    assert "under 18" in client.get(response.headers["Location"]).get_data(as_text=True).lower()


@pytest.mark.both_databases
def test_double_submit_returns_the_first_visit(
    backend: str, make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    k = key()
    first, second = check_in(client, room, idempotency_key=k), check_in(client, room, idempotency_key=k)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(stored(dbs, Visit)) == 1


def test_reused_key_with_other_data_is_409(make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session) -> None:
    room, _user = staffed_room(make, auth)
    k = key()
    assert check_in(client, room, idempotency_key=k).status_code == 303
    response = check_in(client, room, idempotency_key=k, birth_day="18")
    assert response.status_code == 409
    assert "andet indhold" in response.get_data(as_text=True)
    assert len(stored(dbs, Visit)) == 1


def test_errors_re_render_and_keep_input(make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session) -> None:
    room, _user = staffed_room(make, auth)
    response = check_in(client, room, birth_day="31", birth_month="2", sex="")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'value="QXZ"' in page and 'value="31021981"' in page  # the parts come back in the one field
    assert "Den dato findes ikke." in page
    assert stored(dbs, Visit) == []
    assert check_in(client, room, idempotency_key="").status_code == 400


def test_missing_key_is_refused(make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session) -> None:
    room, _user = staffed_room(make, auth)
    assert client.post(f"/rooms/{room.id}/visits/anonymous", data={}).status_code == 400
    assert stored(dbs, Visit) == []


def test_anonymous_visit_and_turn_away(make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session) -> None:
    room, _user = staffed_room(make, auth)
    k = key()
    for _ in range(2):
        location_id(one_tap_visit(client, room, k), "visits")
    assert client.get(f"/rooms/{room.id}/turn-away").status_code == 200
    response = client.post(
        f"/rooms/{room.id}/turn-away", data={"idempotency_key": key(), "turn_away_reason": "intoxicated"}
    )
    location_id(response, "visits")
    assert client.post(f"/rooms/{room.id}/turn-away", data={"idempotency_key": key()}).status_code == 400
    visits = stored(dbs, Visit)
    assert [(v.outcome.value, v.visitor_id) for v in visits] == [("admitted", None), ("turned_away", None)]
    assert visits[1].turn_away_reason == TurnAwayReason.INTOXICATED
    assert dbs.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "visit")) == 2


def test_raw_code_never_reaches_database_logs_or_urls(
    make: Factory, client: FlaskClient, auth: AuthActions, app, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    room, _user = staffed_room(make, auth)
    response = check_in(client, room)
    assert check_in(client, room, birth_month="13").status_code == 400  # an error page must not echo it to logs
    assert "QXZ" not in response.headers["Location"]
    visit_page = without_csrf_tokens(client.get(response.headers["Location"]).get_data(as_text=True))
    data = sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"]).read_bytes()
    for needle in (CODE_TEXT, "QXZJW", "17031981", visitor_code("QXZ", "JW", dt.date(1981, 3, 17), Sex.M)):
        assert needle.encode() not in data
        assert needle not in caplog.text
        assert needle not in visit_page
    assert "1981-03-17" not in caplog.text and b"1981-03-17" not in data
    assert CODE["last_letters"] not in caplog.text


@pytest.mark.parametrize("role", [Role.MUNICIPALITY, Role.NATIONAL, Role.ADMIN])
def test_other_roles_cannot_check_in(make: Factory, client: FlaskClient, auth: AuthActions, role: Role) -> None:
    room = make.room()
    make.user(role, municipality="101" if role == Role.MUNICIPALITY else None, username="u")
    auth.login("u")
    assert client.get(f"/rooms/{room.id}/check-in").status_code == 404
    assert check_in(client, room).status_code == 404


def test_staff_of_another_room_gets_404(make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session) -> None:
    room, other = make.room(), make.room()
    make.user(Role.STAFF, rooms=[other], username="o")
    auth.login("o")
    for url in (f"/rooms/{room.id}/", f"/rooms/{room.id}/check-in", f"/rooms/{room.id}/board/live"):
        assert client.get(url).status_code == 404
    assert check_in(client, room).status_code == 404
    assert one_tap_visit(client, room).status_code == 404
    assert stored(dbs, Visit) == []
