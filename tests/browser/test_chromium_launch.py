"""The browser the tests drive: /usr/bin/chromium with Playwright's switches, and without the address bar's WebUI.

conftest's ``launch_chromium`` extends Playwright's own ``--disable-features`` switch (Chromium takes only the last
one given) with ``DISABLED_UI_FEATURES``. Were Playwright's list lost, the browser would run features Playwright
switches off to make it predictable; were a feature renamed in a new Chromium, every test would pay for the
address bar's drop-down again (two WebUI pages in a renderer of their own for every browser context).
"""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import DISABLED_UI_FEATURES, launched_argv, launched_switch


def test_one_disable_features_switch_with_playwrights_list_and_ours(browser: Any) -> None:
    argv = launched_argv()
    assert argv is not None, "no Chromium with --remote-debugging-pipe below this process"
    switches = [a for a in argv if a.startswith("--disable-features=")]
    assert len(switches) == 1, switches  # a second one would replace the first
    assert switches[0] == launched_switch("--disable-features=")
    features = switches[0].split("=", 1)[1].split(",")
    assert set(DISABLED_UI_FEATURES) <= set(features)
    assert len(features) > len(DISABLED_UI_FEATURES)  # Playwright's own list is still there
    assert "--headless" in argv


def test_a_context_opens_its_page_and_nothing_of_the_browsers_own(browser: Any, page: Any) -> None:
    page.set_content("<title>x</title><p>x</p>")
    session = browser.new_browser_cdp_session()
    try:
        targets = session.send("Target.getTargets")["targetInfos"]
    finally:
        session.detach()
    assert [t["url"] for t in targets if t["type"] == "page"] == ["about:blank"]  # set_content keeps the URL
    # No browser_ui (chrome://…) nor any other target of the browser's own. The browser is shared by the worker's
    # tests: a service worker an earlier test's page registered on its server (http://127.0.0.1:…/sw.js) may still
    # be winding down after its context closed, and is not the browser's own.
    own = [(t["type"], t["url"]) for t in targets if t["type"] != "page" and not _a_test_servers_worker(t)]
    assert own == []


def _a_test_servers_worker(target: dict[str, str]) -> bool:
    """A (service, shared) worker a test page started from a test server on this machine."""
    return target["type"].endswith("worker") and target["url"].startswith(("http://127.0.0.1:", "http://localhost:"))
