"""Wide tables on a tablet in portrait (768×1024): the table scrolls sideways inside its region, never the page.

Every wide table sits in the one scroll region of templates/macros/tables.html: focusable (tabindex 0, so a
keyboard user can scroll it), a group labelled by the table's caption or heading (a screen reader says what
it holds). The page itself is never wider than the window, so the header and navigation stay whole.
"""

from __future__ import annotations

from typing import Any

from roomlog.models.codes import PaymentKind
from tests.support.worlds import application, build_world, payment

# Every region on the page: its size, its focusability and the text of what labels it.
REGIONS = """() => [...document.querySelectorAll('.table-scroll')].map(r => {
  const label = document.getElementById(r.getAttribute('aria-labelledby') || '');
  return {label_id: r.getAttribute('aria-labelledby'), label: label ? label.textContent.trim() : null,
          tabindex: r.getAttribute('tabindex'), role: r.getAttribute('role'),
          tables: r.querySelectorAll('table').length,
          scroll: r.scrollWidth, client: r.clientWidth, overflow: getComputedStyle(r).overflowX};
})"""
PAGE_WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"

# (user, page, the labels of the regions that must scroll there: their tables are wider than a tablet)
PAGES = (
    ("ministeriet", "/national/?period=2022", {"headline", "all-indicators"}),
    ("ministeriet", "/annual/national/2022", set()),
    ("ministeriet", "/annual/101/2022", set()),
    ("ministeriet", "/pool/", set()),
    ("ministeriet", "/pool/funding", {"cost-next-to-activity"}),
    ("ministeriet", "/reports/definitions", set()),
    ("kbh", "/municipality/?period=2022-03", {"indicators"}),
)


def test_wide_tables_scroll_in_a_labelled_focusable_region(live_server: Any, page: Any, login: Any) -> None:
    world = build_world(live_server.make, live_server.session)
    granted = application(live_server.make, world.skyen, grant={})
    payment(live_server.make, granted, PaymentKind.ESTABLISHMENT, 100_000)
    user = None
    for who, path, must_scroll in PAGES:
        if who != user:
            login(page, who)
            user = who
        page.goto(live_server.url + path)
        scroll_width, window_width = page.evaluate(PAGE_WIDTH)
        assert scroll_width <= window_width, f"{path}: the page is {scroll_width}px wide in a {window_width}px window"
        regions = page.evaluate(REGIONS)
        assert regions, path
        for r in regions:
            assert r["tabindex"] == "0" and r["role"] == "group", (path, r)
            assert r["label"], (path, r)  # aria-labelledby names a caption or heading on the page, with text
            assert r["tables"] == 1 and r["overflow"] == "auto", (path, r)
        assert len({r["label_id"] for r in regions}) == len(regions), path  # each labelled by its own
        scrolling = {r["label_id"] for r in regions if r["scroll"] > r["client"]}
        assert must_scroll <= scrolling, (path, scrolling)

    # A keyboard user can focus the region (only tabindex makes a div focusable) and scroll it with the arrow keys.
    page.locator('.table-scroll[aria-labelledby="indicators"]').focus()
    assert page.evaluate("document.activeElement.getAttribute('aria-labelledby')") == "indicators"
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.activeElement.scrollLeft > 0")  # a function: CSP forbids eval
    scroll_width, window_width = page.evaluate(PAGE_WIDTH)
    assert scroll_width <= window_width
