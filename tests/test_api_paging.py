"""API for integrators: cursor pages with a total, strong ETags and 304, gzip, one rate limit per token
(following a cursor is free the first time, within a larger budget of pages)."""

from __future__ import annotations

import gzip
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.models import ApiToken
from roomlog.reporting.indicators import CODES
from roomlog.services.tokens import revoke_token
from tests.support.factories import Factory
from tests.support.worlds import World, bearer, build_world, history, publish

TEN_YEARS = "/api/v1/aggregates?from=2013-01&to=2022-12&granularity=month"
SMALL = "/api/v1/aggregates?from=2022-01&to=2022-03&indicator=consumptions.total&indicator=emergencies.total"


@pytest.fixture
def world(make: Factory, dbs: Session) -> World:
    return build_world(make, dbs)


def key(row: dict) -> tuple:
    return (row["municipality_code"], row["room_id"], row["period"], row["indicator"])


@pytest.mark.both_databases
def test_ten_years_by_month_come_page_by_page_each_row_once(client: FlaskClient, world: World) -> None:
    headers = bearer(world.national_token)
    url: str | None = TEN_YEARS + "&limit=10000"
    seen: list[tuple] = []
    pages = 0
    while url is not None:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_json()
        etag = response.headers["ETag"]
        assert etag.startswith('"') and response.headers["Last-Modified"]
        again = client.get(url, headers={**headers, "If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
        body = response.get_json()
        assert body["total"] == 120 * 6 * len(CODES) == int(response.headers["X-Total-Count"])
        seen += [key(r) for r in body["rows"]]
        pages += 1
        url = body["next"]
        if url is not None:
            assert response.headers["Link"] == f'<{url}>; rel="next"'
            assert body["next_cursor"] in url
        else:
            assert "Link" not in response.headers and body["next_cursor"] is None
    assert pages == 7
    assert len(seen) == len(set(seen)) == 120 * 6 * len(CODES)
    assert {k[2] for k in seen} == {f"{y}-{m:02d}" for y in range(2013, 2023) for m in range(1, 13)}


def test_pages_agree_with_one_big_page(client: FlaskClient, world: World) -> None:
    headers = bearer(world.kbh_token)
    whole = client.get(SMALL + "&limit=100", headers=headers).get_json()
    assert whole["total"] == 3 * 3 * 2 and whole["next"] is None  # 3 months × (2 rooms + total) × 2 indicators
    rows, url = [], SMALL + "&limit=4"
    while url:
        body = client.get(url, headers=headers).get_json()
        assert body["limit"] == 4 and body["total"] == whole["total"]
        rows += body["rows"]
        url = body["next"]
    assert rows == whole["rows"]
    default = client.get(SMALL, headers=headers).get_json()
    assert default["limit"] == 10000 and default["rows"] == whole["rows"]  # the largest page unless asked for less
    capped = client.get(SMALL + "&limit=50000", headers=headers).get_json()
    assert capped["limit"] == 10000  # JSON pages hold at most 10,000 rows


def test_a_whole_table_is_one_page_of_the_largest_size_unless_a_smaller_one_is_asked_for(
    client: FlaskClient, world: World
) -> None:
    headers = bearer(world.national_token)
    body = client.get(TEN_YEARS, headers=headers).get_json()
    assert body["limit"] == 10000 and len(body["rows"]) == 10000 and body["total"] == 120 * 6 * len(CODES)
    rows, url, pages = body["rows"], body["next"], 1
    while url is not None:
        page = client.get(url, headers=headers).get_json()
        assert page["limit"] == 10000 and page["offset"] == 10000 * pages
        rows, url, pages = rows + page["rows"], page["next"], pages + 1
    assert pages == -(-body["total"] // 10000) and len({key(r) for r in rows}) == body["total"]
    csv = client.get(TEN_YEARS + "&format=csv", headers=headers)
    assert "Link" not in csv.headers and int(csv.headers["X-Total-Count"]) == body["total"]  # a file: one page


def test_a_cursor_is_checked(client: FlaskClient, world: World) -> None:
    first = client.get(SMALL + "&limit=2", headers=bearer(world.national_token)).get_json()
    cursor = first["next_cursor"]
    tampered = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    for bad, token in (
        (tampered, world.national_token),  # signature
        (cursor, world.kbh_token),  # another scope
    ):
        response = client.get(SMALL + f"&limit=2&cursor={bad}", headers=bearer(token))
        assert response.status_code == 404 and response.get_json()["parameter"] == "cursor"
    other_query = "/api/v1/aggregates?from=2022-01&to=2022-02&limit=2&cursor=" + cursor
    response = client.get(other_query, headers=bearer(world.national_token))
    assert response.status_code == 404 and response.get_json()["parameter"] == "cursor"
    assert client.get(first["next"], headers=bearer(world.national_token)).status_code == 200
    empty = client.get(SMALL + "&limit=2&cursor=", headers=bearer(world.national_token)).get_json()
    assert empty["offset"] == 0 and empty["rows"] == first["rows"]  # an empty cursor is the first page


@pytest.mark.both_databases
def test_a_cursor_from_before_a_republication_is_gone(client: FlaskClient, world: World, dbs: Session) -> None:
    headers = bearer(world.national_token)
    first = client.get(SMALL + "&limit=2", headers=headers)
    for room in (world.skyen, world.h17, world.odense):
        history(dbs, room, "2023-01", consumptions_total=10)
    publish(dbs)
    dbs.commit()
    response = client.get(first.get_json()["next"], headers=headers)
    assert response.status_code == 410
    body = response.get_json()
    assert body["parameter"] == "cursor" and "first page" in body["error"]
    fresh = client.get(SMALL + "&limit=2", headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != first.headers["ETag"]


@pytest.mark.both_databases
def test_304_is_answered_without_building_the_body(
    client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = bearer(world.odense_token)
    response = client.get(SMALL, headers=headers)
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "Authorization" in response.headers["Vary"]
    etag, modified = response.headers["ETag"], response.headers["Last-Modified"]

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("the body was built")

    monkeypatch.setattr("roomlog.api.views.tables", boom)
    assert client.get(SMALL, headers={**headers, "If-None-Match": etag}).status_code == 304
    assert client.get(SMALL, headers={**headers, "If-None-Match": f'"x", {etag}'}).status_code == 304
    assert client.get(SMALL, headers={**headers, "If-Modified-Since": modified}).status_code == 304
    for path in ("/api/v1/rooms", "/api/v1/indicators"):
        tag = client.get(path, headers=headers).headers["ETag"]
        assert client.get(path, headers={**headers, "If-None-Match": tag}).status_code == 304


def test_etags_differ_by_scope_language_and_format(client: FlaskClient, world: World) -> None:
    tags = {
        client.get(url, headers=bearer(token)).headers["ETag"]
        for url, token in (
            (SMALL, world.kbh_token),
            (SMALL, world.odense_token),
            (SMALL, world.national_token),
            (SMALL + "&lang=da", world.national_token),
            (SMALL + "&format=csv", world.national_token),
        )
    }
    assert len(tags) == 5


def test_json_and_csv_are_gzipped_when_accepted(client: FlaskClient, world: World) -> None:
    headers = {**bearer(world.national_token), "Accept-Encoding": "gzip"}
    plain = client.get(SMALL, headers=bearer(world.national_token))
    zipped = client.get(SMALL, headers=headers)
    assert zipped.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers
    assert json.loads(gzip.decompress(zipped.data)) == plain.get_json()
    assert zipped.headers["ETag"] == plain.headers["ETag"][:-1] + '-gzip"'
    assert client.get(SMALL, headers={**headers, "If-None-Match": zipped.headers["ETag"]}).status_code == 304
    text = client.get(SMALL + "&format=csv", headers=headers)
    assert text.headers["Content-Encoding"] == "gzip" and gzip.decompress(text.data)


def test_a_partial_year_is_served_as_a_range(client: FlaskClient, world: World) -> None:
    url = "/api/v1/aggregates?from=2022-01&to=2022-01&granularity=year&indicator=consumptions.total"
    body = client.get(url, headers=bearer(world.national_token)).get_json()
    national = [r for r in body["rows"] if r["municipality_code"] is None]
    assert [(r["period"], r["period_kind"], r["value"]) for r in national] == [("2022-01..2022-01", "range", 250)]
    url = "/api/v1/aggregates?from=2021-03&to=2022-12&granularity=year&indicator=consumptions.total"
    body = client.get(url, headers=bearer(world.national_token)).get_json()
    assert [(r["period"], r["period_kind"]) for r in body["rows"] if r["municipality_code"] is None] == [
        ("2021-03..2021-12", "range"),
        ("2022", "year"),
    ]
    empty = client.get("/api/v1/aggregates?from=2022-05&to=2022-01", headers=bearer(world.national_token))
    assert empty.status_code == 200 and empty.get_json()["total"] == 0


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "3 per minute", "RATELIMIT_STORAGE_URI": "memory://"}]
)
def test_one_rate_limit_per_token_across_endpoints(client: FlaskClient, world: World, app: Flask, dbs: Session) -> None:
    headers = bearer(world.kbh_token)
    answers = [
        client.get(path, headers=headers) for path in ("/api/v1/rooms", "/api/v1/indicators", SMALL, "/api/v1/funding")
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert all(a.headers["X-RateLimit-Limit"] == "3" for a in answers)
    assert int(answers[3].headers["Retry-After"]) > 0
    assert answers[3].get_json()["request_id"]
    assert client.get("/api/v1/rooms", headers=bearer(world.national_token)).status_code == 200
    token = dbs.scalars(select(ApiToken).where(ApiToken.user_id == world.odense_user.id)).one()
    revoke_token(dbs, token)
    dbs.commit()
    revoked = [client.get("/api/v1/rooms", headers=bearer(world.odense_token)).status_code for _ in range(4)]
    assert revoked == [401, 401, 401, 429]  # a revoked token keeps its own budget
    anonymous = [client.get(p).status_code for p in ("/api/v1/rooms", "/api/v1/indicators", SMALL, "/api/v1/rooms")]
    assert anonymous == [401, 401, 401, 429]  # without a token: one budget per address


LIMITED = {"RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "3 per minute", "RATELIMIT_STORAGE_URI": "memory://"}


def remaining(response) -> str:  # type: ignore[no-untyped-def]
    return response.headers["X-RateLimit-Remaining"]


@pytest.mark.parametrize("app_config", [LIMITED])
def test_following_a_cursor_is_free_once_and_a_loop_over_one_cursor_is_refused(
    client: FlaskClient, world: World
) -> None:
    headers = bearer(world.kbh_token)
    first = client.get(SMALL + "&limit=4", headers=headers)
    assert first.status_code == 200 and remaining(first) == "2"
    url, pages = first.get_json()["next"], []
    while url is not None:  # every following page, each followed once: the budget stays where the first page left it
        pages.append(client.get(url, headers=headers))
        url = pages[-1].get_json()["next"]
    assert len(pages) == 4 and all(p.status_code == 200 and remaining(p) == "2" for p in pages)
    again = first.get_json()["next"]
    loop = [client.get(again, headers=headers) for _ in range(3)]
    assert [(r.status_code, remaining(r)) for r in loop[:2]] == [(200, "1"), (200, "0")]
    refused = loop[2]
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.mimetype == "application/json" and refused.get_json()["request_id"]
    assert client.get(pages[-1].request.url, headers=headers).status_code == 429  # the whole budget is spent
    assert client.get("/api/v1/rooms", headers=bearer(world.odense_token)).status_code == 200  # per token


@pytest.mark.parametrize("app_config", [LIMITED])
def test_a_cursor_the_api_did_not_sign_costs_like_any_request(client: FlaskClient, world: World) -> None:
    headers = bearer(world.kbh_token)
    cursor = client.get(SMALL + "&limit=4", headers=headers).get_json()["next_cursor"]
    forged = SMALL + "&limit=4&cursor=" + cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    answers = [client.get(forged, headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 429]
    assert [remaining(a) for a in answers[:2]] == ["1", "0"]


@pytest.mark.parametrize("app_config", [{**LIMITED, "API_RATE_LIMIT": "2 per minute"}])
def test_free_following_pages_are_bounded_by_the_page_budget(client: FlaskClient, world: World) -> None:
    from roomlog.api.ratelimit import PAGE_FACTOR

    headers = bearer(world.national_token)
    body = client.get(SMALL + "&limit=1", headers=headers).get_json()
    assert body["total"] == 36 > 2 * PAGE_FACTOR + 1  # more one-row pages than the page budget holds
    url, statuses = body["next"], []
    while url is not None and len(statuses) <= 2 * PAGE_FACTOR:
        response = client.get(url, headers=headers)
        statuses.append(response.status_code)
        url = response.get_json().get("next")
    assert statuses == [200] * 2 * PAGE_FACTOR + [429]  # each page followed once, and still refused at the bound
    assert response.headers["X-RateLimit-Limit"] == str(2 * PAGE_FACTOR)
    assert client.get("/api/v1/rooms", headers=headers).status_code == 200  # the token's own budget is untouched
