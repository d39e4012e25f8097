"""Idempotency keys: hashing, replay, and two identical submissions racing each other."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roomlog.calendar import month_start
from roomlog.models import AuditEntry, PeriodStatus, Visit
from roomlog.models.codes import PeriodState
from roomlog.rooms import submit
from roomlog.services import DomainError, audit
from roomlog.services.event_times import current_service_day
from roomlog.services.idempotency import checked_key, request_hash
from tests.support.apps import AuthActions
from tests.support.capture import key, location_id, one_tap_visit, staffed_room
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
    response = one_tap_visit(client, room, k)
    assert location_id(response, "visits") == winner.id
    assert len(calls) == 2
    assert dbs.scalar(select(func.count()).select_from(Visit)) == 1


@pytest.mark.both_databases
def test_a_one_tap_visit_sent_again_returns_the_first_or_is_refused_with_other_content(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    # On PostgreSQL the one-tap visit inserts without looking its key up first: a key used before
    # breaks the unique key, the insert is rolled back and the first visit answered (or refused).
    room, _user = staffed_room(make, auth)
    k = key()
    first = location_id(one_tap_visit(client, room, k), "visits")
    again = one_tap_visit(client, room, k)
    assert location_id(again, "visits") == first
    other = one_tap_visit(client, room, k, note="other")
    assert other.status_code == 409
    assert dbs.scalars(select(Visit.id)).all() == [first]
    entries = dbs.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.entity_id for e in entries if e.action == "visit.create"] == [first]
    assert audit.verify(entries) == []


@pytest.mark.both_databases
def test_a_one_tap_visit_sent_again_after_its_month_was_approved_returns_the_first(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    # The outbox may send a visit again after the month was approved: the first visit is the
    # answer, as when the key is looked up before the insert, not the approved month's refusal.
    room, _user = staffed_room(make, auth)
    k = key()
    first = location_id(one_tap_visit(client, room, k), "visits")
    dbs.add(PeriodStatus(room_id=room.id, month=month_start(current_service_day(room)), state=PeriodState.APPROVED))
    dbs.commit()
    again = one_tap_visit(client, room, k)
    assert location_id(again, "visits") == first
    assert one_tap_visit(client, room).status_code == 403
    assert dbs.scalars(select(Visit.id)).all() == [first]
