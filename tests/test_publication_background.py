"""Publication after a change runs after the change commits, in the background, without holding the write lock.

The app here publishes in the background (``PUBLISH_IN_BACKGROUND = True``, the default outside tests); a
``threading.Event`` hook holds the run while it protects, so nothing depends on timing. Every other test
app publishes in the change's own transaction, so tests that approve and then read pages see the figures
at once (roomlog/config.py, docs/testing.md).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roomlog.calendar import add_months, today_local
from roomlog.extensions import db, publishing
from roomlog.models import MonthlyAggregate, MonthlyHistory, PeriodStatus, Publication, Room, User, Visit
from roomlog.models.codes import PeriodState, Role
from roomlog.publication_runs import Runs, runs
from roomlog.services import publication
from roomlog.services.approval import approve_month
from roomlog.services.publication import publish_in_steps
from roomlog.services.tokens import create_token
from tests.support.apps import AuthActions
from tests.support.capture import key, location_id, one_tap_visit
from tests.support.factories import Factory
from tests.support.worlds import bearer

#: Generous: the runs wait on each other, never on the clock; this only ends a test that would hang.
WAIT_S = 120
MONTH = add_months(today_local().replace(day=1), -1)  # finished, the room's only month
LABEL = MONTH.strftime("%Y-%m")


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"PUBLISH_IN_BACKGROUND": True}


@pytest.fixture
def background(app: Flask) -> Iterator[Runs]:
    found = runs(app)
    yield found
    found.hook = None
    assert found.wait(WAIT_S), "a background publication run did not end"


def _lead_room(make: Factory) -> tuple[Room, str]:
    """A room whose only finished month holds 9 visits, and its lead (nothing approved yet)."""
    room = make.room("Solo", "101", opened_on=MONTH)
    lead = make.user(Role.LEAD, rooms=[room], username="solo-lead")
    at = dt.datetime.combine(MONTH.replace(day=10), dt.time(12), tzinfo=dt.UTC)
    for _ in range(9):
        make.visit(room, occurred_at=at, left_at=at + dt.timedelta(minutes=30))
    return room, lead.username


def _staffed_room(make: Factory, app: Flask) -> tuple[Room, FlaskClient]:
    """A room opened this month (so it has nothing to close) and a staff client logged in to it."""
    room = make.room("Nyt", "101", opened_on=today_local().replace(day=1), assisted_allowed=True)
    staff = make.user(Role.STAFF, rooms=[room], username="nyt-staff")
    client = app.test_client()
    AuthActions(client).login(staff.username)
    return room, client


def _versions(dbs: Session, label: str = LABEL) -> list[int]:
    dbs.expire_all()
    return sorted(dbs.scalars(select(Publication.version).where(Publication.period == label)))


def _approve(client: FlaskClient, auth: AuthActions, room: Room, lead: str) -> int:
    auth.login(lead)
    data = {"password": Factory.PASSWORD, "backdated_reviewed": "y"}
    return client.post(f"/reports/{room.id}/{LABEL}/approve", data=data).status_code


def _state(dbs: Session, room: Room) -> PeriodState | None:
    dbs.expire_all()
    return dbs.scalar(select(PeriodStatus.state).where(PeriodStatus.room_id == room.id, PeriodStatus.month == MONTH))


@pytest.mark.both_databases
def test_the_approval_commits_and_returns_while_the_publication_protects_and_captures_go_on(
    app: Flask, make: Factory, dbs: Session, client: FlaskClient, auth: AuthActions, background: Runs
) -> None:
    room, lead = _lead_room(make)
    other, staff = _staffed_room(make, app)
    national = make.user(Role.NATIONAL, username="nat")
    token = create_token(dbs, national).value
    dbs.commit()
    protecting, release = threading.Event(), threading.Event()

    def hold(step: str) -> None:
        if step == "protected":  # read and protected, nothing stored: the run waits here
            protecting.set()
            assert release.wait(WAIT_S)

    background.hook = hold
    assert _approve(client, auth, room, lead) == 302  # the request has returned ...
    assert protecting.wait(WAIT_S)  # ... while its publication is being protected
    assert _state(dbs, room) == PeriodState.APPROVED  # and the approval is committed
    assert _versions(dbs) == []
    # A tablet in another room captures meanwhile: the run holds no write lock (SQLite has one for the file).
    visit = location_id(one_tap_visit(staff, other, key()), "visits")
    assert dbs.get(Visit, visit) is not None
    release.set()
    assert background.wait(WAIT_S)
    assert _versions(dbs) == [1]
    auth.login("nat")
    assert LABEL in client.get("/national/").get_data(as_text=True)
    url = f"/api/v1/aggregates?from={LABEL}&to={LABEL}&indicator=visits.total"
    rows = client.get(url, headers=bearer(token)).get_json()["rows"]
    assert {(r["room_id"], r["value"]) for r in rows if r["room_id"] == room.id} == {(room.id, 9)}


def test_a_failing_publication_leaves_the_approval_committed_and_roomlog_publish_publishes_it(
    app: Flask,
    make: Factory,
    dbs: Session,
    client: FlaskClient,
    auth: AuthActions,
    runner: FlaskCliRunner,
    background: Runs,
) -> None:
    room, lead = _lead_room(make)
    failed = threading.Event()

    def fail(step: str) -> None:
        failed.set()
        raise RuntimeError("the publication failed")

    background.hook = fail
    assert _approve(client, auth, room, lead) == 302
    assert failed.wait(WAIT_S) and background.wait(WAIT_S)
    assert _state(dbs, room) == PeriodState.APPROVED
    assert _versions(dbs) == []
    background.hook = None
    result = runner.invoke(args=["publish"])
    assert result.exit_code == 0, result.output
    assert LABEL in result.output
    assert _versions(dbs) == [1]


def test_changes_while_a_run_goes_are_coalesced_into_one_more_run(app: Flask, background: Runs) -> None:
    started, release = threading.Event(), threading.Event()

    def hold(step: str) -> None:
        started.set()
        assert release.wait(WAIT_S)

    background.hook = hold
    with app.app_context():
        db.session.commit()  # (nothing due: the runs below find nothing and stop at their first step)
    before = background.finished
    background.request()
    assert started.wait(WAIT_S)  # the first run is going (held after it protected: nothing was due)
    background.request()
    background.request()
    release.set()
    assert background.wait(WAIT_S)
    assert background.finished - before == 2  # the first run, and one more for the two that came while it went


@pytest.mark.both_databases
def test_two_runs_at_once_store_one_version(app: Flask, make: Factory, dbs: Session) -> None:
    room, lead = _lead_room(make)
    with app.app_context():
        here, person = db.session.get(Room, room.id), db.session.scalar(select(User).where(User.username == lead))
        assert here is not None and person is not None
        approve_month(db.session, here, MONTH, person, password=None, require_password=False, publish=False)
        db.session.commit()
    both = threading.Barrier(2, timeout=WAIT_S)
    out: list[list[str]] = []

    def run() -> None:
        met: list[bool] = []

        def meet(step: str) -> None:
            if step == "protected" and not met:
                met.append(True)
                both.wait()  # both have protected the same month before either stores it

        with app.app_context():
            try:
                out.append(publish_in_steps(db.session, publishing=publishing(), hook=meet))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S)
    assert sorted(len(o) for o in out) == [0, 1]  # one stored the month, the other found it stored
    assert _versions(dbs) == [1]
    assert dbs.scalar(select(func.count()).select_from(Publication)) == 1


def test_a_history_import_is_committed_whatever_its_publication_does(
    make: Factory, dbs: Session, runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make.room("Skyen", opened_on=dt.date(2018, 1, 1))
    path = tmp_path / "history.csv"
    path.write_text("room,month,indicator,value\nSkyen,2019-01,visits.total,1200\n", encoding="utf-8")

    def fail(*_args: object, **_kwargs: object) -> list[str]:
        raise RuntimeError("the publication failed")

    monkeypatch.setattr(publication, "publish_in_steps", fail)
    result = runner.invoke(args=["import-history", str(path)])
    assert result.exit_code == 0, result.output
    dbs.expire_all()
    assert dbs.scalar(select(func.count()).select_from(MonthlyHistory)) == 1  # committed before publishing
    assert _versions(dbs, "2019-01") == []
    monkeypatch.undo()
    assert runner.invoke(args=["publish"]).exit_code == 0
    assert _versions(dbs, "2019-01") == [1]


def test_roomlog_publish_snapshots_a_month_locked_by_date_and_publishes_it(
    make: Factory, dbs: Session, runner: FlaskCliRunner
) -> None:
    """The daily `roomlog publish`: a month nobody approved that locked by date gets its snapshot (in its own
    short write transaction, then planned again) and is published with the months after it."""
    locked = add_months(today_local().replace(day=1), -3)  # ended more than LOCK_AFTER_DAYS (15) ago
    room = make.room("Uden leder", "101", opened_on=locked)
    at = dt.datetime.combine(locked.replace(day=10), dt.time(12), tzinfo=dt.UTC)
    for _ in range(9):
        make.visit(room, occurred_at=at, left_at=at + dt.timedelta(minutes=30))
    dbs.commit()
    result = runner.invoke(args=["publish"])
    assert result.exit_code == 0, result.output
    dbs.expire_all()
    snapshot = dbs.scalar(
        select(MonthlyAggregate.value).where(
            MonthlyAggregate.room_id == room.id, MonthlyAggregate.month == locked,
            MonthlyAggregate.indicator == "visits.total",
        )
    )  # fmt: skip
    assert snapshot == 9
    assert _versions(dbs, locked.strftime("%Y-%m")) == [1]
    assert _versions(dbs, add_months(locked, 1).strftime("%Y-%m")) == [1]  # locked too, no events: zero
