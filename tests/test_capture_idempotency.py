"""Idempotency keys: hashing, replay, and two identical submissions racing each other."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roomlog.models import Visit
from roomlog.rooms import submit
from roomlog.services import DomainError
from roomlog.services.idempotency import checked_key, request_hash
from tests.support.apps import AuthActions
from tests.support.capture import key, location_id, staffed_room
from tests.support.factories import Factory


def test_request_hash_is_order_insensitive_and_keyed_on_demand() -> None:
    assert request_hash({"a": ["2", "1"], "b": None}) == request_hash({"b": "", "a": ["1", "2"]})
    assert request_hash({"a": "1"}) != request_hash({"a": "2"})
    assert request_hash({"a": "1"}, secret="k") != request_hash({"a": "1"})


@pytest.mark.parametrize("value", ["", "short", "x" * 65, "has space in it ok?", None])
def test_malformed_keys_are_refused(value: str | None) -> None:
    with pytest.raises(DomainError):
        checked_key(value)


@pytest.mark.both_databases
def test_losing_a_race_returns_the_winners_record(
    backend: str,
    make: Factory,
    client: FlaskClient,
    auth: AuthActions,
    dbs: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    room, user = staffed_room(make, auth)
    k = key()
    winner = make.visit(room, idempotency_key=k, recorded_by_id=user.id)
    winner.request_hash = request_hash({})
    dbs.commit()
    real_replay, calls = submit.replay, []

    def late_replay(*args: object, **kwargs: object) -> object:
        # The first look finds nothing, as if the other request had not committed yet.
        calls.append(1)
        return None if len(calls) == 1 else real_replay(*args, **kwargs)

    monkeypatch.setattr(submit, "replay", late_replay)
    response = client.post(f"/rooms/{room.id}/visits/anonymous", data={"idempotency_key": k})
    assert location_id(response, "visits") == winner.id
    assert len(calls) == 2
    assert dbs.scalar(select(func.count()).select_from(Visit)) == 1
