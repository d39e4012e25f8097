"""Red-team regressions: hostile values that once reached a page and broke it (docs/attacks.md, attack 2)."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.models import Emergency, Room
from roomlog.models.codes import PermitStatus, Role
from roomlog.reporting.exports import Sheet, workbook_bytes
from tests.support.apps import AuthActions
from tests.support.capture import key, staffed_room, visit
from tests.support.factories import Factory

#: Free text that looks like an ISO time but cannot be shown in local time (UTC+1 past year 9999).
LOOKS_LIKE_TIMES = ["9999-12-31T23:59", "9999-12-31 23:59:59+00:00", "0001-01-01T00:00", "2026-13-45T25:99"]


@pytest.mark.parametrize("note", LOOKS_LIKE_TIMES)
def test_a_note_that_looks_like_an_absurd_time_never_breaks_the_record_page(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session, note: str
) -> None:
    room, _user = staffed_room(make, auth)
    visit_id = visit(client, room)
    client.post(f"/rooms/{room.id}/emergencies", data={"visit_id": str(visit_id), "idempotency_key": key()})
    emergency = dbs.scalars(select(Emergency).where(Emergency.room_id == room.id)).one()
    url = f"/rooms/{room.id}/records/emergency/{emergency.id}"
    saved = client.post(f"{url}/correct", data={"note": note, "reason": "adversary"})
    assert saved.status_code in (303, 400), saved.status_code
    # The history now holds the text: the record page, and the next correction's re-rendered form, still answer.
    page = client.get(url)
    assert page.status_code == 200
    again = client.post(f"{url}/correct", data={"severity": "not-a-severity", "reason": "adversary"})
    assert again.status_code < 500


@pytest.mark.parametrize("field", ["room_id", "new_room_permit"])
def test_a_choice_sent_as_blanks_is_refused_or_taken_as_none_never_a_500(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session, field: str
) -> None:
    """Session 17: ``"   "`` in a choice with ``Optional`` skipped the list of choices and reached ``int()`` /
    ``PermitStatus()`` (500). Blanks are no choice: the draft is for a new room, planned by default."""
    make.user(Role.MUNICIPALITY, municipality="561", username="esbjerg")
    assert auth.login("esbjerg").status_code == 302
    form = {"room_id": "", "new_room_name": "Esbjerg Nord", "new_room_permit": "planned",
            "new_room_permit_date": "2025-12-01", "establishment_budget": "1.000.000",
            "establishment_requested": "900.000", field: "   "}  # fmt: skip
    saved = client.post("/applications/new", data=form)
    assert saved.status_code == 303, saved.status_code
    room = dbs.scalars(select(Room).where(Room.name == "Esbjerg Nord")).one()
    assert room.municipality_code == "561" and room.permit_status == PermitStatus.PLANNED


def test_stored_text_in_a_workbook_stays_text_and_never_breaks_the_download() -> None:
    """Session 17: a room named with a control character (a municipality names its new room in its application)
    made every workbook that lists it answer 500 (openpyxl's IllegalCharacterError), and a name starting with
    ``=`` became a live formula in the national workbook."""
    formula = '=HYPERLINK("https://evil.example","klik")'
    book = workbook_bytes([Sheet("Data", ["navn", "antal"], [[formula, 1], ["\x01\x1b[31m\x7f", 2], ["Skyen", 3]])])
    cells = [[(c.value, c.data_type) for c in row] for row in load_workbook(io.BytesIO(book))["Data"].iter_rows()]
    assert cells[1] == [(formula, "s"), (1, "n")]  # the text itself, not a formula
    assert cells[2] == [("\ufffd\ufffd[31m\x7f", "s"), (2, "n")]  # what a cell cannot hold is marked, the rest kept
    assert cells[3] == [("Skyen", "s"), (3, "n")]


CONTROL = "Et rums navn må ikke indeholde kontroltegn."
FORMULA = "Et rums navn må ikke begynde med =, +, - eller @"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        # a municipality could name its new room with control characters (stored, then shown in every export,
        # PDF and the API)
        ("\x01\x1b[31m\x7f", CONTROL),
        ("Nord\tSyd", CONTROL),
        ("Nord\x9bSyd", CONTROL),
        # the CSV downloads write a room's name as it is, and a spreadsheet opening them runs a name starting
        # with =, +, - or @ as a formula
        ('=HYPERLINK("https://evil.example","klik")', FORMULA),
        ("+45 rum", FORMULA),
        ("-1", FORMULA),
        ("@SUM(A1)", FORMULA),
        (" =1", FORMULA),
    ],
)
def test_a_hostile_room_name_is_refused_with_a_message(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session, name: str, message: str
) -> None:
    """Session 17 (attack17): a room name with control characters or one a spreadsheet would run as a formula is
    refused with the form and a Danish message; no room is made."""
    make.user(Role.MUNICIPALITY, municipality="561", username="esbjerg")
    assert auth.login("esbjerg").status_code == 302
    form = {"room_id": "", "new_room_name": name, "new_room_permit": "planned", "new_room_permit_date": "2025-12-01",
            "establishment_budget": "1.000.000", "establishment_requested": "900.000"}  # fmt: skip
    refused = client.post("/applications/new", data=form)
    assert refused.status_code == 400
    assert message in refused.get_data(as_text=True)
    assert dbs.scalars(select(Room).where(Room.municipality_code == "561")).all() == []
