"""A warmed worker's first municipality and national page read no stored cell and compile no template."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from roomlog.extensions import publication_cells
from roomlog.warmup import compile_templates, warm_worker
from tests.support.apps import AuthActions, statements
from tests.support.factories import Factory
from tests.support.worlds import World, build_world


@pytest.fixture
def world(make: Factory, dbs: Session) -> World:
    return build_world(make, dbs)


def _fresh_worker(app: Flask) -> None:
    """Forget what earlier requests of the test process cached, as a new gunicorn worker would have."""
    app.extensions.pop("roomlog_publication_cells", None)
    app.jinja_env.cache.clear()


@pytest.mark.parametrize(("username", "path"), [("kbh", "/municipality/"), ("ministeriet", "/national/")])
def test_the_first_page_of_a_warmed_worker_reads_no_stored_cell(
    world: World, app: Flask, client: FlaskClient, auth: AuthActions, username: str, path: str
) -> None:
    auth.login(username)
    _fresh_worker(app)
    with statements(app) as cold:
        assert client.get(path).status_code == 200
    assert any("published_cells" in s for s, _params in cold)  # without a warm-up the first page reads the cells

    _fresh_worker(app)
    warm_worker(app)
    compiled = set(app.jinja_env.cache.keys())
    with statements(app) as first:
        assert client.get(path).status_code == 200
    assert not [s for s, _params in first if "published_cells" in s], first
    assert set(app.jinja_env.cache.keys()) == compiled  # nothing compiled on the way
    with statements(app) as second:
        assert client.get(path).status_code == 200
    assert len(first) == len(second)  # the first page costs what a later one does


def test_a_worker_without_publications_warms_up_without_error(app: Flask) -> None:
    warm_worker(app)
    assert compile_templates(app) > 0
    with app.app_context():
        assert publication_cells() is not None
