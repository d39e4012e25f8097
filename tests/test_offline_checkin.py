"""Check-in by code kept offline: the tablet seals the code parts with the server's public key."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.models import Visit, Visitor
from roomlog.services.pseudonyms import pseudonym
from roomlog.web.code_key import CODE_FIELDS, FILE_NAME, _key_for, code_key
from tests.support.apps import AuthActions
from tests.support.capture import CODE, CODE_TEXT, key, staffed_room
from tests.support.factories import Factory


def _published(client: FlaskClient, room_id: int) -> tuple[str, str]:
    page = client.get(f"/rooms/{room_id}/check-in").get_data(as_text=True)
    spki = page.split('data-code-key="', 1)[1].split('"', 1)[0]
    kid = page.split('data-code-kid="', 1)[1].split('"', 1)[0]
    return spki, kid


def _seal(spki: str, code: dict[str, str]) -> str:
    public = serialization.load_der_public_key(base64.b64decode(spki))
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    return base64.b64encode(public.encrypt(json.dumps(code).encode(), oaep)).decode()


def test_a_sealed_code_checks_in_with_the_usual_pseudonym_and_its_tap_time(
    app: Flask, make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session, caplog: pytest.LogCaptureFixture
) -> None:
    room, user = staffed_room(make, auth)
    spki, kid = _published(client, room.id)
    code = {k: v for k, v in CODE.items() if k in CODE_FIELDS}
    sealed = _seal(spki, code)
    tapped = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=7)).replace(microsecond=0)
    form = {
        "idempotency_key": key(),
        "nationality": "dk",
        "tapped_at": tapped.isoformat(),
        "sealed_code": sealed,
        "sealed_kid": kid,
        "outbox_user": str(user.id),
    }
    caplog.set_level(logging.DEBUG)
    first = client.post(f"/rooms/{room.id}/check-in", data=form)
    again = client.post(f"/rooms/{room.id}/check-in", data=form)  # a replay: the same visit
    assert first.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    [visit] = dbs.scalars(select(Visit)).all()
    visitor = dbs.get(Visitor, visit.visitor_id)
    assert visitor is not None
    assert visitor.pseudonym == pseudonym("test-pseudonym-key-for-tests-only-0123", CODE_TEXT)
    at = visit.occurred_at if visit.occurred_at.tzinfo else visit.occurred_at.replace(tzinfo=dt.UTC)
    assert at == tapped and visit.recorded_by_id == user.id
    assert sealed not in caplog.text and sealed[:40] not in caplog.text  # the ciphertext is never logged


def test_a_sealed_code_that_cannot_be_opened_is_refused_and_nothing_saved(
    app: Flask, make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    room, _user = staffed_room(make, auth)
    spki, kid = _published(client, room.id)
    good = _seal(spki, {k: v for k, v in CODE.items() if k in CODE_FIELDS})
    broken = ((good, "0" * 16), ("bm90IHNlYWxlZA==", kid), ("%%%", kid), (good[:-8] + "AAAAAAA=", kid))
    for sealed, sealed_kid in broken:
        data = {"idempotency_key": key(), "nationality": "dk", "sealed_code": sealed, "sealed_kid": sealed_kid}
        response = client.post(f"/rooms/{room.id}/check-in", data=data)
        assert response.status_code == 400
        assert "Indtast koden igen" in response.get_data(as_text=True)
    assert dbs.scalars(select(Visit)).all() == []


def test_the_private_key_is_kept_sealed_and_the_same_across_restarts(app: Flask) -> None:
    # The test's own instance folder (conftest's instance_path): no key is cached for it yet.
    with app.app_context():
        first = code_key()
        stored = (Path(app.instance_path) / FILE_NAME).read_text(encoding="ascii")
        assert stored.startswith("v1:") and "PRIVATE KEY" not in stored
        _key_for.cache_clear()  # as after a restart: read from the file again
        assert code_key().kid == first.kid


def test_a_key_file_no_data_key_opens_is_replaced_by_a_new_pair(app: Flask) -> None:
    with app.app_context():
        first = code_key().kid
        retired = app.config["DATA_KEY"]
        app.config["DATA_KEY"] = "a-completely-new-data-key-after-rotation-0123456789"
        try:
            assert code_key().kid != first  # the old file is set aside, not opened with a guess
            assert any(p.name.startswith(f"{FILE_NAME}.retired-") for p in Path(app.instance_path).iterdir())
        finally:
            app.config["DATA_KEY"] = retired
