"""Run the app under gunicorn (one worker) and the ``roomlog`` CLI against a bench database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent


def environment(database_url: str) -> dict[str, str]:
    """The environment of the app's processes: the bench database and fixed development secrets."""
    from bench.setup import APP_URLS

    env = dict(os.environ)
    if database_url in APP_URLS:
        env.update(ROOMLOG_DATABASE_URL=APP_URLS[database_url], ROOMLOG_OWNER_DATABASE_URL=database_url)
    else:
        env.update(ROOMLOG_DATABASE_URL=database_url)
        env.pop("ROOMLOG_OWNER_DATABASE_URL", None)
    env.update(
        ROOMLOG_ENV="development",
        ROOMLOG_SECRET_KEY="bench-secret-key-not-for-production-0123456789",
        ROOMLOG_PSEUDONYM_KEY="bench-pseudonym-key-not-for-production-0123456789",
    )
    return env


def roomlog(
    database_url: str, *args: str, stdin: str | None = None, check: bool = True, quiet: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``roomlog ARGS`` on the bench database; stderr (progress bars) goes to the console unless ``quiet``."""
    return subprocess.run(
        [str(BIN / "roomlog"), *args],
        env=environment(database_url),
        input=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL if quiet else None,
        text=True,
        check=check,
    )


def has_command(database_url: str, name: str) -> bool:
    """Whether ``roomlog NAME`` exists in this version of the app."""
    found = subprocess.run(
        [str(BIN / "roomlog"), name, "--help"],
        env=environment(database_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return found.returncode == 0


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(database_url: str, log: Path, timeout: int = 600) -> Iterator[str]:
    """Start gunicorn with one worker; yield its base URL; stop it."""
    port = free_port()
    command: Sequence[str] = [
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--timeout",
        str(timeout),
        "wsgi:app",
    ]
    with log.open("a") as out:
        process = subprocess.Popen(command, env=environment(database_url), stdout=out, stderr=out)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base, process)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=60)


def _wait(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited; see the bench log")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=10):
                return
        except OSError:  # refused, reset or timed out (URLError and TimeoutError are OSErrors)
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer /healthz within 120 s")
