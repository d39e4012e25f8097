"""Browser test infrastructure: a live roomlog server and headless Chromium via Playwright.

Reusable by every area's browser tests. Fixtures:

``live_server``  (module scope) the real app served by werkzeug in a thread on a free loopback
                 port, with its own SQLite file and CSRF switched ON. Static files are served with
                 ``Cache-Control: max-age`` (``STATIC_MAX_AGE``), so a test's later pages take them from
                 its context's cache instead of asking again; a module that tests the service worker's
                 offline copies sets ``LIVE_STATIC_MAX_AGE = None`` (the product's revalidated files).
                 Attributes: ``url``,
                 ``app``, ``db_path``, ``make`` (a :class:`tests.support.factories.Factory` for seeding),
                 ``session`` (a SQLAlchemy session of the test's own), ``log_text()`` (everything
                 the server and the app logged, request lines included).
``browser``      (session scope) headless Chromium launched with the project's fixed arguments, the address
                 bar's WebUI drop-down switched off (``DISABLED_UI_FEATURES``, ``launch_chromium``).
``page``         a fresh context and page per test: 768×1024 (tablet portrait), Danish locale,
                 Europe/Copenhagen. Parametrise ``viewport`` indirectly to change the size. Playwright's
                 waits and navigations time out after ``TIMEOUT_MS`` (generous: a loaded 2-core machine).
``shot``         ``shot(page, "name")`` saves ``test-artifacts/screenshots/<name>.png`` when ``ROOMLOG_SCREENSHOTS=1``.
``login``        ``login(page, username)`` logs the page's browser context in: the log-in form's own GET
                 (for its CSRF token) and POST, sent by the context (its cookie jar is the page's), no page
                 rendered; the page stays where it was. For tests of what they do after logging in.
``login_form``   ``login_form(page, username)`` logs in by typing into the real form in the page (tests
                 of logging in itself, and of what the log-in page's scripts do: the outbox and its
                 service worker).

When Chromium (/usr/bin/chromium) or Playwright is missing the tests are skipped with the
reason, except with ``CI=true``, where they fail.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from roomlog import create_app
from roomlog.extensions import db
from roomlog.models import Base
from roomlog.services.municipalities import ensure_municipalities
from tests.support.apps import instance_folder, make_test_config
from tests.support.factories import Factory
from tests.support.net import csrf_token

CHROMIUM = Path(os.environ.get("ROOMLOG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Chromium features switched off on top of Playwright's own list: the address bar's drop-down, two WebUI pages
#: (``chrome://omnibox-popup.top-chrome/`` and its ``omnibox_popup_aim.html``) that the full browser loads into a
#: renderer of their own for every new browser context, i.e. for every test. No test sees or uses the browser's
#: own UI (headless: there is none on screen), and that renderer cost ~0.5-0.8 CPU-s a context (2026-12-04, a busy
#: 2-core machine), several times the CPU of the test's own page renderer on a simple page.
DISABLED_UI_FEATURES = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TABLET = {"width": 768, "height": 1024}
#: How long a static file stays fresh in a test's browser context (seconds). The product sends none (every page
#: revalidates its CSS and scripts: a 304 each, ~0.15 CPU-s of Chromium and the server per later page load here).
STATIC_MAX_AGE = 3600
#: Playwright's default timeout for every wait and navigation. A first render in a cold server process on a
#: loaded 2-core machine took more than 10 s (2026-12-03): a wait that passes returns at once; only a failure waits.
TIMEOUT_MS = 30_000


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run: {reason} (required when CI=true)")
    pytest.skip(f"browser tests skipped: {reason}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


class LiveServer:
    """A running roomlog app on a loopback port, with a session and factories for seeding."""

    def __init__(self, app: Any, db_path: Path) -> None:
        self.app = app
        self.db_path = db_path
        self._log = io.StringIO()
        self._handler = logging.StreamHandler(self._log)
        self._handler.setLevel(logging.DEBUG)
        for name in ("werkzeug", "roomlog", "gunicorn.access", ""):
            logging.getLogger(name).addHandler(self._handler)
        self._levels = {name: logging.getLogger(name).level for name in ("werkzeug", "roomlog")}
        logging.getLogger("werkzeug").setLevel(logging.INFO)
        logging.getLogger("roomlog").setLevel(logging.DEBUG)
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        with app.app_context():
            engine = db.engine
        self.session = Session(engine, expire_on_commit=False)
        self.make = Factory(self.session, app)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self.session.close()
        for name in ("werkzeug", "roomlog", "gunicorn.access", ""):
            logging.getLogger(name).removeHandler(self._handler)
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    def log_text(self) -> str:
        """Return everything logged while the server ran (request lines included)."""
        self._handler.flush()
        return self._log.getvalue()


@pytest.fixture(scope="module")
def live_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    base = tmp_path_factory.mktemp("live")
    db_path = base / "live.sqlite3"
    max_age = getattr(request.module, "LIVE_STATIC_MAX_AGE", STATIC_MAX_AGE)
    config = make_test_config(base, f"sqlite:///{db_path}", WTF_CSRF_ENABLED=True, SEND_FILE_MAX_AGE_DEFAULT=max_age)
    with instance_folder(base / "instance"):  # the module's server keeps its own (the app reads it once)
        app = create_app(config)
    with app.app_context():
        Base.metadata.create_all(db.engine)
        ensure_municipalities(db.session)
        db.session.commit()
    server = LiveServer(app, db_path).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _playwright() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed")
    if not CHROMIUM.exists():
        _unavailable(f"Chromium not found at {CHROMIUM}")
    with sync_playwright() as p:
        yield p


def _descendants(root: int) -> list[int]:
    """Every process below ``root`` (Linux /proc; empty where there is none)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(entry.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.parent.name))
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def launched_argv() -> list[str] | None:
    """The command line of this process's Chromium (the one Playwright drives: it has ``--remote-debugging-pipe``),
    or None (none running, or no /proc to read it from)."""
    for pid in _descendants(os.getpid()):
        try:
            argv = [a.decode(errors="replace") for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")]
        except OSError:
            continue
        if "--remote-debugging-pipe" in argv:
            return argv
    return None


def launched_switch(prefix: str) -> str | None:
    """The switch starting with ``prefix`` that this process's Chromium was started with, or None."""
    return next((a for a in launched_argv() or [] if a.startswith(prefix)), None)


def launch_chromium(playwright: Any) -> Any:
    """Launch /usr/bin/chromium headless with ``CHROMIUM_ARGS`` and ``DISABLED_UI_FEATURES`` switched off.

    Chromium takes the last ``--disable-features`` it is given, so another one would replace Playwright's own
    list (features it switches off to make the browser predictable). So the browser is launched once as before,
    Playwright's switch is read from its command line, and it is launched again with that switch extended instead
    (Playwright's exact switch left out, ``ignore_default_args``). Where the switch cannot be read, or already
    holds the features, the first browser is kept: the same browser, with its own UI.
    """

    def launch(*extra: str, ignore: tuple[str, ...] = ()) -> Any:
        return playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[*CHROMIUM_ARGS, *extra],
            **({"ignore_default_args": list(ignore)} if ignore else {}),
        )

    chromium = launch()
    theirs = launched_switch("--disable-features=")
    if theirs is None or set(DISABLED_UI_FEATURES) <= set(theirs.split("=", 1)[1].split(",")):
        return chromium
    chromium.close()
    return launch(",".join([theirs, *DISABLED_UI_FEATURES]), ignore=(theirs,))


@pytest.fixture(scope="session")
def browser(_playwright: Any) -> Iterator[Any]:
    chromium = launch_chromium(_playwright)
    yield chromium
    chromium.close()


@pytest.fixture
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    """The page size; parametrise indirectly (``@pytest.mark.parametrize("viewport", [...], indirect=True)``)."""
    return getattr(request, "param", TABLET)


@pytest.fixture
def page(browser: Any, viewport: dict[str, int]) -> Iterator[Any]:
    context = browser.new_context(viewport=viewport, locale="da-DK", timezone_id="Europe/Copenhagen", has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def screenshots_wanted() -> bool:
    """Whether review screenshots are saved: ``ROOMLOG_SCREENSHOTS=1`` (off by default: no test asserts on them,
    and the ~50 full-page captures cost 15–25 CPU-s of Chromium a run)."""
    return os.environ.get("ROOMLOG_SCREENSHOTS", "") not in ("", "0")


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    """Return ``shot(page, name)``, which waits for the page to load and, with ``ROOMLOG_SCREENSHOTS=1``, saves a
    full-page screenshot; it returns the screenshot's path."""
    wanted = screenshots_wanted()
    if wanted:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(tab: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        if not wanted:
            tab.wait_for_load_state()
            return path
        # Headless Chromium now and then refuses a capture while it is busy compositing
        # ("Unable to capture screenshot"); wait for the page to settle and try again.
        for attempt in range(3):
            try:
                tab.wait_for_load_state()
                tab.screenshot(path=str(path), full_page=True)
                return path
            except Exception:
                if attempt == 2:
                    raise
                tab.wait_for_timeout(500)
        return path

    return take


@pytest.fixture
def login_form(live_server: LiveServer) -> Callable[[Any, str], None]:
    """Return ``login_form(page, username)``: log in by typing into the real form in the page."""

    def do(tab: Any, username: str, password: str = Factory.PASSWORD) -> None:
        tab.goto(f"{live_server.url}/auth/login")
        tab.fill("input[name=username]", username)
        tab.fill("input[name=password]", password)
        tab.click("[data-action=login]")
        tab.wait_for_load_state()

    return do


@pytest.fixture
def login(live_server: LiveServer) -> Callable[[Any, str], None]:
    """Return ``login(page, username)``: the form's own requests, sent by the page's browser context.

    GET the log-in page for its CSRF token, POST the form with it (the session and device cookies land in
    the context's cookie jar, which the page uses); the redirect is not followed. The same requests the
    form makes and the same session on the server, without Chromium rendering the log-in page and the
    landing page. The start page's answer (a redirect, never to the log-in page) shows the session is logged in;
    a wrong password or a log-in that does not take fails here.
    """

    def do(tab: Any, username: str, password: str = Factory.PASSWORD) -> None:
        url = f"{live_server.url}/auth/login"
        page = tab.context.request.get(url)
        fields = {"username": username, "password": password, "next": "", "csrf_token": csrf_token(page.text())}
        answer = tab.context.request.post(url, form=fields, max_redirects=0)
        assert answer.status == 302, f"log-in of {username} answered {answer.status}, not a redirect"
        start = tab.context.request.get(f"{live_server.url}/", max_redirects=0)  # a redirect, never to the log-in
        assert "/auth/login" not in start.headers.get("location", ""), f"{username} is not logged in"

    return do
