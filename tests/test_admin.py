"""The admin area: rooms and users, in Danish and English."""

from __future__ import annotations

import importlib
import pkgutil

from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session

import roomlog
from roomlog.form_messages import TranslatedForm
from roomlog.models import AuditEntry, Room, User
from roomlog.models.codes import Role
from tests.support.apps import AuthActions
from tests.support.factories import Factory

ROOM_FORM = {
    "name": "Aalborg Stue",
    "municipality_code": "851",
    "operator_name": "Aalborg Kommune",
    "operator_type": "municipal",
    "model": "integrated",
    "permit_status": "applied",
    "permit_date": "2025-05-01",
    "places_injection": "4",
    "places_smoking": "2",
    "opening_hours": "09–21",
    "service_day_cutoff": "05:00",
    "active": "y",
}


def _admin(make: Factory, auth: AuthActions) -> None:
    make.user(Role.ADMIN, username="root")
    auth.login("root")


def test_admin_creates_a_room(make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session) -> None:
    _admin(make, auth)
    assert client.post("/admin/rooms/new", data=ROOM_FORM).status_code == 302
    room = dbs.scalar(select(Room).where(Room.name == "Aalborg Stue"))
    assert room.municipality_code == "851" and room.places_injection == 4
    assert dbs.scalar(select(AuditEntry).where(AuditEntry.action == "room.create")) is not None


def test_room_form_errors_keep_what_was_typed(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    _admin(make, auth)
    page = client.post("/admin/rooms/new", data={**ROOM_FORM, "places_injection": "500"}).get_data(as_text=True)
    assert "Aalborg Stue" in page and 'class="error"' in page
    assert dbs.scalar(select(Room).where(Room.name == "Aalborg Stue")) is None


def test_form_errors_are_in_danish_on_every_form(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    """WTForms ships no Danish: every form must take its messages from roomlog's catalogue (TranslatedForm)."""
    _admin(make, auth)
    bad = {**ROOM_FORM, "places_injection": "-999999", "permit_date": "", "service_day_cutoff": ""}
    page = client.post("/admin/rooms/new", data=bad).get_data(as_text=True)
    assert "Tallet skal være mellem 0 og 99." in page and "Feltet skal udfyldes." in page
    assert "Number must be" not in page and "This field is required" not in page
    forms = [
        form
        for module in pkgutil.walk_packages(roomlog.__path__, "roomlog.")
        if module.name.endswith("forms") or module.name.endswith("tokens")
        for form in vars(importlib.import_module(module.name)).values()
        if isinstance(form, type) and issubclass(form, FlaskForm) and form.__module__ == module.name
    ]
    assert len(forms) >= 20
    assert [form.__name__ for form in forms if not issubclass(form, TranslatedForm)] == []


def test_admin_creates_disables_and_resets_a_user(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room = make.room("Stuen")
    _admin(make, auth)
    response = client.post(
        "/admin/users/new",
        data={
            "username": "mette",
            "role": "staff",
            "rooms": [str(room.id)],
            "municipality_code": "",
            "password": "en lang og god sætning",
        },
    )
    assert response.status_code == 302
    user = dbs.scalar(select(User).where(User.username == "mette"))
    assert [r.name for r in user.rooms] == ["Stuen"]
    response = client.post(
        f"/admin/users/{user.id}",
        data={"username": "mette", "role": "staff", "rooms": [str(room.id)], "municipality_code": ""},
    )
    assert response.status_code == 302
    dbs.expire_all()
    assert user.active is False
    response = client.post(f"/admin/users/{user.id}/password", data={"password": "helt ny og lang sætning"})
    assert response.status_code == 302


def test_user_needs_a_room_or_municipality_matching_the_role(
    make: Factory, client: FlaskClient, dbs: Session, auth: AuthActions
) -> None:
    _admin(make, auth)
    page = client.post(
        "/admin/users/new",
        data={"username": "x", "role": "staff", "municipality_code": "", "password": "en lang og god sætning"},
    ).get_data(as_text=True)
    assert "mindst ét rum" in page
    assert dbs.scalar(select(User).where(User.username == "x")) is None


def test_short_passwords_are_refused(make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session) -> None:
    _admin(make, auth)
    page = client.post(
        "/admin/users/new", data={"username": "y", "role": "national", "municipality_code": "", "password": "kort"}
    ).get_data(as_text=True)
    assert "mindst 12 tegn" in page


def test_municipality_list_shows_all_98(make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session) -> None:
    _admin(make, auth)
    make.room("Østerbro", municipality="101")
    make.room("Amager", municipality="101")
    page = client.get("/admin/municipalities").get_data(as_text=True)
    assert page.count("<tr>") == 99 and "Ringkøbing-Skjern" in page
    assert "<td>Amager, Østerbro</td>" in page  # each municipality's rooms, by name


def test_admin_pages_in_english(make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session) -> None:
    _admin(make, auth)
    client.post("/account/language", data={"language": "en"})
    assert "New room" in client.get("/admin/").get_data(as_text=True)


def test_a_room_dated_in_year_1_is_refused_with_a_message(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    _admin(make, auth)
    for field in ("permit_date", "opened_on"):
        response = client.post("/admin/rooms/new", data={**ROOM_FORM, field: "0001-01-01"})
        assert response.status_code == 200
        assert "Datoer skal ligge mellem 1990 og 2099." in response.get_data(as_text=True)
    assert dbs.scalar(select(Room).where(Room.name == "Aalborg Stue")) is None
