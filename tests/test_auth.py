"""Logging in and out, the allow-list, safe redirects, server-side sessions."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from roomlog.models.codes import Role
from roomlog.web.redirects import safe_next
from tests.support.apps import AuthActions
from tests.support.factories import Factory
from tests.support.net import csrf_token

PUBLIC_ENDPOINTS = {
    "static",
    "auth.login",
    "auth.logout",
    "account.language",
    "health.healthz",
    "offline.service_worker",
}


def _concrete(rule) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", rule.rule)


def test_login_page_has_the_contract_fields(client: FlaskClient) -> None:
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'name="username"' in page and 'name="password"' in page
    assert "Log ind" in page  # Danish by default


def test_every_route_needs_a_login_except_the_allow_list(app: Flask, client: FlaskClient) -> None:
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.startswith("api."):
            continue
        view = app.view_functions[rule.endpoint]
        assert not getattr(view, "is_public", False), f"{rule.endpoint} is public but not on the allow-list"
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(_concrete(rule), method=method)
        assert response.status_code in (302, 401), f"{rule.rule} answered {response.status_code}"
        if response.status_code == 302:
            assert "/auth/login" in response.headers["Location"]


def test_bad_login_gives_a_generic_error(make: Factory, auth: AuthActions) -> None:
    make.user(Role.STAFF, rooms=[make.room()], username="anna")
    wrong_password = auth.login("anna", "wrong password here").get_data(as_text=True)
    unknown_user = auth.login("nobody", "wrong password here").get_data(as_text=True)
    assert "Forkert brugernavn eller adgangskode" in wrong_password
    assert "Forkert brugernavn eller adgangskode" in unknown_user


def test_disabled_user_cannot_log_in(make: Factory, auth: AuthActions) -> None:
    make.user(Role.STAFF, rooms=[make.room()], username="gone", active=False)
    assert auth.login("gone").status_code == 200
    assert auth.client.get("/").status_code == 302


def test_login_goes_to_the_start_page_of_the_role(make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    room, other = make.room(), make.room()
    make.user(Role.STAFF, rooms=[room], username="s")
    make.user(Role.LEAD, rooms=[room, other], username="l")
    make.user(Role.ADMIN, username="a")
    make.user(Role.MUNICIPALITY, municipality="101", username="m")
    make.user(Role.NATIONAL, username="n")
    start_pages = {
        "s": f"/rooms/{room.id}/",  # one room: straight to its board
        "l": "/rooms/",  # several rooms: the room list
        "a": "/admin/",
        "m": "/municipality/",
        "n": "/national/",
    }
    for username, start_page in start_pages.items():
        assert auth.login(username).headers["Location"] == "/", username
        response = client.get("/")
        assert response.status_code == 302, username
        assert response.headers["Location"] == start_page, username
        assert client.get(start_page).status_code == 200, username
        auth.logout()


def test_next_only_to_the_same_site(make: Factory, auth: AuthActions) -> None:
    make.user(Role.ADMIN, username="a")
    response = auth.client.post(
        "/auth/login", data={"username": "a", "password": Factory.PASSWORD, "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/"
    auth.logout()
    response = auth.client.post(
        "/auth/login", data={"username": "a", "password": Factory.PASSWORD, "next": "/admin/municipalities"}
    )
    assert response.headers["Location"] == "/admin/municipalities"


@pytest.mark.parametrize("target", ["//evil.example", "https://x", "javascript:alert(1)", "/\\evil", "", None])
def test_safe_next_rejects_other_sites(target: str | None) -> None:
    assert safe_next(target) is None


def test_logout_is_post_only_and_ends_the_session_server_side(
    make: Factory, client: FlaskClient, auth: AuthActions
) -> None:
    make.user(Role.ADMIN, username="a")
    auth.login("a")
    assert client.get("/admin/").status_code == 200
    assert client.get("/auth/logout").status_code == 405
    stolen = client.get_cookie("roomlog_session").value
    auth.logout()
    assert client.get("/admin/").status_code == 302
    client.set_cookie("roomlog_session", stolen)  # replay the old cookie
    assert client.get("/admin/").status_code == 302


def test_login_issues_a_fresh_session(make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    make.user(Role.ADMIN, username="a")
    client.get("/auth/login")
    before = client.get_cookie("roomlog_session")
    auth.login("a")
    after = client.get_cookie("roomlog_session")
    assert after is not None and (before is None or before.value != after.value)


def test_csrf_is_required_on_login(app: Flask, make: Factory) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    make.user(Role.ADMIN, username="a")
    client = app.test_client()
    response = client.post("/auth/login", data={"username": "a", "password": Factory.PASSWORD})
    assert response.status_code == 400
    page = client.get("/auth/login").get_data(as_text=True)
    token = csrf_token(page)
    response = client.post("/auth/login", data={"username": "a", "password": Factory.PASSWORD, "csrf_token": token})
    assert response.status_code == 302
