"""A free loopback port and the CSRF token of a page (standard library only: the bench imports it)."""

from __future__ import annotations

import os
import re
import socket

#: A form's hidden CSRF field, whichever order its attributes come in.
CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def worker_share(ports: range) -> range:
    """This pytest-xdist worker's own slice of ``ports`` (all of them outside xdist), so workers never race for one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    index = int(worker.removeprefix("gw") or 0) if worker.startswith("gw") else 0
    return ports[index::count] if count > 1 else ports


def free_port(preferred: tuple[int, ...] | range = ()) -> int:
    """Return a free 127.0.0.1 port: the first free one of ``preferred``, else any the kernel gives."""
    for port in (*preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError("no free loopback port")


def port_free(port: int) -> bool:
    """Return whether ``port`` on 127.0.0.1 can be bound now."""
    return free_port((port,)) == port if port else False


def find_csrf_token(html: str) -> str | None:
    """Return the CSRF token of the first form on a page, or None."""
    match = CSRF_TOKEN.search(html)
    return (match.group(1) or match.group(2)) if match else None


def without_csrf_tokens(html: str) -> str:
    """``html`` without its forms' CSRF tokens: random text that may hold any short string (a room called H17)."""
    return CSRF_TOKEN.sub('name="csrf_token"', html)


def csrf_token(html: str) -> str:
    """Return the CSRF token of the first form on a page; raise when there is none."""
    token = find_csrf_token(html)
    if token is None:
        raise RuntimeError("no csrf_token on the page")
    return token
