"""An approved month's page from one source (issue #11 item 3): every number on the page and in
its PDF is the snapshot stored at approval, records changed after approval are listed plainly,
and reopening and approving again takes the new figures into the page and the publication."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.calendar import add_months, format_month, today_local
from roomlog.extensions import db
from roomlog.models import Consumption, Emergency, MonthlyDetail, Publication, Room, User, Visit
from roomlog.models.codes import EmergencyAction, EmergencyOutcome, Role, Route, Substance, TurnAwayReason, VisitOutcome
from roomlog.reporting.compare import HEADLINE
from roomlog.reporting.publication import store
from roomlog.reporting.publication.units import NATIONAL
from roomlog.reports import page as monthly
from roomlog.services import approval, corrections, event_times, visits
from tests.pdf_read import read_pdf
from tests.support.apps import AuthActions
from tests.support.factories import Factory
from tests.support.worlds import kept

REASON = "fundet ved gennemgang"


@dataclass
class World:
    room: Room
    lead: User
    month: dt.date
    emergency: Emergency
    consumption: Consumption


def _at(month: dt.date, day: int, hour: int) -> dt.datetime:
    return dt.datetime(month.year, month.month, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def world(app: Flask, make: Factory, dbs: Session) -> World:
    """Ten admitted visits and one turned away, eight consumptions, four emergencies, approved.

    Built once per process and copied into each test's database (tests.support.worlds.kept); the tests that
    change records after the approval change their own copy.
    """
    app.config["LOCK_AFTER_DAYS"] = 62  # the month before today stays changeable whatever today is
    return kept(
        make, dbs, "test_truth_approved_page.world", lambda: _build_world(app, make), _ids, lambda ids: _load(dbs, ids)
    )


def _build_world(app: Flask, make: Factory) -> World:
    month = add_months(today_local().replace(day=1), -1)
    room = make.room("Vesterbro", "101", opened_on=dt.date(2020, 1, 1))
    lead = make.user(Role.LEAD, rooms=[room], username="lead")
    make.user(Role.STAFF, rooms=[room], username="staff")
    admitted = [
        make.visit(room, _at(month, 3 + n, 9 + n), visitor=make.visitor(), left_at=_at(month, 3 + n, 10 + n))
        for n in range(10)
    ]
    make.visit(
        room,
        _at(month, 4, 12),
        outcome=VisitOutcome.TURNED_AWAY,
        turn_away_reason=TurnAwayReason.CAPACITY,
        left_at=_at(month, 4, 12),
    )
    eaten = [make.consumption(v, room, route=Route.INJECT) for v in admitted[:6]]
    eaten += [make.consumption(v, room, route=Route.SMOKE, substances=(Substance.COCAINE,)) for v in admitted[6:8]]
    outcomes = [
        EmergencyOutcome.RECOVERED_ON_SITE,
        EmergencyOutcome.RECOVERED_ON_SITE,
        EmergencyOutcome.TRANSPORTED,
        EmergencyOutcome.REFUSED_TRANSPORT,
    ]
    found = [
        make.emergency(v, room, actions=(EmergencyAction.NALOXONE, EmergencyAction.OXYGEN), outcome=o)
        for v, o in zip(admitted[:4], outcomes, strict=True)
    ]
    with app.test_request_context():
        g.scope_room_ids, g.scope_decided = None, True
        approval.approve_month(db.session, db.session.get(Room, room.id), month, db.session.get(User, lead.id),
                               password=None, require_password=False)  # fmt: skip
        db.session.commit()
    return World(room, lead, month, found[0], eaten[7])


def _ids(w: World) -> tuple[int, int, dt.date, int, int]:
    return w.room.id, w.lead.id, w.month, w.emergency.id, w.consumption.id


def _load(dbs: Session, ids: tuple[int, int, dt.date, int, int]) -> World:
    room, lead, month, emergency, consumption = ids
    return World(
        dbs.get_one(Room, room), dbs.get_one(User, lead), month, dbs.get_one(Emergency, emergency),
        dbs.get_one(Consumption, consumption),
    )  # fmt: skip


@dataclass
class Changed:
    visit_id: int


def _change_after_approval(app: Flask, w: World) -> Changed:
    """A lead corrects an outcome, voids a consumption and registers a back-dated visit."""
    with app.test_request_context():
        g.scope_room_ids, g.scope_decided = None, True
        room, lead = db.session.get(Room, w.room.id), db.session.get(User, w.lead.id)
        emergency = db.session.get(Emergency, w.emergency.id)
        corrections.correct(db.session, room, "emergency", emergency, lead,
                            {"outcome": EmergencyOutcome.TRANSPORTED}, REASON)  # fmt: skip
        consumption = db.session.get(Consumption, w.consumption.id)
        corrections.void(db.session, room, "consumption", consumption, lead, REASON)
        stamp = event_times.resolve(db.session, room, lead, _at(w.month, 5, 14), reason=REASON)
        created = visits.anonymous_visit(db.session, room, lead, stamp, key="backdated-1", payload_hash="")
        visit = db.session.get(Visit, created.id)  # the one-tap insert does not track the object
        visit.left_at = stamp.occurred_at + dt.timedelta(minutes=40)  # entered with its departure
        db.session.commit()
        return Changed(visit.id)


def _page(app: Flask, w: World) -> monthly.MonthlyPage:
    with app.test_request_context():
        g.scope_room_ids, g.scope_decided = None, True
        return monthly.build(db.session, db.session.get(Room, w.room.id), w.month, with_checks=True)


def _key_figures(html: str) -> dict[str, str]:
    found = re.findall(
        r'<tr data-indicator="([a-z_.0-9]+)">\s*<th scope="row">[^<]*</th>\s*<td class="num" data-value="([^"]*)"', html
    )
    return dict(found)


def _outcomes(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-outcome="([a-z_]+)" data-value="(\d+)"', html)}


SNAPSHOT = {
    "visits.total": 10,
    "visits.turned_away": 1,
    "consumptions.total": 8,
    "emergencies.total": 4,
    "emergencies.hospital_transfers": 1,
    "emergencies.naloxone": 4,
}
#: What the records say after the three changes (an independent count of the hand-made data).
CHANGED = {
    "visits.total": (10, 11),
    "visits.anonymous": (0, 1),
    "consumptions.total": (8, 7),
    "consumptions.route.smoke": (2, 1),
    "consumptions.substance.cocaine": (2, 1),
    "emergencies.hospital_transfers": (1, 2),
    "emergencies.per_1000_consumptions": (Decimal("500.00"), Decimal("571.43")),
}


#: Breakdowns that add up to a headline of the key figures.
PARENTS = {
    "consumptions.route": "consumptions.total",
    "emergencies.type": "emergencies.total",
    "visits.turned_away.reason": "visits.turned_away",
    "visitors.sex": "visitors.unique",
    "visitors.age": "visitors.unique",
}


def _assert_page_is_the_snapshot(p: monthly.MonthlyPage) -> None:
    month = {c.indicator.code: c.month for c in p.comparisons}
    for code, value in SNAPSHOT.items():
        assert month[code] == value, code
    assert p.detail_source == "snapshot"
    assert sum(n for _, n in p.outcomes) == month["emergencies.total"]
    outcomes = {o.value if o else "none": n for o, n in p.outcomes}
    assert outcomes["recovered_on_site"] == 2 and outcomes["transported"] == month["emergencies.hospital_transfers"]
    assert sum(sum(row) for row in p.heat.counts) == sum(b.value for b in p.bands) == month["visits.total"]
    actions = {a.action.value: a for a in p.actions}
    for code in ("naloxone", "oxygen"):
        assert actions[code].emergencies == month[f"emergencies.{code}"] == 4
    for b in p.breakdowns:
        prefix = b.rows[0].indicator.code.rsplit(".", 1)[0]
        parent = PARENTS.get(prefix)
        if parent:
            assert sum(r.month or 0 for r in b.rows) == month[parent], prefix
    assert {c.indicator.code for c in p.comparisons} == set(HEADLINE)


def test_an_unchanged_approved_month_reads_its_snapshot_and_reports_no_change(app: Flask, world: World) -> None:
    p = _page(app, world)
    _assert_page_is_the_snapshot(p)
    assert p.changes is not None and not p.changes
    assert p.checks is not None and next(c for c in p.checks if c.code == "changed_after_approval").ok


def test_changes_after_approval_leave_every_number_on_the_page_at_the_snapshot(app: Flask, world: World) -> None:
    changed = _change_after_approval(app, world)
    p = _page(app, world)
    _assert_page_is_the_snapshot(p)
    assert p.changes is not None
    assert {c.code: (c.approved, c.current) for c in p.changes.indicators} == CHANGED
    records = [(r.kind, r.record_id, r.what, r.fields) for r in p.changes.records]
    assert records == [
        ("emergency", world.emergency.id, "correct", ("outcome",)),
        ("consumption", world.consumption.id, "void", ()),
        ("visit", changed.visit_id, "create", ()),
    ]
    check = next(c for c in p.checks or [] if c.code == "changed_after_approval")
    assert check.count == 3 and not check.blocking and not check.ok


@pytest.mark.parametrize("username", ["lead", "staff"])
def test_the_page_of_each_room_role_shows_the_snapshot_and_the_notice(
    app: Flask, world: World, client: FlaskClient, auth: AuthActions, username: str
) -> None:
    _change_after_approval(app, world)
    auth.login(username)
    html = client.get(f"/reports/{world.room.id}/{format_month(world.month)}").get_data(as_text=True)
    figures = _key_figures(html)
    for code, value in SNAPSHOT.items():
        assert figures[code] == str(value), code
    outcomes = _outcomes(html)
    assert sum(outcomes.values()) == SNAPSHOT["emergencies.total"] and outcomes["transported"] == 1
    assert "Ændret efter godkendelse" in html and "data-changed-after-approval" in html
    shown = dict(re.findall(r'data-changed-indicator="([a-z_.0-9]+)" data-approved="([^"]*)"', html))
    assert set(shown) == set(CHANGED) and shown["visits.total"] == "10"
    assert len(re.findall(r"data-changed-record=", html)) == 3
    assert "genåbner måneden" in html  # what to do
    assert ('data-check="changed_after_approval"' in html) is (username == "lead")


def test_the_pdf_reads_the_snapshot(app: Flask, world: World, client: FlaskClient, auth: AuthActions) -> None:
    _change_after_approval(app, world)
    auth.login("staff")
    response = client.get(f"/reports/{world.room.id}/{format_month(world.month)}.pdf")
    if response.status_code == 503:
        pytest.skip("WeasyPrint is not available here")
    text = read_pdf(response.data).text
    # A label may wrap in its narrow column ("kom sig på" / "stedet 2"): read words, not lines.
    words = " ".join(text.lower().split())
    transferred = re.search(r"overført til hospital (\d+)", words)
    assert transferred and transferred.group(1) == "1"  # the snapshot's one transfer, not the corrected two
    recovered = re.search(r"kom sig på stedet (\d+)", words)
    assert recovered and recovered.group(1) == "2"
    smoke = re.search(r"rygning (\d+)", words)
    assert smoke and smoke.group(1) == "2"


def _national(session: Session, label: str, code: str) -> tuple[Decimal | None, bool, int]:
    stored = store.latest(session, [label])[label]
    cell = stored.cells.get((NATIONAL, code))
    return (cell.exact if cell else Decimal(0)), stored.revised, stored.version


def test_reopen_and_approve_again_takes_the_new_figures_and_republishes(
    app: Flask, world: World, dbs: Session, client: FlaskClient, auth: AuthActions
) -> None:
    label = format_month(world.month)
    assert _national(dbs, label, "visits.total") == (Decimal(10), False, 1)
    _change_after_approval(app, world)
    assert _national(dbs, label, "visits.total")[0] == Decimal(10)  # published figures wait for re-approval
    auth.login("lead")
    base = f"/reports/{world.room.id}/{label}"
    assert client.post(f"{base}/reopen", data={"reason": REASON}).status_code == 302
    assert dbs.scalar(select(MonthlyDetail.id).where(MonthlyDetail.room_id == world.room.id)) is None
    answer = client.post(f"{base}/approve", data={"password": Factory.PASSWORD, "backdated_reviewed": "y"})
    assert answer.status_code == 302, re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)', answer.get_data(as_text=True))
    p = _page(app, world)
    month = {c.indicator.code: c.month for c in p.comparisons}
    assert {code: month[code] for code in ("visits.total", "consumptions.total", "emergencies.hospital_transfers")} == {
        "visits.total": 11,
        "consumptions.total": 7,
        "emergencies.hospital_transfers": 2,
    }
    assert dict((o.value if o else "none", n) for o, n in p.outcomes)["transported"] == 2
    assert p.changes is not None and not p.changes
    html = client.get(base).get_data(as_text=True)
    assert "data-changed-after-approval" not in html and _key_figures(html)["visits.total"] == "11"
    dbs.expire_all()
    assert _national(dbs, label, "visits.total") == (Decimal(11), True, 2)
    assert _national(dbs, label, "consumptions.total")[0] == Decimal(7)
    assert sorted(dbs.scalars(select(Publication.version).where(Publication.period == label))) == [1, 2]


def test_a_month_approved_without_stored_details_says_where_they_come_from(
    app: Flask, world: World, dbs: Session, client: FlaskClient, auth: AuthActions
) -> None:
    for row in dbs.scalars(select(MonthlyDetail)):
        dbs.delete(row)
    dbs.commit()
    p = _page(app, world)
    assert p.detail_source == "events"
    auth.login("staff")
    html = client.get(f"/reports/{world.room.id}/{format_month(world.month)}").get_data(as_text=True)
    assert 'data-source="events"' in html


def test_stored_details_rebuild_the_tables_they_were_made_from() -> None:
    from roomlog.reporting.detail import action_counts, detail_of, detail_values, heat_map, outcome_counts, time_bands
    from roomlog.reporting.queries import ActionRow, EmergencyRow

    month = dt.date(2026, 3, 1)
    arrivals = [dt.datetime(2026, 3, d, h, 30, tzinfo=dt.UTC) for d, h in ((2, 7), (2, 7), (3, 22), (29, 1))]
    actions = [
        ActionRow(1, month, 10, "naloxone", 2, "opioid", None),
        ActionRow(1, month, 10, "oxygen", 1, "opioid", "start"),
        ActionRow(1, month, 10, "oxygen", 1, "opioid", "stop"),
        ActionRow(1, month, 11, "cpr", 1, "opioid", None),
    ]
    emergencies = [EmergencyRow(1, month, "opioid", "transported", 1), EmergencyRow(1, month, "opioid", None, 1)]
    rebuilt = detail_of(detail_values(arrivals, actions, emergencies))
    assert rebuilt.heat == heat_map(arrivals) and rebuilt.bands == time_bands(arrivals)
    assert rebuilt.actions == action_counts(actions) and rebuilt.outcomes == outcome_counts(emergencies)
