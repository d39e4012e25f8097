"""The board and capture screens at both tablet sizes: touch targets, no CSP violations, English."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from roomlog.models.codes import Language, Role

SIZES = [{"width": 768, "height": 1024}, {"width": 1280, "height": 800}]
MIN_TARGET = 44


def _seed(live_server: Any, name: str, language: Language = Language.DA) -> tuple[Any, Any]:
    make = live_server.make
    room = make.room(name, assisted_allowed=True)
    user = make.user(Role.STAFF, rooms=[room], username=f"u-{name}", language=language)
    waiting = make.visit(room, visitor=make.visitor())
    active = make.visit(room, visitor=make.visitor())
    make.consumption(active, room, place_number=2)
    after = make.visit(room)
    make.consumption(after, room, place_number=3, ended_at=dt.datetime.now(dt.UTC))
    return room, (user, waiting)


def _small_targets(page: Any) -> list[str]:
    small = []
    for element in page.locator("main [data-action]").all():
        if not element.is_visible():
            continue
        box = element.bounding_box()
        tag = element.evaluate("e => e.tagName")
        if tag == "INPUT":  # radios/checkboxes: the whole label is the target
            box = element.locator("xpath=..").bounding_box()
        if tag == "FORM" or box is None:
            continue
        if box["height"] < MIN_TARGET or box["width"] < MIN_TARGET:
            small.append(f"{element.get_attribute('data-action')} {box['width']:.0f}x{box['height']:.0f}")
    return small


@pytest.mark.parametrize("viewport", SIZES, indirect=True, ids=["768x1024", "1280x800"])
def test_board_and_visit_have_big_targets_and_no_csp_errors(
    live_server: Any, page: Any, login: Any, shot: Any, viewport: dict[str, int]
) -> None:
    room, (user, waiting) = _seed(live_server, f"Layout{viewport['width']}")
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
    )
    login(page, user.username)
    size = f"{viewport['width']}x{viewport['height']}"
    for path, name in (
        (f"/rooms/{room.id}/", "board"),
        (f"/rooms/{room.id}/visits/{waiting.id}", "visit"),
        (f"/rooms/{room.id}/check-in", "check-in"),
    ):
        page.goto(live_server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name
        assert _small_targets(page) == [], name
        if name == "board":  # the seeded counts (the other two pages are GETs: nothing changes after this one)
            assert page.locator("[data-waiting]").get_attribute("data-waiting") == "1"
            assert page.locator("[data-aftercare]").get_attribute("data-aftercare") == "1"
            assert page.locator(".place.taken").count() == 1
        shot(page, f"layout-{name}-{size}")
    assert problems == []


def test_capture_screens_in_english(live_server: Any, page: Any, login: Any) -> None:
    room, (user, waiting) = _seed(live_server, "English", Language.EN)
    login(page, user.username)
    page.goto(f"{live_server.url}/rooms/{room.id}/")
    assert page.locator("a[data-action=check-in]").inner_text() == "Check in"
    assert page.locator("#aftercare-h").inner_text().startswith("After-care")
    page.goto(f"{live_server.url}/rooms/{room.id}/visits/{waiting.id}")
    assert "Register consumption" in page.locator("button[data-action=consumption]").inner_text()
    assert page.locator("[data-action=route-inject]").locator("xpath=..").inner_text() == "injection"


def test_board_refreshes_itself(live_server: Any, page: Any, login: Any) -> None:
    from playwright.sync_api import expect  # after the page fixture, which skips/fails without Playwright

    room, (user, _waiting) = _seed(live_server, "Refresh")
    login(page, user.username)
    page.clock.install()
    page.goto(f"{live_server.url}/rooms/{room.id}/")
    assert page.locator("[data-waiting]").get_attribute("data-waiting") == "1"
    live_server.make.visit(room)  # someone checks in on another tablet
    page.clock.fast_forward(21_000)
    expect(page.locator("[data-waiting]")).to_have_attribute("data-waiting", "2")
    assert page.locator("form[data-once] button[data-action=check-out]").count() >= 2


def test_assisted_yes_is_out_of_reach_unless_the_route_is_injection(live_server: Any, page: Any, login: Any) -> None:
    room, (user, waiting) = _seed(live_server, "Assisted")
    login(page, user.username)
    page.goto(f"{live_server.url}/rooms/{room.id}/visits/{waiting.id}")
    yes = page.locator("[data-action=assisted-yes]").locator("xpath=..")

    def reachable() -> bool:
        return bool(yes.evaluate("e => getComputedStyle(e).pointerEvents !== 'none'"))

    assert reachable()  # no route yet
    page.locator("[data-action=route-smoke]").check()
    assert not reachable()
    page.locator("[data-action=route-inject]").check()
    assert reachable()
    page.locator("[data-action=assisted-yes]").check()
    page.locator("[data-action=route-sniff]").check()
    assert reachable()  # picked before the route changed: left visible to change
