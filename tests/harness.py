"""A real gunicorn on loopback for load and fault tests: start, log in, fire, kill workers, stop.

Everything is bounded: start-up and requests have timeouts, servers are stopped (and their
process group killed) when the context ends, and only 127.0.0.1 is used.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from roomlog import PROJECT_ROOT

#: The ports this suite tries first (the worktree's own range), then any free port.
PREFERRED_PORTS = range(5105, 5110)
START_TIMEOUT_S = 45
REQUEST_TIMEOUT_S = 30
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def free_port() -> int:
    """Return a free loopback port, preferring this suite's own range."""
    for port in (*PREFERRED_PORTS, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError("no free loopback port")


def server_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """Environment for a production-like server on a test database (plain HTTP on loopback)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMLOG_")}
    env.update(
        ROOMLOG_ENV="production",
        ROOMLOG_DATABASE_URL=database_url,
        ROOMLOG_SECRET_KEY="harness-secret-key-for-tests-only-0123",
        ROOMLOG_PSEUDONYM_KEY="test-pseudonym-key-for-tests-only-0123",
        ROOMLOG_DATA_KEY="harness-data-key-for-a-test-server-0123",
        ROOMLOG_SECURE_COOKIES="0",
        ROOMLOG_LOGIN_RATE_LIMIT="10000 per minute",
        ROOMLOG_API_RATE_LIMIT="100000 per minute",
        ROOMLOG_INSTANCE_PATH=str(instance),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Server:
    """A gunicorn master with N sync workers serving ``wsgi:app`` on 127.0.0.1."""

    def __init__(
        self, workdir: Path, database_url: str, workers: int = 4, preexec: Callable[[], None] | None = None, **env: str
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.env = server_env(database_url, workdir / "instance", **env)
        self.preexec = preexec
        self.log_path = workdir / f"gunicorn-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--timeout",
            "60",
            "--graceful-timeout",
            "3",
            "wsgi:app",
        ]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=self.preexec,  # resource limits for the fault tests
        )
        log.close()
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not become healthy: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def worker_pids(self) -> list[int]:
        """Return the current worker pids (children of the master)."""
        assert self.process is not None
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return [int(child) for child in children]

    def kill_worker(self, rng: random.Random) -> int | None:
        """SIGKILL one worker (gunicorn's master starts a new one)."""
        pids = self.worker_pids()
        if not pids:
            return None
        victim = rng.choice(pids)
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
        return victim

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # any orphaned worker
        self.process = None

    def login(self, username: str, password: str) -> requests.Session:
        """Log in through the real form (CSRF token included) and return the browser-like session."""
        session = requests.Session()
        page = session.get(f"{self.base}/auth/login", timeout=REQUEST_TIMEOUT_S)
        token = csrf_token(page.text)
        response = session.post(
            f"{self.base}/auth/login",
            data={"username": username, "password": password, "csrf_token": token},
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT_S,
        )
        if response.status_code != 302:
            raise RuntimeError(f"login of {username} failed: {response.status_code}")
        return session


def csrf_token(html: str) -> str:
    """Return the CSRF token of the first form on a page."""
    match = _CSRF.search(html)
    if not match:
        raise RuntimeError("no csrf_token on the page")
    return match.group(1) or match.group(2)


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
