"""Trend charts in Chromium: no CSP violation, no request elsewhere, the chart visible, its table unfolds."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import screenshots_wanted
from tests.support.worlds import build_world

CSP_LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def test_pages_with_charts_raise_no_csp_violation(live_server: Any, page: Any, login: Any, shot: Any) -> None:
    build_world(live_server.make, live_server.session)
    problems: list[str] = []
    page.add_init_script(CSP_LISTENER)
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("request", lambda r: None if r.url.startswith((live_server.url, "data:")) else problems.append(r.url))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    current = None
    for user, path, name in (
        ("kbh", "/municipality/?period=2022-03", "municipality"),
        ("ministeriet", "/national/?period=2022", "national"),
        ("ministeriet", "/annual/101/2022", "annual-101"),
        ("ministeriet", "/annual/national/2022", "annual-national"),
    ):
        if user != current:  # a log-in replaces the session of the one before
            login(page, user)
            current = user
        page.goto(live_server.url + path)
        charts = page.locator("figure.trend svg.trend-chart")
        assert charts.count() == 5, name
        box = charts.first.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100, name
        # The world's history carries consumptions and acute treatments only: those two charts have
        # lines; visits, naloxone and referrals are unknown there, so their charts are gaps, not zeros.
        assert page.locator("figure.trend svg path.trend-line").count() >= 2, name
        table = page.locator("figure.trend table.trend-data").first
        assert not table.is_visible(), name  # folded on screen, in the accessibility tree once unfolded
        page.locator("figure.trend details.trend-table summary").first.click()
        assert table.is_visible(), name
        assert page.evaluate("window.__csp") == [], name
        path = shot(page, f"trend-charts-{name}")
        if screenshots_wanted():
            page.locator("section.trends").screenshot(path=str(path.with_name(f"trend-charts-{name}-section.png")))
    page.locator("[data-action=logout]").click()  # the log-in page it leads to is watched too
    page.wait_for_url("**/auth/login**")
    assert problems == []
