"""Headers on every response, cookies, CSRF on every state change, generic error pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from roomlog import create_app
from roomlog.config import ConfigError
from tests.security_routes import DatabaseState, build_world, concrete_methods, spec_for
from tests.support.apps import PRODUCTION_ENV, AuthActions, make_test_config
from tests.support.factories import Factory
from tests.support.net import without_csrf_tokens

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _assert_headers(response, where: str, authenticated: bool) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, where
    script_src = next((p for p in csp.split(";") if p.strip().startswith("script-src")), "")
    assert script_src and "unsafe-inline" not in script_src and "unsafe-eval" not in script_src, where
    assert "default-src 'self'" in csp, where
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, f"{where}: {name}"
    if authenticated and "/static/" not in where:
        assert response.headers.get("Cache-Control") == "no-store", where
    assert "Strict-Transport-Security" not in response.headers, f"{where}: HSTS over plain HTTP"


@pytest.mark.parametrize("role", ["anonymous", "admin", "staff_b"])
def test_every_route_static_files_and_errors_carry_the_headers(app: Flask, make: Factory, role: str) -> None:
    world = build_world(make)
    client = app.test_client()
    if role != "anonymous":
        AuthActions(client).login(role)
    for rule in app.url_map.iter_rules():
        spec = spec_for(rule.endpoint)
        for method in concrete_methods(rule):
            if spec.self_service and method == "POST":
                continue
            response = client.open(spec.url(world), method=method)
            _assert_headers(response, f"{role} {method} {rule.rule} {response.status_code}", role != "anonymous")
    for path in ("/static/css/app.css", "/static/js/idle.js", "/no/such/page", "/static/nothing.css"):
        _assert_headers(client.get(path), f"{role} GET {path}", role != "anonymous")
    assert client.get("/no/such/page").status_code == 404


def test_hsts_only_behind_tls(app: Flask, make: Factory) -> None:
    assert "Strict-Transport-Security" in app.test_client().get("/auth/login", base_url="https://localhost").headers
    # Without BEHIND_PROXY a forged X-Forwarded-Proto is not believed (ProxyFix is off).
    plain = app.test_client().get("/auth/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in plain.headers


def test_proxy_headers_are_trusted_only_when_configured(tmp_path: Path) -> None:
    app = create_app(make_test_config(tmp_path, f"sqlite:///{tmp_path / 'p.sqlite3'}", BEHIND_PROXY=1))
    response = app.test_client().get("/auth/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in response.headers


def test_session_cookie_flags(app: Flask, make: Factory) -> None:
    make.user(username="a", role="admin")
    client = app.test_client()
    response = AuthActions(client).login("a")
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("roomlog_session="))
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "domain=" not in flags  # host-only
    assert "expires=" not in flags and "max-age" not in flags  # a browser-session cookie


def test_production_cookies_are_secure_and_host_prefixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from roomlog.config import load_config

    env = PRODUCTION_ENV
    config = load_config(tmp_path, env=env)
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_NAME"] == "__Host-roomlog_session"
    assert config["SESSION_COOKIE_HTTPONLY"] is True and config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["REQUIRE_TOTP"] is True
    assert config.get("SESSION_COOKIE_DOMAIN") is None


def test_debug_is_impossible_in_production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from roomlog.config import load_config

    env = PRODUCTION_ENV
    assert load_config(tmp_path, env=env, overrides={"DEBUG": True})["DEBUG"] is False
    monkeypatch.setenv("FLASK_DEBUG", "1")
    overrides = {"ENV_NAME": "production", "SECRET_KEY": "s" * 40, "PSEUDONYM_KEY": "p" * 40, "DATA_KEY": "d" * 40}
    with pytest.raises(ConfigError, match="Debug"):
        create_app({**overrides, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})


def test_every_post_route_refuses_a_missing_csrf_token(app: Flask, make: Factory, dbs: Session) -> None:
    world = build_world(make)
    clients = {}
    for role in ("admin", "staff_b", "lead_a"):
        clients[role] = app.test_client()
        AuthActions(clients[role]).login(role)
    app.config["WTF_CSRF_ENABLED"] = True
    checked = []
    database = DatabaseState(dbs.get_bind())  # hashed again only after a commit (tests/security_routes.py)
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint.startswith("api."):
            continue  # the JSON API uses bearer tokens, not cookies: exempt from CSRF on purpose
        spec = spec_for(rule.endpoint)
        role = next(iter(sorted(spec.allowed & set(clients))), "admin")
        before = database.fingerprint()
        data = spec.form(world) if spec.form else {"username": role, "password": Factory.PASSWORD}
        response = clients[role].post(spec.url(world), data=data)
        assert response.status_code == 400, f"{rule.endpoint} accepted a POST without a CSRF token"
        assert database.fingerprint() == before, f"{rule.endpoint} changed data without a CSRF token"
        checked.append(rule.endpoint)
    database.close()
    assert "auth.logout" in checked and "admin.room_edit" in checked
    # The session survived the refused logout: the cookie still opens the admin area.
    assert clients["admin"].get("/admin/").status_code == 200


def test_error_pages_are_generic_with_a_request_id(app: Flask, make: Factory) -> None:
    @app.get("/_test/boom")
    def boom() -> str:
        raise RuntimeError("SELECT secret FROM /srv/roomlog/internal.py line 42")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    make.user(username="a", role="admin")
    client = app.test_client()
    AuthActions(client).login("a")
    response = client.get("/_test/boom")
    page = without_csrf_tokens(response.get_data(as_text=True))  # a random token may hold ".py"
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert request_id in page
    for leak in ("Traceback", "SELECT", "/srv/", ".py", "RuntimeError"):
        assert leak not in page
    api = client.get("/_test/boom", headers={"Accept": "application/json"})
    assert api.status_code == 500 and set(api.get_json()) == {"error", "request_id"}
    _assert_headers(response, "500 page", True)
