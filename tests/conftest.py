"""Shared fixtures: the app on SQLite (and PostgreSQL for marked tests), clients, factories."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from roomlog import create_app
from roomlog.extensions import db
from roomlog.models import Base
from roomlog.services.municipalities import ensure_municipalities
from tests.factories import Factory

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ENV = "ROOMLOG_TEST_POSTGRES_URL"
# Cheap argon2 parameters for tests only; production uses the library's RFC 9106 defaults.
FAST_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


def postgres_url() -> str | None:
    """Return the test PostgreSQL URL, skipping (or failing in CI) when there is none."""
    url = os.environ.get(PG_ENV)
    if url:
        return url
    message = f"PostgreSQL tests need {PG_ENV} (set by .ci/run; start one with .ci/postgres.sh start)"
    if IN_CI:
        pytest.fail(message + " — required when CI=true")
    pytest.skip(message)
    return None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("backend", ["sqlite", "postgresql"], scope="function")


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[str]:
    """Create the schema once per session in the PostgreSQL test database."""
    url = postgres_url()
    assert url
    engine = create_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        Base.metadata.create_all(conn)
    engine.dispose()
    yield url


def _truncate_pg(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "municipalities")
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


def make_test_config(tmp_path: Path, database_url: str, **extra: object) -> dict[str, object]:
    """Config for a test app: fixed fake secrets, cheap hashing, CSRF off unless asked."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "PSEUDONYM_KEY": "test-pseudonym-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "ARGON2_PARAMS": FAST_ARGON2,
        "RATELIMIT_ENABLED": False,
        **extra,
    }


@pytest.fixture
def app_config() -> dict[str, object]:
    """Override in a test module to change the app's config."""
    return {}


@pytest.fixture
def app(request: pytest.FixtureRequest, backend: str, tmp_path: Path, app_config: dict[str, object]) -> Iterator[Flask]:
    sqlite_url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    url = request.getfixturevalue("_pg_schema") if backend == "postgresql" else sqlite_url
    os.environ.setdefault("ROOMLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app(make_test_config(tmp_path, url, **app_config))
    with application.app_context():
        if backend == "sqlite":
            Base.metadata.create_all(db.engine)
        ensure_municipalities(db.session)
        db.session.commit()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    if backend == "postgresql":
        _truncate_pg(url)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def dbs(app: Flask) -> Iterator[Session]:
    """A session of the test's own, outside any request (so requests keep their own context)."""
    with app.app_context():
        engine = db.engine
    session = Session(engine, expire_on_commit=False)
    yield session
    session.close()


@pytest.fixture
def make(app: Flask, dbs: Session) -> Factory:
    """Factories that add and commit rows through the test's own session."""
    return Factory(dbs, app)


class AuthActions:
    """Log in and out through the real login form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, username: str, password: str = Factory.PASSWORD):  # type: ignore[no-untyped-def]
        return self.client.post("/auth/login", data={"username": username, "password": password})

    def logout(self):  # type: ignore[no-untyped-def]
        return self.client.post("/auth/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


def sqlite_path(url: str) -> Path:
    return Path(make_url(url).database or "")
