"""The one gunicorn launcher of the tests and the bench: a real server on 127.0.0.1, always stopped.

Standard library only (the bench's ``make bench-capture`` runs without the dev extras). Bounded:
start-up waits at most ``START_TIMEOUT_S``, the server's process group is killed when it stops.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.support.net import free_port, worker_share

if TYPE_CHECKING:
    import requests

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: The ports the load and fault tests try first (the worktree's own range), then any free port.
PREFERRED_PORTS = range(5105, 5110)
START_TIMEOUT_S = 60
#: The app of the test servers that do not test the per-worker warm-up (tests/support/cold_wsgi.py).
COLD = "tests.support.cold_wsgi:app"
#: gunicorn's ``--preload`` for :data:`COLD`: the master imports roomlog and creates the app once (``create_app()``
#: opens no database connection and starts no thread) and forks every worker from it, also each one it starts
#: after a kill; a worker of its own imports would spend ~2 CPU-s on them first.
PRELOADED = (COLD,)
PSEUDONYM_KEY = "test-pseudonym-key-for-tests-only-0123"
#: gunicorn settings of every server started here: a worker that stops cleanly skips the interpreter's teardown.
EXIT_HOOK = "python:tests.support.gunicorn_exit"


#: Served test apps publish inside the approving request, as the in-process test apps do (docs/testing.md, session 17):
#: a test that approves over HTTP and then reads the figures sees them at once. Pass it again as "1" to serve the
#: background publication.
PUBLISH_AT_ONCE = {"ROOMLOG_PUBLISH_IN_BACKGROUND": "0"}


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any ``ROOMLOG_*`` variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMLOG_")}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


def server_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """Environment for a production-like roomlog on a test database (plain HTTP on loopback)."""
    return clean_env(
        ROOMLOG_ENV="production",
        ROOMLOG_DATABASE_URL=database_url,
        ROOMLOG_SECRET_KEY="harness-secret-key-for-tests-only-0123",
        ROOMLOG_PSEUDONYM_KEY=PSEUDONYM_KEY,
        ROOMLOG_DATA_KEY="harness-data-key-for-a-test-server-0123",
        ROOMLOG_SECURE_COOKIES="0",
        ROOMLOG_LOGIN_RATE_LIMIT="10000 per minute",
        ROOMLOG_API_RATE_LIMIT="100000 per minute",
        ROOMLOG_INSTANCE_PATH=str(instance),
        **{**PUBLISH_AT_ONCE, **extra},
    )


def development_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """Environment for a development-mode roomlog (no alembic check, no secure cookies) on a test database."""
    return clean_env(
        ROOMLOG_ENV="development",
        ROOMLOG_INSTANCE_PATH=str(instance),
        ROOMLOG_DATABASE_URL=database_url,
        ROOMLOG_SECRET_KEY="server-secret-key-for-tests-only-01234",
        ROOMLOG_PSEUDONYM_KEY=PSEUDONYM_KEY,
        **{**PUBLISH_AT_ONCE, **extra},
    )


def http_status(port: int, path: str, timeout: float = 5) -> int:
    """GET ``path`` from 127.0.0.1:``port`` and return the status (raises OSError when nothing answers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class Gunicorn:
    """A gunicorn master with ``workers`` sync workers serving ``target`` on 127.0.0.1.

    Ready when ``ready_path`` answers ``ready_status`` (any HTTP answer when ``ready_status`` is None).
    """

    def __init__(
        self,
        workdir: Path,
        env: Mapping[str, str],
        *,
        target: str = "wsgi:app",
        workers: int = 2,
        port: int | None = None,
        preexec: Callable[[], None] | None = None,
        ready_path: str = "/healthz",
        ready_status: int | None = 200,
        access_log: Path | None = None,
        error_log: Path | None = None,
        args: Sequence[str] = (),
        log_name: str = "gunicorn",
    ) -> None:
        self.workdir = workdir
        self.port = port or free_port(worker_share(PREFERRED_PORTS))
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.target = target
        self.env = dict(env)
        self.preexec = preexec
        self.ready_path, self.ready_status = ready_path, ready_status
        self.access_log, self.error_log = access_log, error_log
        self.args = list(args)
        self.log_path = workdir / f"{log_name}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The gunicorn command line."""
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", str(self.workers), "--timeout", "60", "--graceful-timeout", "3"]
        command += ["--config", EXIT_HOOK]
        if self.target in PRELOADED:
            command.append("--preload")
        if self.access_log is not None:
            command += ["--access-logfile", str(self.access_log)]
        if self.error_log is not None:
            command += ["--error-logfile", str(self.error_log)]
        return [*command, *self.args, self.target]

    def start(self, timeout: float = START_TIMEOUT_S) -> Any:
        """Start the server and wait until it is ready; return self."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=self.preexec,  # resource limits for the fault tests
            )
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        """Wait until the server answers as ready; raise with the server's log when it does not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                status = http_status(self.port, self.ready_path, timeout=5)
                if self.ready_status is None or status == self.ready_status:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not become ready within {timeout} s: {self.log()}")

    wait_healthy = wait_ready

    def log(self) -> str:
        """The tail of the server's own output."""
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def log_size(self) -> int:
        """How many bytes the server's own output holds now (a mark for :meth:`log_since`)."""
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, mark: int) -> str:
        """All of the server's own output after ``mark`` (a :meth:`log_size`)."""
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(mark)
            return log.read().decode(errors="replace")

    def worker_pids(self) -> list[int]:
        """Return the current worker pids (children of the master)."""
        if self.process is None:
            return []
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return [int(child) for child in children]

    def kill_worker(self, rng: random.Random | None = None) -> int | None:
        """SIGKILL one worker (a random one with ``rng``, else the first); gunicorn's master starts another."""
        pids = self.worker_pids()
        if not pids:
            return None
        victim = rng.choice(pids) if rng is not None else pids[0]
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
        return victim

    def stop(self) -> None:
        """Stop the master and every worker (the whole process group).

        ``SIGTERM`` to the master, which stops its workers (sent to the whole group, a worker that ended first
        made the master start another while it stopped), then ``SIGKILL`` to anything left in the group.
        """
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # any orphaned worker
        self.process = None


class Server(Gunicorn):
    """A production-like roomlog (``wsgi:app``) with N sync workers on a test database (load and fault tests)."""

    def __init__(
        self,
        workdir: Path,
        database_url: str,
        workers: int = 4,
        preexec: Callable[[], None] | None = None,
        target: str = "wsgi:app",
        **env: str,
    ) -> None:
        super().__init__(
            workdir,
            server_env(database_url, workdir / "instance", **env),
            workers=workers,
            preexec=preexec,
            target=target,
        )

    def login(self, username: str, password: str) -> requests.Session:
        """Log in through the real form (CSRF token included) and return the browser-like session."""
        from tests.support.http import Browser  # requests: a dev extra, the bench imports this module without it

        browser = Browser(self.base)
        status = browser.login(username, password)
        if status != 302:
            raise RuntimeError(f"login of {username} failed: {status}")
        return browser.session


class LoggingServer(Gunicorn):
    """A development-mode roomlog on a SQLite file with its application, access and error logs in ``root``."""

    def __init__(
        self,
        root: Path,
        database: Path,
        workers: int = 3,
        args: Sequence[str] = (),
        target: str = "wsgi:app",
        **env: str,
    ) -> None:
        self.root, self.database, self.app_log = root, database, root / "app.log"
        environment = development_env(f"sqlite:///{database}", root / "instance", ROOMLOG_LOG_FILE=str(self.app_log))
        environment.update(env)
        super().__init__(
            root,
            environment,
            workers=workers,
            ready_path="/auth/login",
            ready_status=None,
            access_log=root / "access.log",
            error_log=root / "error.log",
            args=args,
            target=target,
        )


@contextlib.contextmanager
def serving(server: Gunicorn) -> Iterator[Any]:
    """Start ``server`` for the duration of the block; always stop it."""
    try:
        yield server.start()
    finally:
        server.stop()


@contextlib.contextmanager
def running(workdir: Path, database_url: str, workers: int = 4, **kwargs: Any) -> Iterator[Server]:
    """Run a production-like server on ``database_url`` for the duration of the block; always stop it."""
    with serving(Server(workdir, database_url, workers, **kwargs)) as server:
        yield server


@contextlib.contextmanager
def gunicorn(
    root: Path, database: Path, workers: int = 3, args: Sequence[str] = (), target: str = "wsgi:app", **env: str
) -> Iterator[LoggingServer]:
    """Run a logging development server on the SQLite file ``database`` until the block ends."""
    with serving(LoggingServer(root, database, workers, args, target, **env)) as server:
        yield server


def fire(jobs: list[Callable[[], Any]], threads: int) -> list[Any]:
    """Run the jobs on a bounded thread pool and return their results in order."""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda job: job(), jobs))
