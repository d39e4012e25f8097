"""Many tablets at once, double taps, retries and killed workers: no lock errors, no lost or doubled rows.

Real gunicorn (several sync workers) on 127.0.0.1 against a migrated SQLite file or PostgreSQL
database; bounded counts and timeouts; the server is stopped and the database removed after.

One database and one server per backend serve the whole module (started when a test first asks for the
backend): every test gets a room and eight staff users of its own and counts only its room's rows, and reads
only what the server logged while it ran. Starting four workers cost each test more than its requests did.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, select

from roomlog import create_app
from roomlog.models import Consumption, Visit
from roomlog.models.codes import Role
from tests.support.apps import dispose, make_test_config
from tests.support.demo_db import migrated_database
from tests.support.factories import Factory
from tests.support.http import REQUEST_TIMEOUT_S
from tests.support.net import csrf_token
from tests.support.postgres import owner_url_for
from tests.support.server import COLD, Server, fire, running

pytestmark = [pytest.mark.slow, pytest.mark.both_databases]

TABLETS = 8
VISITS_PER_TABLET = 8
WORKERS = 4


@dataclass
class Tablet:
    """A logged-in tablet: its HTTP session and a CSRF token for its forms."""

    session: requests.Session
    token: str
    room_id: int
    base: str
    place: int

    def post(self, path: str, key: str, **fields: object) -> requests.Response:
        data = {"csrf_token": self.token, "idempotency_key": key, **fields}
        return self.session.post(f"{self.base}{path}", data=data, allow_redirects=False, timeout=REQUEST_TIMEOUT_S)

    def visit(self, key: str) -> requests.Response:
        return self.post(f"/rooms/{self.room_id}/visits/anonymous", key)

    def consumption(self, visit_id: int, key: str, route: str = "inject") -> requests.Response:
        fields = {"route": route, "substances": "heroin", "assisted": "no", "place": f"injection-{self.place}"}
        return self.post(f"/rooms/{self.room_id}/visits/{visit_id}/consumptions", key, **fields)

    def check_out(self, visit_id: int) -> requests.Response:
        data = {"csrf_token": self.token}
        path = f"/rooms/{self.room_id}/visits/{visit_id}/check-out"
        return self.session.post(f"{self.base}{path}", data=data, allow_redirects=False, timeout=REQUEST_TIMEOUT_S)


@dataclass
class Site:
    """A room of its own and its staff, in a migrated database served by gunicorn."""

    url: str
    server: Server
    room_id: int
    usernames: list[str]
    log_mark: int  # the server's log before the test

    def tablet(self, n: int = 0) -> Tablet:
        session = self.server.login(self.usernames[n], Factory.PASSWORD)
        page = session.get(f"{self.server.base}/rooms/{self.room_id}/check-in", timeout=REQUEST_TIMEOUT_S)
        return Tablet(session, csrf_token(page.text), self.room_id, self.server.base, place=n + 1)

    def count(self, model: type[Visit | Consumption]) -> int:
        """The room's rows of ``model`` (the test's own: the other tests of the module write to rooms of theirs)."""
        # As the owner on PostgreSQL: the app role outside a request has no room scope and sees nothing.
        engine = create_engine(owner_url_for(self.url) if self.url.startswith("postgresql") else self.url)
        try:
            with engine.connect() as conn:
                query = select(func.count()).select_from(model).where(model.room_id == self.room_id)
                return int(conn.execute(query).scalar_one())
        finally:
            engine.dispose()

    def log(self) -> str:
        """What the server logged since the test began."""
        return self.server.log_since(self.log_mark)


class Servers:
    """A copy of the migrated database (as ``roomlog db upgrade`` leaves it, tests/support/demo_db.py) and a
    server with ``WORKERS`` workers on it, per backend, started on first use and stopped as the module ends."""

    def __init__(self, folder: Path, stack: contextlib.ExitStack) -> None:
        self.folder, self.stack = folder, stack
        self.started: dict[str, tuple[str, Server]] = {}

    def __call__(self, backend: str) -> tuple[str, Server]:
        if backend not in self.started:
            folder = self.folder / backend
            folder.mkdir()
            url = self.stack.enter_context(migrated_database(backend, folder, "load"))
            server = self.stack.enter_context(running(folder, url, workers=WORKERS, target=COLD))
            self.started[backend] = (url, server)
        return self.started[backend]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    with contextlib.ExitStack() as stack:
        yield Servers(tmp_path_factory.mktemp("load"), stack)


_rooms = itertools.count(1)


@pytest.fixture
def site(backend: str, tmp_path: Path, servers: Servers) -> Site:
    url, server = servers(backend)
    n = next(_rooms)
    application = create_app(make_test_config(tmp_path, url))
    with application.app_context():
        from roomlog.extensions import db

        make = Factory(db.session, application)
        room = make.room(f"Skyen {n}", assisted_allowed=True, places_injection=TABLETS)
        names = [make.user(Role.STAFF, rooms=[room], username=f"tablet{n}x{k}").username for k in range(TABLETS)]
        room_id = room.id
        db.session.remove()
    dispose(application)
    return Site(url, server, room_id, names, server.log_size())


def _visit_id(response: requests.Response) -> int:
    assert response.status_code == 303, (response.status_code, response.text[:300])
    match = re.search(r"/visits/(\d+)", response.headers["Location"])
    assert match
    return int(match.group(1))


def test_many_tablets_writing_at_once(site: Site) -> None:
    tablets = fire([lambda n=n: site.tablet(n) for n in range(TABLETS)], threads=TABLETS)
    statuses: list[int] = []
    lock = threading.Lock()

    def work(tablet: Tablet) -> None:
        for _ in range(VISITS_PER_TABLET):
            response = tablet.visit(uuid.uuid4().hex)
            visit_id = _visit_id(response)
            second = tablet.consumption(visit_id, uuid.uuid4().hex)
            third = tablet.check_out(visit_id)
            with lock:
                statuses.extend([response.status_code, second.status_code, third.status_code])

    fire([lambda t=t: work(t) for t in tablets], threads=TABLETS)
    assert statuses.count(303) == len(statuses) == 3 * TABLETS * VISITS_PER_TABLET
    assert site.count(Visit) == TABLETS * VISITS_PER_TABLET
    assert site.count(Consumption) == TABLETS * VISITS_PER_TABLET
    assert "database is locked" not in site.log()


def test_idempotency_keys(site: Site) -> None:
    tablet = site.tablet()
    key = uuid.uuid4().hex
    first = tablet.visit(key)
    again = tablet.visit(key)
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    visit_id = _visit_id(first)

    consumption_key = uuid.uuid4().hex
    taken = tablet.consumption(visit_id, consumption_key)
    assert taken.status_code == 303
    refused = tablet.consumption(visit_id, consumption_key, route="smoke")
    assert refused.status_code == 409

    parallel_key = uuid.uuid4().hex
    tablets = fire([lambda n=n: site.tablet(n) for n in range(4)], threads=4)
    responses = fire([lambda n=n: tablets[n % 4].visit(parallel_key) for n in range(20)], threads=20)
    assert {r.status_code for r in responses} == {303}
    assert len({r.headers["Location"] for r in responses}) == 1
    assert site.count(Visit) == 2
    assert site.count(Consumption) == 1


def _post_until_acknowledged(tablet: Tablet, key: str, rng: random.Random, deadline: float) -> int:
    """Post like a flaky tablet: double taps, and retries with the same key until a 303."""
    while time.monotonic() < deadline:
        try:
            if rng.random() < 0.3:  # double tap: the second request races the first
                twin = threading.Thread(target=lambda: _quietly(tablet, key))
                twin.start()
                response = tablet.visit(key)
                twin.join()
            else:
                response = tablet.visit(key)
        except requests.RequestException:  # the worker died under us: retry
            time.sleep(0.1)
            continue
        if response.status_code == 303:
            return 303
        assert response.status_code in (500, 502, 503), (response.status_code, response.text[:300])
        time.sleep(0.1)
    return 0


def _quietly(tablet: Tablet, key: str) -> None:
    with contextlib.suppress(requests.RequestException):
        tablet.visit(key)


#: A worker is killed after every this many acknowledged keys: driven by progress, not by a timer,
#: so a slow machine gets the same number of kills (120 keys → 5 kills) as a fast one.
KILL_EVERY_ACKNOWLEDGED = 20


def test_chaos_double_taps_retries_and_killed_workers(site: Site) -> None:
    tablets = fire([lambda n=n: site.tablet(n) for n in range(TABLETS)], threads=TABLETS)
    keys = [uuid.uuid4().hex for _ in range(120)]
    deadline = time.monotonic() + 600  # a generous bound for a stuck run, never reached on a working one
    lock = threading.Lock()
    acknowledged = 0
    kills: list[int] = []
    killer_rng = random.Random(7)

    def post(key: str, n: int) -> int:
        nonlocal acknowledged
        status = _post_until_acknowledged(tablets[n % TABLETS], key, random.Random(n), deadline)
        with lock:
            acknowledged += status == 303
            if status == 303 and acknowledged % KILL_EVERY_ACKNOWLEDGED == 0 and acknowledged < len(keys):
                # Kill while the other tablets keep posting (this thread holds no request open).
                victim = None
                for _ in range(50):  # gunicorn may be between a death and the next worker
                    victim = site.server.kill_worker(killer_rng)
                    if victim:
                        break
                    time.sleep(0.1)
                if victim:
                    kills.append(victim)
        return status

    results = fire([lambda k=k, n=n: post(k, n) for n, k in enumerate(keys)], threads=TABLETS * 2)
    assert len(kills) == len(keys) // KILL_EVERY_ACKNOWLEDGED - 1
    assert results.count(303) == len(keys)
    assert site.count(Visit) == len(keys)
