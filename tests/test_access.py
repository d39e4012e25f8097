"""Tenant isolation of the foundation's pages: rooms, roles, admin."""

from __future__ import annotations

from flask.testing import FlaskClient

from roomlog.models.codes import Role
from tests.support.apps import AuthActions
from tests.support.factories import Factory


def test_staff_cannot_open_another_rooms_board(make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    mine, other = make.room("Mine"), make.room("Other", municipality="461")
    make.user(Role.STAFF, rooms=[mine], username="s")
    auth.login("s")
    assert client.get(f"/rooms/{mine.id}/").status_code == 200
    assert client.get(f"/rooms/{other.id}/").status_code == 404
    assert client.get("/rooms/99999/").status_code == 404


def test_lead_of_several_rooms_sees_each(make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    a, b = make.room("A"), make.room("B")
    make.user(Role.LEAD, rooms=[a, b], username="l")
    auth.login("l")
    assert client.get("/").headers["Location"] == "/rooms/"
    page = client.get("/rooms/").get_data(as_text=True)
    assert f"/rooms/{a.id}/" in page and f"/rooms/{b.id}/" in page
    assert client.get(f"/rooms/{b.id}/").status_code == 200


def test_municipality_and_national_see_no_event_pages(make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    room = make.room(municipality="101")
    make.user(Role.MUNICIPALITY, municipality="101", username="m")
    make.user(Role.NATIONAL, username="n")
    for username in ("m", "n"):
        auth.login(username)
        assert client.get(f"/rooms/{room.id}/").status_code == 404
        assert client.get("/rooms/").status_code == 403
        auth.logout()


def test_admin_area_is_for_admins_only(make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    room = make.room()
    make.user(Role.LEAD, rooms=[room], username="l")
    auth.login("l")
    assert client.get("/admin/").status_code == 403
    assert client.post("/admin/rooms/new", data={"name": "X"}).status_code == 403
