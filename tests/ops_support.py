"""Helpers for reliability tests: scratch PostgreSQL databases and migrated apps."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from roomlog import create_app
from roomlog.extensions import db
from tests.conftest import make_test_config, owner_url_for, postgres_url


@contextmanager
def scratch_pg_database(tag: str) -> Iterator[str]:
    """Create an empty PostgreSQL database (owned by the owner), yield the app role's URL, drop it after."""
    base = make_url(postgres_url() or "")
    name = f"{base.database}_{tag}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(make_url(owner_url_for(str(base))).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def database_url(backend: str, tmp_path: Path, tag: str) -> Iterator[str]:
    """Yield an empty database URL of ``backend`` (a SQLite file in ``tmp_path`` or a scratch PG database)."""
    if backend == "postgresql":
        with scratch_pg_database(tag) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / f'{tag}.sqlite3'}"


def migrated_app(tmp_path: Path, url: str, **extra: object) -> Flask:
    """Return an app on ``url`` after ``roomlog db upgrade`` as the owner (municipalities loaded)."""
    dispose(migrate_as_owner(tmp_path, url, **extra))
    return create_app(make_test_config(tmp_path, url, **extra))


def owner_app(tmp_path: Path, url: str, **extra: object) -> Flask:
    """Return an app on ``url`` connected as the schema owner (the ``roomlog`` command's connection)."""
    return create_app(make_test_config(tmp_path, url, DATABASE_AS_OWNER=True, **extra))


def migrate_as_owner(tmp_path: Path, url: str, **extra: object) -> Flask:
    """Run ``roomlog db upgrade`` on ``url`` as the owner; return the owner's app."""
    application = owner_app(tmp_path, url, **extra)
    with application.app_context():
        upgrade()
        db.session.remove()
    return application


def dispose(application: Flask) -> None:
    """Close every connection the app holds."""
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
