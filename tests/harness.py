"""A real gunicorn on loopback for load and fault tests: start, log in, fire, kill workers, stop.

The launcher, ports and CSRF helper live in ``tests.support``; this module keeps the names the
load and fault tests import.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from tests.support.http import REQUEST_TIMEOUT_S, Browser
from tests.support.net import csrf_token
from tests.support.net import free_port as _free_port
from tests.support.server import PREFERRED_PORTS, START_TIMEOUT_S, Gunicorn, server_env

__all__ = [
    "PREFERRED_PORTS",
    "REQUEST_TIMEOUT_S",
    "START_TIMEOUT_S",
    "Server",
    "csrf_token",
    "fire",
    "free_port",
    "running",
    "server_env",
]


def free_port() -> int:
    """Return a free loopback port, preferring this suite's own range."""
    return _free_port(PREFERRED_PORTS)


class Server(Gunicorn):
    """A production-like roomlog (``wsgi:app``) with N sync workers on a test database."""

    def __init__(
        self, workdir: Path, database_url: str, workers: int = 4, preexec: Callable[[], None] | None = None, **env: str
    ) -> None:
        super().__init__(
            workdir, server_env(database_url, workdir / "instance", **env), workers=workers, preexec=preexec
        )

    def login(self, username: str, password: str) -> requests.Session:
        """Log in through the real form (CSRF token included) and return the browser-like session."""
        browser = Browser(self.base)
        status = browser.login(username, password)
        if status != 302:
            raise RuntimeError(f"login of {username} failed: {status}")
        return browser.session


@contextlib.contextmanager
def running(workdir: Path, database_url: str, workers: int = 4, **kwargs: Any) -> Iterator[Server]:
    """Run a server for the duration of the block; always stop it."""
    server = Server(workdir, database_url, workers, **kwargs)
    try:
        yield server.start()
    finally:
        server.stop()


def fire(jobs: list[Callable[[], Any]], threads: int) -> list[Any]:
    """Run the jobs on a bounded thread pool and return their results in order."""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda job: job(), jobs))
