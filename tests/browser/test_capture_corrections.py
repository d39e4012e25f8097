"""Correcting and voiding a record through its page, with the history shown."""

from __future__ import annotations

from typing import Any

from roomlog.models.codes import Role


def test_correct_then_void_a_referral(live_server: Any, page: Any, login: Any, shot: Any) -> None:
    make = live_server.make
    room = make.room("Corrections")
    lead = make.user(Role.LEAD, rooms=[room], username="lea")
    referral = make.referral(room, visit=make.visit(room), recorded_by_id=lead.id)
    login(page, "lea")
    page.goto(f"{live_server.url}/rooms/{room.id}/records/referral/{referral.id}")
    page.select_option("#f-target", "hat")
    page.fill("#correct-reason", "tapped the wrong target")
    page.click("button[data-action=correct]")
    page.wait_for_load_state()
    assert page.locator("[data-field=target]").inner_text() == "heroinbehandling"
    page.fill("#void-reason", "entered twice")
    page.click("button[data-action=void]")
    page.wait_for_load_state()
    rows = page.locator("table.history tbody tr")
    assert [rows.nth(i).get_attribute("data-audit") for i in range(rows.count())] == [
        "referral.correct",
        "referral.void",
    ]
    first = rows.nth(0).inner_text()
    assert "tapped the wrong target" in first and "lea" in first
    assert "substitutionsbehandling → heroinbehandling" in first  # labels, not codes
    assert "Tidspunkt" not in first  # the unchanged time field did not count as a change
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    assert page.locator(".badge.void").count() == 1
    shot(page, "11-record-history")
