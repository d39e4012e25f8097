"""The issue's scenario on a tablet (768×1024), counting taps, plus double-tap and no-JS checks."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select

from roomlog.models import Consumption, Emergency, EmergencyActionRecord, Referral, ServiceRecord, Visit
from roomlog.models.codes import EmergencyAction, EmergencyOutcome, EmergencyType, Role, Sex
from roomlog.services.pseudonyms import visitor_code

# The returning visitor's code parts: distinctive so the privacy canary cannot hit by chance.
LAST, FIRST, DAY, MONTH, YEAR = "VKQ", "YX", "23", "7", "1979"
RAW_CODE = visitor_code(LAST, FIRST, dt.date(1979, 7, 23), Sex.F)


class Taps:
    """Click helper that counts taps (clicks) and typed fields separately."""

    def __init__(self, page: Any) -> None:
        self.page, self.taps, self.typed, self.log = page, 0, 0, []

    def tap(self, selector: str, note: str) -> None:
        self.page.locator(selector).first.click()
        self.page.wait_for_load_state()
        self.taps += 1
        self.log.append(note)

    def type(self, selector: str, text: str) -> None:
        self.page.fill(selector, text)
        self.typed += 1


def _seed(live_server: Any) -> tuple[Any, Any]:
    make = live_server.make
    room = make.room("Skyen", assisted_allowed=True)
    make.user(Role.STAFF, rooms=[room], username="anna")
    visitor = make.visitor(code=RAW_CODE, birth_year=1979, sex=Sex.F)
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    make.visit(room, occurred_at=earlier, visitor=visitor, left_at=earlier + dt.timedelta(minutes=40))
    return room, visitor


def _count(live_server: Any, model: type, *where: Any) -> int:
    live_server.session.expire_all()
    return int(live_server.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_issue_scenario_on_a_tablet(live_server: Any, page: Any, login: Any, shot: Any) -> None:
    room, visitor = _seed(live_server)
    login(page, "anna")
    board_url = f"{live_server.url}/rooms/{room.id}/"
    page.goto(board_url)
    shot(page, "01-board-empty")
    board = page.context.new_page()  # a second tab watching the board, not counted
    # The new tab came to the front; the tablet's own tab goes back there. A tab behind another gets
    # its animation frames throttled, so every tap's "stable" check waited up to 2 s for a frame.
    page.bring_to_front()
    t = Taps(page)

    t.tap("a[data-action=check-in]", "board: Check in")
    assert page.evaluate("document.activeElement.id") == "last_letters"  # autofocus: no tap to start typing
    birth = f"{DAY:0>2}{MONTH:0>2}{YEAR}"  # one field: DDMMYYYY
    for selector, text in (("#last_letters", LAST), ("#first_letters", FIRST), ("#birth", birth)):
        t.type(selector, text)
    t.tap("[data-action=sex-f]", "sex: kvinde")
    shot(page, "02-check-in-form")
    t.tap("button[data-action=check-in]", "Check in")
    assert page.locator("[data-visitor=known]").count() == 1
    assert visitor.check_word in page.content()
    shot(page, "03-visit-known")

    for selector, note in (
        ("[data-action=route-inject]", "route: injection"),
        ("[data-action=substances-heroin]", "substance: heroin"),
        ("[data-action=place-injection-1]", "place: injection 1"),
        ("[data-action=assisted-no]", "assisted: no"),
        ("button[data-action=consumption]", "Register consumption"),
    ):
        t.tap(selector, note)
    board.goto(board_url)
    assert visitor.check_word in board.locator("[data-place=injection-1]").inner_text()
    shot(board, "04-board-consumption")

    t.tap(".consumption button[data-action=emergency]", "Emergency")
    assert "/emergencies/" in page.url
    t.tap("button[data-action=naloxone]", "naloxone i.n. 1.8 mg")
    t.tap("button[data-action=oxygen]", "oxygen start")
    t.tap("button[data-action=naloxone]", "naloxone i.n. 1.8 mg (2nd dose)")
    t.tap("button[data-action=ambulance_called]", "ambulance called (112)")
    board.goto(board_url)
    assert board.locator(".alert-emergencies").count() == 1
    shot(board, "05-board-emergency")
    t.tap("[data-action=outcome] >> nth=1", "outcome: transported (oxygen still running, so it asks)")
    t.tap("details[open] button[data-action=confirm-outcome]", "confirm the outcome")
    t.tap("[data-action=type-opioid]", "type: opioid")
    t.tap("button[data-action=emergency-details]", "save details")
    timeline = page.locator(".timeline-list").inner_text()
    assert timeline.count("naloxon/modgift") == 2 and "ilt start" in timeline and "ambulance tilkaldt" in timeline
    shot(page, "06-emergency-timeline")

    t.tap("a[data-action=visit]", "back to the visit")
    t.tap("button[data-action=referral][data-code=ost]", "referral: substitution treatment")
    t.tap("button[data-action=service][data-code=naloxone_kit]", "service: naloxone kit")
    shot(page, "07-visit-referral-service")
    t.tap(".checkout button[data-action=check-out]", "Check out")
    assert page.url == board_url
    shot(page, "08-board-after")

    visit = live_server.session.scalars(select(Visit).order_by(Visit.id.desc())).first()
    assert visit.visitor_id == visitor.id and visit.left_at is not None
    emergency = live_server.session.scalars(select(Emergency)).one()
    assert (emergency.type, emergency.outcome, emergency.visit_id) == (
        EmergencyType.OPIOID, EmergencyOutcome.TRANSPORTED, visit.id,
    )  # fmt: skip
    actions = [a.action for a in emergency.actions]
    assert actions.count(EmergencyAction.NALOXONE) == 2
    assert EmergencyAction.OXYGEN in actions and EmergencyAction.AMBULANCE_CALLED in actions
    assert _count(live_server, Consumption, Consumption.ended_at.is_not(None)) == 1
    assert _count(live_server, Referral) == 1 and _count(live_server, ServiceRecord) == 1
    counts = page.locator("[data-count]").all_inner_texts()
    assert counts[:4] == ["1", "0", "1", "1"]
    assert t.taps == 21 and t.typed == 3, t.log

    data = live_server.db_path.read_bytes()
    logs = live_server.log_text()
    assert "/check-in" in logs  # request logging is captured …
    for needle in (RAW_CODE, LAST + FIRST, "23071979"):
        assert needle.encode() not in data and needle not in logs  # … and never holds the code


def test_double_tap_and_retry_create_one_record(live_server: Any, page: Any, login: Any, shot: Any) -> None:
    make = live_server.make
    room = make.room("Doubles")
    make.user(Role.STAFF, rooms=[room], username="bo")
    login(page, "bo")
    page.goto(f"{live_server.url}/rooms/{room.id}/")
    before = _count(live_server, Visit, Visit.room_id == room.id)
    page.locator("button[data-action=anonymous-visit]").dblclick()
    page.wait_for_url(re.compile(r"/visits/\d+$"))
    assert _count(live_server, Visit, Visit.room_id == room.id) == before + 1
    page.locator("button[data-action=emergency]").first.click()
    page.wait_for_url(re.compile(r"/emergencies/\d+$"))
    form = page.locator("form:has(button[data-action=naloxone])").first
    fields = {
        name: form.locator(f"input[name={name}]").get_attribute("value")
        for name in ("csrf_token", "idempotency_key", "action", "naloxone_route", "naloxone_dose_mg")
    }
    action_url = form.get_attribute("action")
    locations = [
        page.request.post(f"{live_server.url}{action_url}", form=fields, max_redirects=0).headers["location"]
        for _ in range(2)
    ]  # a browser retry sends the same form twice
    assert locations[0] == locations[1]
    from playwright.sync_api import expect  # after the page fixture, which skips/fails without Playwright

    page.locator("button[data-action=cpr]").dblclick()
    # The double tap's submit ends on the emergency page again, now listing the naloxone sent above and the
    # CPR: wait for that page (Playwright retries), not for the load state of the page the tap left.
    expect(page.locator("[data-action-row]")).to_have_count(2)
    shot(page, "09-double-tap")
    assert _count(live_server, EmergencyActionRecord, EmergencyActionRecord.room_id == room.id) == 2
    changed = {**fields, "naloxone_dose_mg": "0.4"}
    response = page.request.post(f"{live_server.url}{action_url}", form=changed, max_redirects=0)
    assert response.status == 409


def test_emergency_works_without_javascript(live_server: Any, browser: Any, login: Any, shot: Any) -> None:
    make = live_server.make
    room = make.room("NoJS")
    make.user(Role.STAFF, rooms=[room], username="cy")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=False, locale="da-DK")
    page = context.new_page()
    login(page, "cy")
    page.goto(f"{live_server.url}/rooms/{room.id}/")
    page.locator("button[data-action=emergency]").first.click()
    page.wait_for_url(re.compile(r"/emergencies/\d+$"))
    for code in ("stimulation", "recovery_position", "observation"):
        page.locator(f"button[data-action={code}]").click()
        page.wait_for_load_state()
    assert page.locator("[data-action-row]").count() == 3
    shot(page, "10-emergency-no-js-1280")
    context.close()
