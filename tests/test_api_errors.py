"""Every /api/v1 error has one JSON shape (error, parameter where there is one, request_id) and its headers."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from roomlog.auth.access import public
from tests.support.factories import Factory
from tests.support.worlds import World, bearer, build_world

URLS = ("/api/v1/indicators", "/api/v1/rooms", "/api/v1/aggregates", "/api/v1/funding")


@pytest.fixture
def world(make: Factory, dbs: Session) -> World:
    return build_world(make, dbs)


def _shape(response, status: int, parameter: str | None = None) -> dict[str, str]:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == ({"error", "request_id"} | ({"parameter"} if parameter else set()))
    assert body["error"] and len(body["request_id"]) >= 8
    if parameter:
        assert body["parameter"] == parameter
    return body


@pytest.mark.parametrize("url", URLS)
def test_401_without_or_with_a_bad_token(client: FlaskClient, url: str) -> None:
    missing = client.get(url)
    assert "bearer" in _shape(missing, 401)["error"]
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    bad = client.get(url, headers=bearer("nope"))
    assert _shape(bad, 401)["error"] == "invalid or revoked token"
    danish = client.get(url, headers={**bearer("nope"), "Accept-Language": "da"})
    assert _shape(danish, 401)["error"] == "ugyldigt eller tilbagekaldt token"
    assert danish.headers["Content-Language"] == "da"


@pytest.mark.parametrize("url", URLS)
def test_unknown_parameters_are_400_naming_them(client: FlaskClient, world: World, url: str) -> None:
    paged = url.startswith("/api/v1/aggregates")  # limit and cursor are its page parameters
    for name in ("page", "offset", *(() if paged else ("limit", "cursor"))):
        body = _shape(client.get(f"{url}?{name}=1", headers=bearer(world.national_token)), 400, name)
        assert f"'{name}'" in body["error"]
    bad_lang = client.get(f"{url}?lang=de", headers=bearer(world.national_token))
    _shape(bad_lang, 400, "lang")


def test_lang_and_accept_language_choose_the_language(client: FlaskClient, world: World) -> None:
    url = "/api/v1/aggregates?from=2022-01&to=2022-01&room=abc"
    english = _shape(client.get(url, headers=bearer(world.national_token)), 400, "room")
    assert english["error"].startswith("'room' must be")
    danish = _shape(client.get(url + "&lang=da", headers=bearer(world.national_token)), 400, "room")
    assert danish["error"].startswith("Parameteren 'room' er forkert")
    preferred = client.get(url, headers={**bearer(world.national_token), "Accept-Language": "da-DK,da;q=0.9,en;q=0.5"})
    assert _shape(preferred, 400, "room")["error"] == danish["error"]
    overridden = client.get(url + "&lang=en", headers={**bearer(world.national_token), "Accept-Language": "da"})
    assert _shape(overridden, 400, "room")["error"] == english["error"]
    year = _shape(client.get("/api/v1/funding?year=1900&lang=da", headers=bearer(world.national_token)), 400, "year")
    assert year["error"].startswith("'year' skal være et år fra")


def test_404_for_a_room_out_of_scope_and_an_unknown_url(client: FlaskClient, world: World) -> None:
    url = f"/api/v1/aggregates?from=2022-01&to=2022-01&room={world.odense.id}"
    assert (
        _shape(client.get(url, headers=bearer(world.kbh_token)), 404, "room")["error"] == "no such room in your scope"
    )
    unknown = client.get("/api/v1/nothing-here", headers=bearer(world.kbh_token))
    assert "openapi.json" in _shape(unknown, 404)["error"]
    danish = client.get("/api/v1/nothing-here?lang=da")
    assert _shape(danish, 404)["error"].startswith("Findes ikke")


@pytest.mark.parametrize("url", [*URLS, "/api/v1/openapi.json"])
def test_405_lists_the_allowed_methods(client: FlaskClient, world: World, url: str) -> None:
    for method in ("post", "put", "delete", "patch"):
        response = getattr(client, method)(url, headers=bearer(world.national_token))
        _shape(response, 405)
        assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


def test_403_has_the_shape(app: Flask, client: FlaskClient) -> None:
    from werkzeug.exceptions import Forbidden

    @app.get("/api/v1/forbidden-for-test")
    @public
    def forbidden() -> str:
        raise Forbidden()

    _shape(client.get("/api/v1/forbidden-for-test"), 403)


@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_500_and_503_have_the_shape(app: Flask, client: FlaskClient, world: World) -> None:
    @app.get("/api/v1/crash-for-test")
    @public
    def crash() -> str:
        raise RuntimeError("boom")

    @app.get("/api/v1/down-for-test")
    @public
    def down() -> str:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    crashed = client.get("/api/v1/crash-for-test")
    assert "request_id" in _shape(crashed, 500)["error"]
    assert "boom" not in crashed.get_data(as_text=True)
    assert _shape(client.get("/api/v1/down-for-test?lang=da"), 503)["error"].startswith("Tjenesten kan ikke")


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "2 per minute", "RATELIMIT_STORAGE_URI": "memory://"}]
)
def test_429_has_the_shape_retry_after_and_rate_limit_headers(client: FlaskClient, world: World) -> None:
    first = client.get("/api/v1/rooms", headers=bearer(world.kbh_token))
    assert first.status_code == 200
    assert first.headers["X-RateLimit-Limit"] == "2" and first.headers["X-RateLimit-Remaining"] == "1"
    client.get("/api/v1/rooms", headers=bearer(world.kbh_token))
    limited = client.get("/api/v1/rooms", headers={**bearer(world.kbh_token), "Accept-Language": "da"})
    assert _shape(limited, 429)["error"].startswith("Grænsen for antal forespørgsler")
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.headers["X-RateLimit-Limit"] == "2" and limited.headers["X-RateLimit-Remaining"] == "0"
    assert int(limited.headers["X-RateLimit-Reset"]) > 0
