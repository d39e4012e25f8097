"""Red team (docs/attacks.md, attack 3): the tablet left on a screen past its idle timeout, offline.

The page's clock is Playwright's fake clock, so the timeout passes without waiting for it.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from roomlog.models import Visit
from roomlog.models.codes import Role
from tests.browser.test_offline_outbox import OUTBOX, _controlled, _go_offline, _rows, _waiting

#: As in test_offline_outbox: static files revalidated as the product serves them (conftest).
LIVE_STATIC_MAX_AGE = None


def test_past_the_idle_timeout_offline_the_board_is_gone_and_takes_no_entry(
    live_server: Any, page: Any, login_form: Any
) -> None:
    make = live_server.make
    room = make.room("Kælderen")
    ida = make.user(Role.STAFF, rooms=[room], username="ida-idle")
    board_url = f"{live_server.url}/rooms/{room.id}/"
    page.clock.install()
    login_form(page, "ida-idle")
    page.goto(board_url)
    _controlled(page)
    page.reload()  # the worker keeps this page for ida
    _controlled(page)
    _go_offline(page)
    page.click("button[data-action=anonymous-visit]")
    _waiting(page, 1)
    minutes = live_server.app.config["STAFF_IDLE_MINUTES"]
    page.clock.fast_forward(f"{minutes + 1:02d}:00")  # "mm:ss": the tablet slept past the timeout
    # The page locks itself without the server: nothing of the board (nor the outbox) stays on the screen.
    page.wait_for_function("!document.querySelector('#outbox') && !document.querySelector('[data-action]')")

    # Someone else picks the tablet up, still offline, and opens the board again (back, or the address).
    try:
        page.goto(board_url)
        shown = page.locator("button[data-action=anonymous-visit]").count()
    except PlaywrightError:  # no kept page: the browser's own offline error
        shown = 0
    assert shown == 0, "the timed-out user's board was shown again from the service worker's cache"

    # Back online, ida logs in again: her one entry goes, as hers; nothing was taken in her name after the timeout.
    page.context.set_offline(False)
    login_form(page, "ida-idle")
    page.goto(board_url)
    page.wait_for_selector(f"{OUTBOX} .outbox-entry[data-state=sent]")
    visits = _rows(live_server, Visit, Visit.room_id == room.id)
    assert [v.recorded_by_id for v in visits] == [ida.id]


pytestmark = pytest.mark.browser
