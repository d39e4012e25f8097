"""Voiding a visit in the browser: the page lists what goes with it, one click voids it all."""

from __future__ import annotations

from typing import Any

from roomlog.models.codes import EmergencyAction, Role


def test_void_a_visit_with_its_records(live_server: Any, page: Any, login: Any, shot: Any) -> None:
    make = live_server.make
    room = make.room("Void cascade")
    lead = make.user(Role.LEAD, rooms=[room], username="vera")
    visit = make.visit(room, recorded_by_id=lead.id)
    make.consumption(visit, room, recorded_by_id=lead.id)
    make.emergency(visit, room, actions=(EmergencyAction.NALOXONE,), recorded_by_id=lead.id)
    make.referral(room, visit=visit, recorded_by_id=lead.id)
    login(page, "vera")
    page.goto(f"{live_server.url}/rooms/{room.id}/records/visit/{visit.id}")
    box = page.locator("[data-void-dependants]")
    assert box.get_attribute("data-void-dependants") == "4"
    assert page.locator("[data-dependant]").count() == 4
    assert "4" in page.locator("button[data-action=void]").inner_text()
    page.fill("#void-reason", "registered on the wrong person")
    shot(page, "truth-void-confirmation")
    page.click("button[data-action=void]")
    page.wait_for_load_state()
    assert page.locator(".badge.void").count() == 1
    assert page.locator("[data-void-dependants]").count() == 0
    assert page.locator("button[data-action=void]").count() == 0
