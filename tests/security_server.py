"""A real gunicorn with several workers on loopback, and a small cookie-keeping HTTP client.

Used by the throttling and canary tests: they need separate processes (shared rate-limit
storage) and real access logs. Bounded: start-up waits at most 30 s, every request 15 s.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from roomlog import PROJECT_ROOT

PORT = int(os.environ.get("ROOMLOG_TEST_SERVER_PORT", "5104"))
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


@dataclass
class Server:
    base: str
    root: Path
    app_log: Path
    access_log: Path
    error_log: Path
    database: Path


@contextmanager
def gunicorn(root: Path, database: Path, workers: int = 3, **env: str) -> Iterator[Server]:
    """Run ``gunicorn wsgi:app`` with ``workers`` workers on 127.0.0.1:PORT until the block ends."""
    server = Server(
        f"http://127.0.0.1:{PORT}", root, root / "app.log", root / "access.log", root / "error.log", database
    )
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ROOMLOG_")},
        "ROOMLOG_ENV": "development",
        "ROOMLOG_INSTANCE_PATH": str(root / "instance"),
        "ROOMLOG_DATABASE_URL": f"sqlite:///{database}",
        "ROOMLOG_SECRET_KEY": "server-secret-key-for-tests-only-01234",
        "ROOMLOG_PSEUDONYM_KEY": "test-pseudonym-key-for-tests-only-0123",
        "ROOMLOG_LOG_FILE": str(server.app_log),
        **env,
    }
    bin_dir = Path(sys.executable).parent
    command = [
        str(bin_dir / "gunicorn"),
        "--bind", f"127.0.0.1:{PORT}", "--workers", str(workers), "--timeout", "30",
        "--access-logfile", str(server.access_log), "--error-logfile", str(server.error_log),
        "--chdir", str(PROJECT_ROOT), "wsgi:app",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=environment, start_new_session=True)
    try:
        _wait_for_port(process, 30)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def _wait_for_port(process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", PORT)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not listen on port {PORT} within {seconds} s")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


class Browser:
    """Cookies, CSRF tokens from the last page, no automatic redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)
        self.token = ""

    def request(self, method: str, path: str, data: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, method=method)  # noqa: S310 (loopback test server)
        try:
            with self.opener.open(req, timeout=15) as response:
                status, text, headers = response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            status, text, headers = exc.code, exc.read().decode(), dict(exc.headers)
        except http.client.RemoteDisconnected:
            return 599, "", {}
        found = TOKEN.search(text)
        if found:
            self.token = found.group(1) or found.group(2)
        return status, text, headers

    def get(self, path: str) -> tuple[int, str, dict[str, str]]:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        """POST a form from the page at ``path`` (fetched first for its CSRF token)."""
        self.get(path)
        return self.request("POST", path, {**data, "csrf_token": self.token})

    def login(self, username: str, password: str) -> int:
        return self.post("/auth/login", {"username": username, "password": password})[0]
