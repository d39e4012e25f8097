"""An approved month changed afterwards, in the browser: the lead sees the approved numbers and
the box "Ændret efter godkendelse" with what changed and what to do."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import g

from roomlog.calendar import add_months, format_month, today_local
from roomlog.extensions import db
from roomlog.models import Consumption, Emergency, Room, User
from roomlog.models.codes import EmergencyAction, EmergencyOutcome, Role
from roomlog.services import approval, corrections

REASON = "fundet ved gennemgang"


def test_the_lead_sees_the_snapshot_and_what_changed(live_server: Any, page: Any, login: Any, shot: Any) -> None:
    app, make = live_server.app, live_server.make
    app.config["LOCK_AFTER_DAYS"] = 62
    month = add_months(today_local().replace(day=1), -1)
    room = make.room("Halmtorvet", opened_on=dt.date(2020, 1, 1))
    lead = make.user(Role.LEAD, rooms=[room], username="lena")
    for n in range(6):
        at = dt.datetime(month.year, month.month, 2 + n, 10 + n, tzinfo=dt.UTC)
        visit = make.visit(room, at, visitor=make.visitor(), left_at=at + dt.timedelta(minutes=45))
        make.consumption(visit, room)
        if n < 3:
            make.emergency(visit, room, actions=(EmergencyAction.NALOXONE,), outcome=EmergencyOutcome.RECOVERED_ON_SITE)
    with app.test_request_context():
        g.scope_room_ids, g.scope_decided = None, True
        r, u = db.session.get(Room, room.id), db.session.get(User, lead.id)
        approval.approve_month(db.session, r, month, u, password=None, require_password=False)
        emergency = db.session.scalars(db.select(Emergency).where(Emergency.room_id == room.id)).first()
        corrections.correct(db.session, r, "emergency", emergency, u, {"outcome": EmergencyOutcome.TRANSPORTED}, REASON)
        consumption = db.session.scalars(db.select(Consumption).where(Consumption.room_id == room.id)).all()[-1]
        corrections.void(db.session, r, "consumption", consumption, u, REASON)
        db.session.commit()
    login(page, "lena")
    page.set_viewport_size({"width": 1280, "height": 1024})
    page.goto(f"{live_server.url}/reports/{room.id}/{format_month(month)}")
    box = page.locator("[data-changed-after-approval]")
    assert box.is_visible() and "Ændret efter godkendelse" in box.inner_text()
    assert page.locator("[data-changed-record]").count() == 2
    assert page.locator('[data-changed-indicator="consumptions.total"]').get_attribute("data-approved") == "6"
    assert page.locator('[data-outcome="transported"]').get_attribute("data-value") == "0"  # the snapshot
    assert page.locator('[data-check="changed_after_approval"]').get_attribute("data-count") == "2"
    shot(page, "approved-changed-after-approval")
