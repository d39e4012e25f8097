"""The app-wide request hooks cost less per request and do the same: security headers, the rate limiter's hooks."""

from __future__ import annotations

import pytest
from flask import Flask, request
from werkzeug.wrappers import Response

from roomlog import security
from roomlog.request_logs import request_id


def _headers_as_before(response: Response) -> Response:
    """The security headers as set before session 7 (one ``Headers.set`` per header): the reference."""
    response.headers.setdefault("Content-Security-Policy", security.CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.blueprint == "api" and "Cache-Control" in response.headers:
        response.vary.add("Cookie")
    elif request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    response.headers["X-Request-ID"] = request_id()
    return response


VIEW_HEADERS = [
    [],
    [("Location", "/rooms/1/visits/2"), ("Set-Cookie", "roomlog_undo=x; Path=/")],
    [("Content-Security-Policy", "default-src 'none'"), ("x-frame-options", "SAMEORIGIN")],
    [("X-Frame-Options", "SAMEORIGIN"), ("Referrer-Policy", "no-referrer"), ("x-frame-options", "ALLOW")],
    [("Cache-Control", "private, no-cache"), ("Vary", "Accept"), ("X-Request-ID", "forged")],
    [("Strict-Transport-Security", "max-age=1"), ("cache-control", "max-age=60"), ("vary", "Cookie")],
]


@pytest.mark.parametrize("view_headers", VIEW_HEADERS)
@pytest.mark.parametrize(
    ("path", "base_url"),
    [
        ("/rooms/1/visits/anonymous", "http://localhost"),
        ("/auth/login", "https://localhost"),
        ("/api/v1/aggregates", "http://localhost"),
        ("/static/css/app.css", "http://localhost"),
        ("/no/such/page", "http://localhost"),
    ],
)
def test_the_security_headers_are_the_same_as_before(
    app: Flask, view_headers: list[tuple[str, str]], path: str, base_url: str
) -> None:
    with app.test_request_context(path, base_url=base_url):  # matched as a request is (no endpoint: an error page)
        expected = _headers_as_before(Response("x", headers=list(view_headers)))
        found = security.headers(Response("x", headers=list(view_headers)))
    assert list(found.headers.items()) == list(expected.headers.items())


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "2 per minute", "RATELIMIT_STORAGE_URI": "memory://"}]
)
def test_the_limiter_keeps_its_place_and_runs_in_the_api_only(app: Flask) -> None:
    before = [getattr(hook, "__qualname__", "") for hook in app.before_request_funcs[None]]
    limited = next(n for n, name in enumerate(before) if name.startswith("_only_in_api."))
    assert before.index("guard") == limited + 1  # the rate limit is checked before the login check, as before
    client = app.test_client()
    page = client.get("/auth/login")
    assert page.status_code == 200 and "X-RateLimit-Limit" not in page.headers
    answers = [client.get("/api/v1/rooms") for _ in range(3)]  # no token: the address's budget, before the login check
    assert [a.status_code for a in answers] == [401, 401, 429]
    assert answers[0].headers["X-RateLimit-Limit"] == "2"
