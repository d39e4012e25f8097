"""Shared fixtures: the app on SQLite (and PostgreSQL for marked tests), clients, factories."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from roomlog import create_app
from roomlog.extensions import db
from roomlog.health.views import migration_heads
from roomlog.models import Base
from roomlog.services.municipalities import ensure_municipalities
from tests.factories import Factory

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ENV = "ROOMLOG_TEST_POSTGRES_URL"
PG_OWNER_ENV = "ROOMLOG_TEST_POSTGRES_OWNER_URL"
#: The schema owner of the README's deployment (.ci/postgres.sh creates it beside the app role).
PG_OWNER_ROLE = "roomlog_owner"
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


def owner_url_for(url: str) -> str:
    """Return ``url`` (the app role's, any database) as the schema owner's connection."""
    owner = make_url(os.environ.get(PG_OWNER_ENV) or make_url(url).set(username=PG_OWNER_ROLE, password=None))
    return make_url(url).set(username=owner.username, password=owner.password).render_as_string(hide_password=False)


def _refuse_superuser(url: str) -> None:
    """Fail when the tests' app URL is a superuser or can bypass RLS: production never is."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    finally:
        engine.dispose()
    if any(row):
        pytest.fail(f"{PG_ENV} must name the app role (no superuser, no BYPASSRLS): rerun .ci/postgres.sh start")


def apply_security_sql(conn: Connection, app_role: str | None) -> None:
    """Apply the grants and row-level security of migration 0008 (the single source) to ``conn``."""
    path = Path(__file__).resolve().parent.parent / "migrations" / "versions" / "0008_security_roles_and_secrets.py"
    spec = importlib.util.spec_from_file_location("roomlog_migration_0006", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.apply_security(lambda sql: conn.execute(text(sql)), app_role, 15, triggers=False)


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
    _refuse_superuser(url)
    engine = create_engine(owner_url_for(url))
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        Base.metadata.create_all(conn)
        # Mark the schema as at head (the app role may not write alembic_version), so /healthz answers 200.
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        for head in migration_heads():
            conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
        apply_security_sql(conn, make_url(url).username)
    engine.dispose()
    yield url


def _truncate_pg(url: str) -> None:
    engine = create_engine(owner_url_for(url))
    names = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "municipalities")
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


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
