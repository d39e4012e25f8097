"""A real gunicorn with several workers and its logs, and the cookie-keeping HTTP client (see ``tests.support``).

Used by the throttling and log-canary tests: they need separate processes (shared rate-limit
storage) and real access logs.
"""

from __future__ import annotations

from tests.support.http import Browser
from tests.support.server import LoggingServer as Server
from tests.support.server import gunicorn

__all__ = ["Browser", "Server", "gunicorn"]
