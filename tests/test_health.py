"""`/healthz`: public, 200 only when the database answers and is migrated to head; no details."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from roomlog import create_app
from roomlog.extensions import db
from tests.support.apps import dispose, make_test_config, owner_app
from tests.support.demo_db import migrated_database


@pytest.mark.both_databases
def test_healthz_ok_when_migrated_to_head_and_503_when_behind(backend: str, tmp_path: Path) -> None:
    with migrated_database(backend, tmp_path, "health") as url:  # migrated once per process, copied
        application = create_app(make_test_config(tmp_path, url))
        client = application.test_client()
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.get_json() == {"status": "ok"}
        assert "Set-Cookie" not in response.headers
        owner = owner_app(tmp_path, url)  # the app role may not write alembic_version
        with owner.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = '0001_initial'"))
            db.session.commit()
        dispose(owner)
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json() == {"status": "unavailable"}
        dispose(application)


def test_healthz_503_without_migrations(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


def test_healthz_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    from roomlog import create_app
    from tests.support.apps import make_test_config

    application: Flask = create_app(
        make_test_config(tmp_path, "postgresql+psycopg://nobody@127.0.0.1:9/none", SQLALCHEMY_ENGINE_OPTIONS={})
    )
    response = application.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_data(as_text=True).count("nobody") == 0
