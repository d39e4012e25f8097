"""The one HTTP client for a running test server: cookies kept, CSRF token of the last page, no redirects."""

from __future__ import annotations

import requests

from tests.support.net import find_csrf_token

REQUEST_TIMEOUT_S = 30


class Browser:
    """A browser-like session against ``base``; ``session`` is the underlying ``requests.Session``."""

    def __init__(self, base: str, timeout: float = REQUEST_TIMEOUT_S) -> None:
        self.base = base
        self.timeout = timeout
        self.session = requests.Session()
        self.token = ""

    def request(self, method: str, path: str, data: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
        """Send one request; return status, body and headers (599 when the server hung up)."""
        try:
            response = self.session.request(
                method, self.base + path, data=data, allow_redirects=False, timeout=self.timeout
            )
        except requests.ConnectionError:
            return 599, "", {}
        token = find_csrf_token(response.text)
        if token:
            self.token = token
        return response.status_code, response.text, dict(response.headers)

    def get(self, path: str) -> tuple[int, str, dict[str, str]]:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        """POST a form from the page at ``path`` (fetched first for its CSRF token)."""
        self.get(path)
        return self.request("POST", path, {**data, "csrf_token": self.token})

    def login(self, username: str, password: str) -> int:
        """Log in through the real form; return the status (302 on success)."""
        return self.post("/auth/login", {"username": username, "password": password})[0]
