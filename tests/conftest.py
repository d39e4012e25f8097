"""Shared fixtures: the app on SQLite (and PostgreSQL for marked tests), clients, factories."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from roomlog import create_app
from roomlog.extensions import db
from roomlog.services.municipalities import ensure_municipalities
from tests.factories import Factory
from tests.support import sqlite as sqlite_support
from tests.support.postgres import (
    IN_CI,
    PG_ENV,
    PG_OWNER_ENV,
    PG_OWNER_ROLE,
    apply_security_sql,
    create_test_schema,
    owner_url_for,
    postgres_url,
    truncate,
)

__all__ = [
    "IN_CI",
    "PG_ENV",
    "PG_OWNER_ENV",
    "PG_OWNER_ROLE",
    "AuthActions",
    "apply_security_sql",
    "make_test_config",
    "owner_url_for",
    "postgres_url",
    "sqlite_path",
]
# Cheap argon2 parameters for tests only; production uses the library's RFC 9106 defaults.
FAST_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}

# Temporary directories (and so every test's SQLite file) on tmpfs unless the caller chose a place.
sqlite_support.use_ram_temproot()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("backend", ["sqlite", "postgresql"], scope="function")


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[str]:
    """Create the schema once per session as the owner; the tests connect as the app role."""
    url = postgres_url()
    assert url
    create_test_schema(url)
    yield url


def _truncate_pg(url: str) -> None:
    truncate(url)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database with the schema and the municipalities, built once and copied by every test."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.sqlite3"
    previous = os.environ.get("ROOMLOG_INSTANCE_PATH")
    os.environ["ROOMLOG_INSTANCE_PATH"] = str(folder / "instance")
    try:
        return sqlite_support.build_template(path, make_test_config(folder, f"sqlite:///{path}"))
    finally:
        if previous is None:
            os.environ.pop("ROOMLOG_INSTANCE_PATH", None)
        else:
            os.environ["ROOMLOG_INSTANCE_PATH"] = previous


def make_test_config(tmp_path: Path, database_url: str, **extra: object) -> dict[str, object]:
    """Config for a test app: fixed fake secrets, cheap hashing, CSRF off unless asked.

    On PostgreSQL the app connects as the app role; ``DATABASE_AS_OWNER=True`` gives the
    owner's connection to the same database (migrations, demo, purge, backup, restore).
    """
    owner = {"OWNER_DATABASE_URL": owner_url_for(database_url)} if database_url.startswith("postgresql") else {}
    return {
        **owner,
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "PSEUDONYM_KEY": "test-pseudonym-key-for-tests-only-0123",
        "DATA_KEY": "test-data-key-for-tests-only-0123456789",
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
    if backend == "postgresql":
        url = request.getfixturevalue("_pg_schema")
    else:
        template = request.getfixturevalue("_sqlite_template")
        url = f"sqlite:///{sqlite_support.copy_template(template, tmp_path / 'test.sqlite3')}"
    os.environ.setdefault("ROOMLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app(make_test_config(tmp_path, url, **app_config))
    if backend == "postgresql":  # the SQLite copy already holds them
        with application.app_context():
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
def runner(app: Flask, backend: str, tmp_path: Path, app_config: dict[str, object]) -> Iterator[FlaskCliRunner]:
    """The ``roomlog`` command; on PostgreSQL it connects as the schema owner, as deployed."""
    if backend != "postgresql":
        yield app.test_cli_runner()
        return
    owner = create_app(
        make_test_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], DATABASE_AS_OWNER=True, **app_config)
    )
    yield owner.test_cli_runner()
    with owner.app_context():
        db.session.remove()
        db.engine.dispose()


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
