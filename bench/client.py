"""A small HTTP client for the bench: a logged-in browser session or an API token, and a timer."""

from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.parse
import urllib.request

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand a redirect back as the answer (a form post's own time, without the page it leads to)."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Client:
    """Cookies kept across requests (and server restarts: the session is signed with a fixed key)."""

    def __init__(self, token: str | None = None) -> None:
        self.jar = http.cookiejar.CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.jar)
        self.opener = urllib.request.build_opener(cookies)
        self.posting = urllib.request.build_opener(cookies, _NoRedirect())
        self.token = token

    def request(self, url: str, data: dict[str, str] | None = None) -> tuple[int, bytes]:
        """GET (following redirects) or POST a form (not following); error statuses are returned, not raised."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body)
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with (self.opener if data is None else self.posting).open(req, timeout=900) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def timed(self, url: str, data: dict[str, str] | None = None) -> tuple[float, int, bytes]:
        """Seconds, status and body of one request."""
        started = time.perf_counter()
        status, body = self.request(url, data)
        return time.perf_counter() - started, status, body

    def csrf(self, url: str) -> str:
        """The CSRF token of a page with a form."""
        status, body = self.request(url)
        found = CSRF.search(body.decode("utf-8", "replace"))
        if not found:
            raise RuntimeError(f"no CSRF token on {url} (HTTP {status})")
        return found.group(1)

    def login(self, base: str, username: str, password: str) -> None:
        """Log in through the login form."""
        token = self.csrf(base + "/auth/login")
        status, _body = self.request(
            base + "/auth/login", {"username": username, "password": password, "csrf_token": token}
        )
        if status not in (302, 303):
            raise RuntimeError(f"login as {username} failed (HTTP {status})")
