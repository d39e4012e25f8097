"""The offline outbox in headless Chromium: the network cut and restored, a 503 on replay, a user switch.

Every wait is for an explicit state the page shows (data-online, data-waiting, data-state,
data-replayed), never for a fixed time.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select

from roomlog.models import AuditEntry, Consumption, Emergency, EmergencyActionRecord, Visit, Visitor
from roomlog.models.codes import EmergencyAction, Role, Sex
from roomlog.services.pseudonyms import pseudonym, visitor_code

OUTBOX = "#outbox"
#: Static files revalidated on every page, as the product serves them (conftest): what the service worker keeps
#: for offline use comes from the server, not from the browser's HTTP cache.
LIVE_STATIC_MAX_AGE = None


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _rows(live_server: Any, model: type, *where: Any) -> list[Any]:
    live_server.session.expire_all()
    return list(live_server.session.scalars(select(model).where(*where).order_by(model.id)))


def _waiting(page: Any, count: int) -> None:
    page.wait_for_selector(f'{OUTBOX}[data-waiting="{count}"]')


#: Controlled now, or a promise of the ``controllerchange`` event (sw.js claims its pages as it activates): Playwright
#: waits for the promise, where a plain condition is checked again at every animation frame until it holds.
CONTROLLED = """() => navigator.serviceWorker && (navigator.serviceWorker.controller !== null || new Promise(
  resolve => navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true), { once: true })))"""


def _controlled(page: Any) -> None:
    """Wait until the service worker controls the page (it then keeps the pages for offline use)."""
    page.wait_for_function(CONTROLLED)


def _go_offline(page: Any) -> None:
    page.context.set_offline(True)
    page.wait_for_selector(f'{OUTBOX}[data-online="no"]')


def _tap_a_visit_offline(page: Any, login_form: Any, username: str, board_url: str) -> None:
    """Log ``username`` in on the board, once the service worker controls it go offline, tap a one-tap visit."""
    login_form(page, username)
    page.goto(board_url)
    _controlled(page)
    _go_offline(page)
    page.click("button[data-action=anonymous-visit]")
    _waiting(page, 1)


def _log_out(page: Any) -> None:
    page.click("button[data-action=logout]")
    page.wait_for_url("**/auth/login**")


def _log_out_while_the_server_is_out_of_reach(page: Any, waiting: int) -> None:
    """Back online with the one-tap posts failing (``waiting`` entries stay in the outbox); log out, let them pass."""
    page.route("**/visits/anonymous", lambda route: route.abort())
    page.context.set_offline(False)
    page.wait_for_selector(f'{OUTBOX}[data-online="yes"][data-waiting="{waiting}"]')
    _log_out(page)
    page.unroute("**/visits/anonymous")


def _replay_ended(page: Any, before: str | None) -> None:
    """Wait until a replay has ended since ``before`` (``data-replayed`` counts them; outbox.js)."""
    page.wait_for_selector(
        f'{OUTBOX}[data-replayed]:not([data-replayed="{before}"])' if before else f"{OUTBOX}[data-replayed]",
        state="attached",
    )


def _retry_now(page: Any) -> None:
    """Advance the page's clock by the outbox's retry interval (outbox.js ``scheduleRetry``, 5 s) instead of
    waiting for it; called once a failed replay has ended, so the retry is due. Were it not due yet, the page's
    clock, which runs on by itself, brings it 5 s later: slower, never wrong."""
    page.clock.run_for(5_000)


def test_offline_shift_every_entry_arrives_once_with_its_own_time(
    live_server: Any, page: Any, login_form: Any, shot: Any
) -> None:
    make = live_server.make
    room = make.room("Kælderen", assisted_allowed=True)
    make.user(Role.STAFF, rooms=[room], username="mia")
    visit = make.visit(room, occurred_at=_now() - dt.timedelta(minutes=10))
    board_url = f"{live_server.url}/rooms/{room.id}/"
    visit_url = f"{live_server.url}/rooms/{room.id}/visits/{visit.id}"
    login_form(page, "mia")
    page.goto(board_url)
    _controlled(page)
    page.goto(visit_url)  # seen once online: the tablet can open it offline
    page.goto(board_url)
    page.wait_for_selector(f'{OUTBOX}[data-online="yes"]')

    went_offline = _now()
    _go_offline(page)
    page.click("button[data-action=anonymous-visit]")
    _waiting(page, 1)
    assert "1 venter på at blive sendt" in page.locator(OUTBOX).inner_text()

    page.goto(visit_url)  # offline: the service worker shows the kept page
    _waiting(page, 1)
    for selector in ("route-inject", "substances-heroin", "place-injection-1", "assisted-no"):
        page.click(f"[data-action={selector}]")
    page.click("button[data-action=consumption]")
    _waiting(page, 2)
    page.click(".card form.tap button[data-action=emergency]")
    _waiting(page, 3)
    page.wait_for_selector("#outbox-emergency [data-outbox-ref]")
    page.click("#outbox-emergency button[data-action=naloxone] >> nth=0")
    _waiting(page, 4)
    page.click("#outbox-emergency button[data-action=ambulance_called]")
    _waiting(page, 5)
    shot(page, "offline-01-outbox-waiting")

    page.reload()  # still offline: the page and the outbox come back from the tablet
    _waiting(page, 5)
    assert "5 venter på at blive sendt" in page.locator(OUTBOX).inner_text()
    page.wait_for_selector("#outbox-emergency [data-outbox-ref]")
    assert _rows(live_server, Visit, Visit.room_id == room.id) == [visit]

    back_online = _now()
    page.context.set_offline(False)
    page.wait_for_selector(f'{OUTBOX}[data-online="yes"]:not([data-waiting])')
    assert page.locator(".outbox-entry[data-state=sent]").count() == 5
    assert page.locator(".outbox-entry[data-state=failed]").count() == 0
    shot(page, "offline-02-outbox-sent")

    visits = _rows(live_server, Visit, Visit.room_id == room.id)
    consumptions = _rows(live_server, Consumption, Consumption.room_id == room.id)
    emergencies = _rows(live_server, Emergency, Emergency.room_id == room.id)
    assert len(visits) == 2 and len(consumptions) == 1 and len(emergencies) == 1
    actions = _rows(live_server, EmergencyActionRecord, EmergencyActionRecord.emergency_id == emergencies[0].id)
    assert sorted(a.action for a in actions) == sorted([EmergencyAction.NALOXONE, EmergencyAction.AMBULANCE_CALLED])
    assert consumptions[0].visit_id == visit.id and emergencies[0].visit_id == visit.id
    new = [visits[1], consumptions[0], emergencies[0], *actions]
    for row in new:  # the time it was tapped offline, not the time it arrived
        assert went_offline <= _utc(row.occurred_at) <= back_online <= _utc(row.recorded_at), row
    taps = [_utc(r.occurred_at) for r in (visits[1], consumptions[0], emergencies[0])]
    assert taps == sorted(taps)


def test_replay_after_a_503_sends_once(live_server: Any, page: Any, login_form: Any) -> None:
    make = live_server.make
    room = make.room("Tørrerummet")
    make.user(Role.STAFF, rooms=[room], username="leo")
    login_form(page, "leo")
    page.clock.install()  # the page's timers on a clock the test can advance (it still runs on by itself)
    page.goto(f"{live_server.url}/rooms/{room.id}/")
    _controlled(page)
    _go_offline(page)
    page.click("button[data-action=anonymous-visit]")
    _waiting(page, 1)
    replayed = page.locator(OUTBOX).get_attribute("data-replayed")

    answers: list[int] = []

    def flaky(route: Any) -> None:
        if not answers:
            answers.append(503)
            route.fulfill(status=503, body="busy")
        else:
            answers.append(0)
            route.continue_()

    page.route("**/visits/anonymous", flaky)
    page.context.set_offline(False)
    _replay_ended(page, replayed)  # the replay that got the 503: its retry is due in 5 s
    _retry_now(page)
    page.wait_for_selector(".outbox-entry[data-state=sent]", timeout=30_000)
    assert answers == [503, 0]
    assert len(_rows(live_server, Visit, Visit.room_id == room.id)) == 1


def test_entries_stay_with_their_user(live_server: Any, page: Any, login_form: Any) -> None:
    make = live_server.make
    room = make.room("Gården")
    ida = make.user(Role.STAFF, rooms=[room], username="ida")
    make.user(Role.STAFF, rooms=[room], username="ole")
    board_url = f"{live_server.url}/rooms/{room.id}/"
    _tap_a_visit_offline(page, login_form, "ida", board_url)
    tapped = _now()

    _log_out_while_the_server_is_out_of_reach(page, waiting=1)  # for ida

    login_form(page, "ole")  # another user on the same tablet
    page.goto(board_url)
    page.wait_for_selector(f'{OUTBOX}[data-replayed][data-others="1"]')
    assert page.locator(".outbox-entry").count() == 0  # never shown to ole …
    assert page.locator(".outbox-others").is_visible()
    assert page.locator(".outbox-others").inner_text().startswith("1 registrering fra en anden bruger gemmes")
    assert _rows(live_server, Visit, Visit.room_id == room.id) == []  # … never sent as ole

    _log_out(page)
    login_form(page, "ida")  # ida is back: her entry goes, as hers, with the time she tapped it
    page.goto(board_url)
    page.wait_for_selector(".outbox-entry[data-state=sent]")
    visits = _rows(live_server, Visit, Visit.room_id == room.id)
    assert len(visits) == 1 and visits[0].recorded_by_id == ida.id
    assert _utc(visits[0].occurred_at) <= tapped
    assert live_server.session.scalar(select(func.count()).select_from(Visit)) >= 1


def test_a_post_that_cannot_reach_the_server_is_kept(live_server: Any, page: Any, login_form: Any) -> None:
    make = live_server.make
    room = make.room("Trappen")
    eva = make.user(Role.STAFF, rooms=[room], username="eva")
    login_form(page, "eva")
    page.clock.install()
    page.goto(f"{live_server.url}/rooms/{room.id}/")
    _controlled(page)
    page.wait_for_selector(f'{OUTBOX}[data-online="yes"]')

    # The Wi-Fi is up (the browser says online) but the server answers 503: the form is not lost.
    page.context.route("**/visits/anonymous", lambda route: route.fulfill(status=503, body="down"))
    page.click("button[data-action=anonymous-visit]")
    _waiting(page, 1)
    assert page.url.endswith(f"/rooms/{room.id}/")  # back on the board, the entry in the outbox
    assert _rows(live_server, Visit, Visit.room_id == room.id) == []

    _replay_ended(page, None)  # the board's replay got the 503 too: its retry is due in 5 s
    page.context.unroute("**/visits/anonymous")
    _retry_now(page)
    page.wait_for_selector(".outbox-entry[data-state=sent]", timeout=30_000)
    visits = _rows(live_server, Visit, Visit.room_id == room.id)
    assert len(visits) == 1 and visits[0].recorded_by_id == eva.id


def test_a_lead_keeps_one_entry_of_another_user_and_discards_the_other(
    live_server: Any, page: Any, login_form: Any, shot: Any
) -> None:
    make = live_server.make
    room = make.room("Værkstedet")
    ida = make.user(Role.STAFF, rooms=[room], username="ida2")
    lead = make.user(Role.LEAD, rooms=[room], username="lis")
    make.user(Role.STAFF, rooms=[room], username="bo")
    board_url = f"{live_server.url}/rooms/{room.id}/"
    _tap_a_visit_offline(page, login_form, "ida2", board_url)
    # A second tap within a moment is a double tap; wait until the form takes a new entry.
    page.wait_for_selector("form:has(button[data-action=anonymous-visit]):not([data-sending])", state="attached")
    page.click("button[data-action=anonymous-visit]")
    _waiting(page, 2)

    _log_out_while_the_server_is_out_of_reach(page, waiting=2)  # ida's entries

    login_form(page, "bo")  # staff: only the count, no list
    page.goto(board_url)
    page.wait_for_selector(f'{OUTBOX}[data-replayed][data-others="2"]')
    assert page.locator(".outbox-others").inner_text().startswith("2 registreringer fra en anden bruger gemmes")
    assert page.locator(".outbox-lead").is_hidden()
    assert page.locator(".outbox-other-entry").count() == 0
    _log_out(page)

    login_form(page, "lis")  # the lead sees kind, room, time and who, and decides
    page.goto(board_url)
    page.wait_for_selector(".outbox-lead .outbox-other-entry >> nth=1")
    lines = page.locator(".outbox-other-what").all_inner_texts()
    assert len(lines) == 2 and all("Værkstedet" in t and "ida2" in t for t in lines)
    assert page.locator(".outbox-entry").count() == 0  # nothing of ida's was sent as the lead
    first, second = page.locator(".outbox-other-entry").all()
    kept_key, dropped_key = first.get_attribute("data-key"), second.get_attribute("data-key")
    first.locator("button[data-action=outbox-keep]").click()
    page.wait_for_selector(f'.outbox-other-entry[data-key="{kept_key}"][data-kept="yes"]')
    second.locator("button[data-action=outbox-discard-other]").click()  # no reason yet: refused on the tablet
    assert second.locator(".outbox-error").is_visible()
    second.locator("input[name=outbox_discard_reason]").fill("Registreret to gange ved en fejl")
    shot(page, "offline-03-lead-decides")
    second.locator("button[data-action=outbox-discard-other]").click()
    page.wait_for_selector(f'{OUTBOX}[data-others="1"]')
    assert page.locator(f'.outbox-other-entry[data-key="{dropped_key}"]').count() == 0
    live_server.session.expire_all()
    discards = list(live_server.session.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.discard")))
    assert [(d.user_id, d.reason, d.changes["owner_user_id"], d.changes["idempotency_key"]) for d in discards] == [
        (lead.id, "Registreret to gange ved en fejl", ida.id, dropped_key)
    ]
    assert _rows(live_server, Visit, Visit.room_id == room.id) == []

    _log_out(page)
    login_form(page, "ida2")  # the kept entry goes, as ida's; the discarded one never does
    page.goto(board_url)
    page.wait_for_selector(".outbox-entry[data-state=sent]")
    visits = _rows(live_server, Visit, Visit.room_id == room.id)
    assert [(v.recorded_by_id, v.idempotency_key) for v in visits] == [(ida.id, kept_key)]


_DUMP_OUTBOX = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("roomlog-outbox", 1);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const all = open.result.transaction("entries").objectStore("entries").getAll();
    all.onsuccess = () => { open.result.close(); resolve(all.result); };
    all.onerror = () => reject(all.error);
  };
})"""


def test_check_in_by_code_offline_keeps_only_a_sealed_code(live_server: Any, page: Any, login_form: Any) -> None:
    make = live_server.make
    room = make.room("Kælderen Nord")
    mia = make.user(Role.STAFF, rooms=[room], username="mia2")
    check_in_url = f"{live_server.url}/rooms/{room.id}/check-in"
    login_form(page, "mia2")
    page.goto(f"{live_server.url}/rooms/{room.id}/")
    _controlled(page)
    page.goto(check_in_url)  # seen once online: the tablet can open it offline
    page.wait_for_selector(f'{OUTBOX}[data-online="yes"]')

    went_offline = _now()
    _go_offline(page)
    page.fill("#last_letters", "ØVK")
    page.fill("#first_letters", "UQ")
    page.fill("#birth", "29021976")
    page.click("[data-action=sex-f]")
    page.click("button[data-action=check-in]")
    _waiting(page, 1)
    assert page.input_value("#last_letters") == "" and page.input_value("#birth") == ""  # the form is cleared

    page.reload()  # still offline: the page and the outbox come back from the tablet
    _waiting(page, 1)
    entries = page.evaluate(_DUMP_OUTBOX)
    assert len(entries) == 1
    fields = dict(entries[0]["fields"])
    sealed = fields.pop("sealed_code")
    assert not {"last_letters", "first_letters", "birth", "birth_day", "birth_month", "birth_year", "sex"} & set(fields)
    # Nothing of the code in clear on the tablet. Compared word by word: random tokens kept with the
    # entry (CSRF token, idempotency key, the sealed code's base64) may hold "UQ" or "1976" by chance.
    kept = {word.casefold() for word in re.split(r"\W+", repr({**entries[0], "fields": fields})) if word}
    for part in ("ØVK", "UQ", "29021976", "1976"):
        assert part.casefold() not in kept
    assert len(base64.b64decode(sealed)) == 256  # one RSA-2048 OAEP block

    back_online = _now()
    page.context.set_offline(False)
    page.wait_for_selector(".outbox-entry[data-state=sent]", timeout=30_000)
    visits = _rows(live_server, Visit, Visit.room_id == room.id)
    assert len(visits) == 1 and visits[0].recorded_by_id == mia.id
    assert went_offline <= _utc(visits[0].occurred_at) <= back_online
    visitor = live_server.session.get(Visitor, visits[0].visitor_id)
    code = visitor_code("ØVK", "UQ", dt.date(1976, 2, 29), Sex.F)
    assert visitor is not None and visitor.pseudonym == pseudonym(live_server.app.config["PSEUDONYM_KEY"], code)
    assert sealed not in live_server.log_text()
