"""The OpenAPI document matches the implementation: schemathesis against the WSGI app with a valid token."""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy.orm import Session

from tests.aggregate_data import bearer, build_world
from tests.factories import Factory


def test_openapi_document_is_31_and_public(client) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {"/indicators", "/rooms", "/aggregates", "/funding", "/openapi.json"}


@pytest.mark.parametrize("path", ["/indicators", "/rooms", "/aggregates", "/funding"])
def test_schemathesis_finds_no_failure(app: Flask, make: Factory, dbs: Session, path: str) -> None:
    world = build_world(make, dbs)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path]["GET"]

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(case=operation.as_strategy(), with_token=st.booleans())
    def check(case, with_token: bool) -> None:  # type: ignore[no-untyped-def]
        headers = bearer(world.national_token) if with_token else {}
        # Rules across parameters (to ≥ from, quarter/year boundaries, at most 120 periods) are
        # described in the document but cannot be expressed in JSON Schema: a 400 for them is right.
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    check()
