"""The pool end to end over HTTP: apply, decide, pay under the rules; every role sees only what it may."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.models import AuditEntry, PoolApplication, PoolPayment, Room
from roomlog.models.codes import ApplicationState, DecisionOutcome, PaymentState, PermitStatus, Role
from tests.support.apps import AuthActions
from tests.support.factories import Factory
from tests.support.worlds import application as pool_application


def _client(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    return client


@pytest.fixture
def people(make: Factory) -> dict[str, object]:
    room = make.room(
        "Esbjerg Stue", municipality="561", permit_status=PermitStatus.APPLIED, permit_date=dt.date(2025, 10, 1)
    )
    make.user(Role.MUNICIPALITY, municipality="561", username="esbjerg")
    make.user(Role.MUNICIPALITY, municipality="101", username="kbh")
    make.user(Role.NATIONAL, username="ministeriet")
    make.user(Role.STAFF, rooms=[make.room("Skyen")], username="staff")
    make.user(Role.ADMIN, username="root")
    return {"room": room}


def _apply(client: FlaskClient, room: Room, *, own: str = "2.500.000", asked: str = "2.000.000") -> int:
    response = client.post(
        "/applications/new",
        data={"room_id": str(room.id), "new_room_permit": "planned", "establishment_budget": "2.000.000",
              "establishment_requested": "1.500.000"},
    )  # fmt: skip
    assert response.status_code == 303, response.get_data(as_text=True)
    app_id = int(re.search(r"/applications/(\d+)", response.headers["Location"]).group(1))
    year = {"year": "2026", "operating_budget": "6.000.000", "operating_requested": asked, "municipal_funding": own}
    assert client.post(f"/applications/{app_id}/years", data=year).status_code == 303
    return app_id


def _application(dbs: Session, app_id: int) -> PoolApplication:
    dbs.expire_all()
    return dbs.get(PoolApplication, app_id)


def test_apply_grant_and_pay_only_once_the_permit_is_granted(app: Flask, people: dict, dbs: Session) -> None:
    room = people["room"]
    esbjerg = _client(app, "esbjerg")
    app_id = _apply(esbjerg, room)
    page = esbjerg.get(f"/applications/{app_id}").get_data(as_text=True)
    assert 'data-check="eligible.permit_pending"' in page and "intet udbetales, før tilladelsen er meddelt" in page
    assert 'data-row="year-2026"' in page and "6.000.000 kr." in page
    assert esbjerg.post(f"/applications/{app_id}/submit").status_code == 303
    application = _application(dbs, app_id)
    assert application.state == ApplicationState.SUBMITTED and application.permit_at_submit == PermitStatus.APPLIED
    # The submitted application can no longer be changed.
    changed = esbjerg.post(
        f"/applications/{app_id}/years",
        data={"year": "2027", "operating_budget": "1", "operating_requested": "1", "municipal_funding": "1"},
    )
    assert changed.status_code == 409

    ministry = _client(app, "ministeriet")
    assert f"/pool/applications/{app_id}" in ministry.get("/pool/").get_data(as_text=True)
    decided = ministry.post(
        f"/pool/applications/{app_id}/decide", data={"establishment": "1.500.000", "operating_2026": "2.000.000"}
    )
    assert decided.status_code == 303
    application = _application(dbs, app_id)
    assert application.outcome == DecisionOutcome.FULL and application.establishment_granted_kr == 1_500_000
    committed = ministry.post(
        f"/pool/applications/{app_id}/payments", data={"component": "establishment", "amount": "1.500.000"}
    )
    assert committed.status_code == 303
    payment = dbs.scalar(select(PoolPayment).where(PoolPayment.application_id == app_id))
    refused = ministry.post(f"/pool/payments/{payment.id}/pay")
    assert refused.status_code == 400
    assert "Ingen udbetaling, så længe tilladelsen til Esbjerg Stue ikke er meddelt" in refused.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(PoolPayment, payment.id).state == PaymentState.COMMITTED

    admin = _client(app, "root")
    granted = admin.post(
        f"/admin/rooms/{room.id}/permit", data={"status": "granted", "on_date": "2026-01-15", "note": "SST"}
    )
    assert granted.status_code == 302
    assert ministry.post(f"/pool/payments/{payment.id}/pay").status_code == 303
    dbs.expire_all()
    assert dbs.get(PoolPayment, payment.id).state == PaymentState.PAID
    overview = ministry.get("/pool/").get_data(as_text=True)
    assert "25.000.000 kr." in overview and "3.500.000 kr." in overview and "21.500.000 kr." in overview
    actions = set(dbs.scalars(select(AuditEntry.action).where(AuditEntry.action.like("pool.%"))))
    assert {"pool.application.create", "pool.application.year", "pool.application.submit", "pool.decision",
            "pool.payment.commit", "pool.payment.pay"} <= actions  # fmt: skip
    # The decision letter: the ministry and the municipality itself, nobody else.
    for client in (ministry, esbjerg):
        letter = client.get(f"/pool/applications/{app_id}/letter.pdf")
        assert letter.status_code == 200 and letter.mimetype == "application/pdf" and letter.data.startswith(b"%PDF")
    assert _client(app, "kbh").get(f"/pool/applications/{app_id}/letter.pdf").status_code == 404


def test_a_municipal_shortfall_is_flagged_and_blocks_the_operating_payment(
    app: Flask, people: dict, dbs: Session
) -> None:
    room = people["room"]
    dbs.get(Room, room.id).permit_status = PermitStatus.GRANTED
    dbs.commit()
    esbjerg = _client(app, "esbjerg")
    app_id = _apply(esbjerg, room, own="1.200.000", asked="2.000.000")
    page = esbjerg.get(f"/applications/{app_id}").get_data(as_text=True)
    assert 'data-check="eligible.shortfall"' in page and "800.000 kr. lavere" in page
    assert esbjerg.post(f"/applications/{app_id}/submit").status_code == 303
    ministry = _client(app, "ministeriet")
    ministry.post(
        f"/pool/applications/{app_id}/decide",
        data={"establishment": "0", "operating_2026": "2.000.000", "reason": "Etablering er dækket."},
    )
    assert _application(dbs, app_id).outcome == DecisionOutcome.PARTIAL
    ministry.post(f"/pool/applications/{app_id}/payments", data={"component": "operating:2026", "amount": "1.000.000"})
    payment = dbs.scalar(select(PoolPayment).where(PoolPayment.application_id == app_id))
    detail = ministry.get(f"/pool/applications/{app_id}").get_data(as_text=True)
    assert "data-blocker" in detail and "800.000 kr. lavere end statens driftsmedfinansiering" in detail
    assert 'data-check="shortfall"' in ministry.get("/pool/").get_data(as_text=True)
    refused = ministry.post(f"/pool/payments/{payment.id}/pay")
    assert refused.status_code == 400 and "ingen udbetaling til drift" in refused.get_data(as_text=True)
    # The municipality raises its own funding; the payment goes through.
    assert (
        esbjerg.post(f"/applications/{app_id}/years/2026/funding", data={"municipal_funding": "2.000.000"}).status_code
        == 303
    )
    assert ministry.post(f"/pool/payments/{payment.id}/pay").status_code == 303
    withheld = ministry.post(
        f"/pool/applications/{app_id}/payments", data={"component": "operating:2026", "amount": "1.000.000"}
    )
    assert withheld.status_code == 303
    second = dbs.scalars(
        select(PoolPayment).where(PoolPayment.application_id == app_id).order_by(PoolPayment.id)
    ).all()[-1]
    assert ministry.post(f"/pool/payments/{second.id}/withhold", data={"reason": "Mangler regnskab"}).status_code == 303
    dbs.expire_all()
    assert dbs.get(PoolPayment, second.id).state == PaymentState.WITHHELD
    over = ministry.post(
        f"/pool/applications/{app_id}/payments", data={"component": "operating:2026", "amount": "1.000.001"}
    )
    assert over.status_code == 400 and "resten af bevillingen" in over.get_data(as_text=True)


def _payment_count(dbs: Session, app_id: int) -> int:
    dbs.expire_all()
    return len(dbs.scalars(select(PoolPayment).where(PoolPayment.application_id == app_id)).all())


def test_a_double_click_on_commit_payment_commits_once(app: Flask, people: dict, make: Factory, dbs: Session) -> None:
    application = pool_application(make, people["room"], grant={})
    ministry = _client(app, "ministeriet")
    page = ministry.get(f"/pool/applications/{application.id}").get_data(as_text=True)
    key = re.search(r'name="request_key"[^>]*value="([0-9a-f]{32})"', page)
    assert key, "the payment form carries a one-time key"
    form = {"component": "establishment", "amount": "100.000", "request_key": key.group(1)}
    url = f"/pool/applications/{application.id}/payments"
    assert ministry.post(url, data=form).status_code == 303
    assert ministry.post(url, data=form).status_code == 303  # the second click shows the first result
    assert _payment_count(dbs, application.id) == 1
    reused = ministry.post(url, data={**form, "amount": "200.000"})
    assert reused.status_code == 409 and _payment_count(dbs, application.id) == 1
    fresh = ministry.post(url, data={"component": "establishment", "amount": "100.000"})
    assert fresh.status_code == 303 and _payment_count(dbs, application.id) == 2


@pytest.mark.parametrize("app_config", [{"POOL_TOTAL_DKK": 3_000_000}])
def test_a_commitment_beyond_the_pool_is_refused(app: Flask, people: dict, make: Factory, dbs: Session) -> None:
    room = people["room"]
    other = make.room(
        "Aalborg", municipality="851", permit_status=PermitStatus.PLANNED, permit_date=dt.date(2025, 5, 1)
    )
    make.user(Role.MUNICIPALITY, municipality="851", username="aalborg")
    first, second = _apply(_client(app, "esbjerg"), room), _apply(_client(app, "aalborg"), other)
    _client(app, "esbjerg").post(f"/applications/{first}/submit")
    _client(app, "aalborg").post(f"/applications/{second}/submit")
    ministry = _client(app, "ministeriet")
    assert (
        ministry.post(
            f"/pool/applications/{first}/decide",
            data={"establishment": "500.000", "operating_2026": "1.500.000", "reason": "Delvis"},
        ).status_code
        == 303
    )
    refused = ministry.post(
        f"/pool/applications/{second}/decide",
        data={"establishment": "1.500.000", "operating_2026": "0", "reason": "Kun etablering"},
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert (
        "Puljen kan ikke give tilsagn om 1.500.000 kr." in text
        and "kun 1.000.000 kr. tilbage af puljens 3.000.000 kr." in text
    )
    assert _application(dbs, second).state == ApplicationState.SUBMITTED
    ok = ministry.post(
        f"/pool/applications/{second}/decide",
        data={"establishment": "1.000.000", "operating_2026": "0", "reason": "Puljen er opbrugt"},
    )
    assert ok.status_code == 303
    assert "0 kr." in ministry.get("/pool/").get_data(as_text=True)
    book = load_workbook(io.BytesIO(ministry.get("/pool/overview.xlsx").data))
    totals = {row[0].value: row[1].value for row in book["Pulje"].iter_rows(min_row=2)}
    assert totals == {
        "Puljen i alt": 3_000_000,
        "Bevilget (disponeret)": 3_000_000,
        "Udbetalt": 0,
        "Til udbetaling": 0,
        "Tilbage i puljen": 0,
    }
    assert [r[1].value for r in book["Rum"].iter_rows(min_row=2)] == ["Aalborg", "Esbjerg Stue"]
    assert book.sheetnames[-1] == "Metadata" and all(ws.freeze_panes == "A2" for ws in book.worksheets)


def test_a_municipality_sees_only_its_own_applications(app: Flask, people: dict, dbs: Session) -> None:
    app_id = _apply(_client(app, "esbjerg"), people["room"])
    kbh = _client(app, "kbh")
    assert "Esbjerg" not in kbh.get("/applications/").get_data(as_text=True)
    for url in (f"/applications/{app_id}", f"/pool/applications/{app_id}/letter.pdf"):
        assert kbh.get(url).status_code == 404
    for url in (
        f"/applications/{app_id}/submit",
        f"/applications/{app_id}/years/2026/remove",
        f"/applications/{app_id}/years/2026/funding",
    ):
        assert kbh.post(url, data={"municipal_funding": "1"}).status_code == 404
    # Another municipality's room cannot be picked in the form either.
    form = {
        "room_id": str(people["room"].id),
        "new_room_permit": "planned",
        "establishment_budget": "1",
        "establishment_requested": "1",
    }
    assert kbh.post("/applications/new", data=form).status_code == 400
    assert _application(dbs, app_id).state == ApplicationState.DRAFT
    staff = _client(app, "staff")
    for url in ("/applications/", "/pool/", "/pool/funding", f"/pool/applications/{app_id}"):
        assert staff.get(url).status_code == 403
    assert kbh.get("/pool/").status_code == 403 and kbh.get(f"/pool/applications/{app_id}").status_code == 403


@pytest.mark.both_databases
def test_a_new_planned_room_can_apply(app: Flask, people: dict, dbs: Session, backend: str) -> None:
    """On PostgreSQL too: the new room is the municipality's, so its rows pass row-level security in that request."""
    esbjerg = _client(app, "esbjerg")
    form = {"room_id": "", "new_room_name": "Esbjerg Nord", "new_room_permit": "planned",
            "new_room_permit_date": "2025-12-01", "establishment_budget": "1.000.000",
            "establishment_requested": "900.000"}  # fmt: skip
    assert esbjerg.post("/applications/new", data=form).status_code == 303
    room = dbs.scalar(select(Room).where(Room.name == "Esbjerg Nord"))
    assert room.municipality_code == "561" and room.permit_status == PermitStatus.PLANNED
    assert room.permit_date == dt.date(2025, 12, 1)
    clash = esbjerg.post("/applications/new", data=form)
    assert clash.status_code == 400 and "findes allerede" in clash.get_data(as_text=True)
    bad = esbjerg.post("/applications/new", data={**form, "new_room_name": "X", "establishment_budget": "1,5 mio"})
    assert bad.status_code == 400 and "helt antal kroner" in bad.get_data(as_text=True)


def test_a_new_room_is_run_by_the_municipality_by_its_official_name(app: Flask, people: dict, dbs: Session) -> None:
    """København's new room is run by «Københavns Kommune» (its official name), not «København Kommune»."""
    form = {"room_id": "", "new_room_name": "Amager Øst", "new_room_permit": "planned",
            "new_room_permit_date": "2025-12-01", "establishment_budget": "1.000.000",
            "establishment_requested": "900.000"}  # fmt: skip
    assert _client(app, "kbh").post("/applications/new", data=form).status_code == 303
    room = dbs.scalar(select(Room).where(Room.name == "Amager Øst"))
    assert room.municipality_code == "101" and room.operator_name == "Københavns Kommune"


def test_pages_in_english(app: Flask, people: dict) -> None:
    esbjerg = _client(app, "esbjerg")
    esbjerg.post("/account/language", data={"language": "en"})
    page = esbjerg.get("/applications/new").get_data(as_text=True)
    assert "New application to the pool" in page and "Establishment budget (kr.)" in page
