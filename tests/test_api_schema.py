"""The OpenAPI document matches the implementation: schemathesis, every check, against the WSGI app.

Bounded for ``make test``: a fixed number of examples per operation and mode, derandomized
(the same cases every run), over a seeded database with published months.
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from sqlalchemy.orm import Session

from tests.support.factories import Factory
from tests.support.worlds import bearer, build_world

EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 12}


#: schemathesis leaves the document itself out
PATHS = ("/indicators", "/rooms", "/aggregates", "/aggregates.datapackage.json", "/funding")


def test_openapi_document_is_31_and_public(client) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {*PATHS, "/openapi.json"}
    aggregates = doc["paths"]["/aggregates"]["get"]
    assert {"304", "410", "429"} <= set(aggregates["responses"])
    assert {"ETag", "Last-Modified", "Link", "X-Total-Count", "X-RateLimit-Remaining"} <= set(
        aggregates["responses"]["200"]["headers"]
    )
    assert "Retry-After" in aggregates["responses"]["429"]["headers"]
    names = {p["name"] for p in aggregates["parameters"]}
    assert {"limit", "cursor", "If-None-Match", "If-Modified-Since"} <= names


@pytest.mark.parametrize("mode", list(EXAMPLES))
def test_schemathesis_finds_no_failure(app: Flask, make: Factory, dbs: Session, mode: GenerationMode) -> None:
    world = build_world(make, dbs)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    assert {op.path for op in (r.ok() for r in schema.get_all_operations())} == set(PATHS)
    for path in PATHS:
        operation = schema[path]["GET"]

        @settings(max_examples=EXAMPLES[mode], deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        @given(case=operation.as_strategy(generation_mode=mode), with_token=st.booleans())
        def check(case, with_token: bool) -> None:
            # The WSGI transport asks for gzip but does not decode it (HTTP clients do): ask for the plain body.
            headers = {"Accept-Encoding": "identity", **(bearer(world.national_token) if with_token else {})}
            case.call_and_validate(headers=headers)  # every check, positive_data_acceptance included

        check()
