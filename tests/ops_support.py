"""Helpers for reliability tests: scratch PostgreSQL databases and migrated apps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade

from roomlog import create_app
from roomlog.extensions import db
from tests.conftest import make_test_config
from tests.support.postgres import scratch_pg_database

__all__ = ["database_url", "dispose", "migrate_as_owner", "migrated_app", "owner_app", "scratch_pg_database"]


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
