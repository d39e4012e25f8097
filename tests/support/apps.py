"""Test apps: the one test config, migrated and owner apps on scratch databases, logging in through the form."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event
from sqlalchemy.engine import make_url
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from roomlog import create_app
from roomlog.extensions import db
from tests.support.factories import Factory
from tests.support.postgres import owner_url_for, scratch_pg_database

__all__ = [
    "FAST_ARGON2",
    "PRODUCTION_ENV",
    "AuthActions",
    "database_url",
    "dispose",
    "instance_folder",
    "make_test_config",
    "migrate_as_owner",
    "migrated_app",
    "owner_app",
    "scratch_pg_database",
    "share_rule_parsing",
    "share_url_builders",
    "sqlite_path",
    "start_in_a_new_process",
    "statements",
]

# Cheap argon2 parameters for tests only; production uses the library's RFC 9106 defaults.
FAST_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
#: Production with three long, different secrets: an environment ``load_config`` accepts.
PRODUCTION_ENV = {
    "ROOMLOG_ENV": "production",
    "ROOMLOG_SECRET_KEY": "s" * 40,
    "ROOMLOG_PSEUDONYM_KEY": "p" * 40,
    "ROOMLOG_DATA_KEY": "d" * 40,
}


def start_in_a_new_process(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``create_app()`` in a new Python with only ``env``, as a server would start it; its output is kept."""
    return subprocess.run(
        [sys.executable, "-c", "from roomlog import create_app; create_app()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


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


@contextmanager
def instance_folder(folder: Path) -> Iterator[Path]:
    """Make apps created inside the block keep their files in ``folder`` (``ROOMLOG_INSTANCE_PATH``), restored after.

    ``create_app`` reads the variable once; the app keeps its ``instance_path``, so the block need only cover
    its creation (conftest's ``instance_path`` fixture does this for every test).
    """
    previous = os.environ.get("ROOMLOG_INSTANCE_PATH")
    os.environ["ROOMLOG_INSTANCE_PATH"] = str(folder)
    try:
        yield folder
    finally:
        if previous is None:
            os.environ.pop("ROOMLOG_INSTANCE_PATH", None)
        else:
            os.environ["ROOMLOG_INSTANCE_PATH"] = previous


def share_url_builders() -> None:
    """Let every test app reuse the URL builders Werkzeug generated for the first one (test processes only).

    ``create_app`` spends most of its time in ``Rule._compile_builder``, which turns each of the ~500
    rules into Python source and compiles it, again for every app; a process of the suite makes one app
    per test. A builder is a pure function of the rule's text, its parsed parts and defaults (it reads
    everything else from the rule it is bound to), so one built for an equal rule is reused. Without
    that private method (another Werkzeug) nothing changes.
    """
    original: Callable[..., Any] | None = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "shared", False):
        return
    builders: dict[tuple[object, ...], Any] = {}

    def compile_builder(self: Rule, append_unknown: bool = True) -> Any:
        defaults = tuple(sorted((str(k), repr(v)) for k, v in (self.defaults or {}).items()))
        key = (self.rule, tuple(self._trace), defaults, append_unknown)
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = original(self, append_unknown)
        return builder

    compile_builder.shared = True
    Rule._compile_builder = compile_builder


def share_rule_parsing() -> None:
    """Let every test app reuse how Werkzeug parsed an equal rule for an earlier one (test processes only).

    After the URL builders (:func:`share_url_builders`), half of ``create_app`` was ``Rule.compile`` parsing each
    of the ~100 rules into its parts (regular expressions, weights) and trace again for every app. The result is
    a pure function of the rule's text, its host or subdomain, slash merging and the map's converter classes;
    an equal rule gets the earlier parts and trace, and converters of its own made for its own map (recorded
    as the first parse asked for them). Without these private methods (another Werkzeug) nothing changes.
    """
    original: Callable[..., Any] | None = getattr(Rule, "compile", None)
    if original is None or not hasattr(Rule, "_parse_rule") or getattr(original, "shared", False):
        return
    parsed: dict[tuple[object, ...], tuple[list[Any], list[Any], list[tuple[str, str, Any, dict[str, Any]]]]] = {}

    def compile_rule(self: Rule) -> None:
        rules = self.map
        domain = (self.host or "") if rules.host_matching else (self.subdomain or "")
        converters = tuple(sorted((name, id(kind)) for name, kind in rules.converters.items()))
        key = (self.rule, domain, rules.host_matching, bool(self.merge_slashes), converters)
        found = parsed.get(key)
        if found is None:
            calls: list[tuple[str, str, Any, dict[str, Any]]] = []
            make = self.get_converter

            def recording(variable: str, name: str, args: Any, kwargs: Any) -> Any:
                calls.append((variable, name, args, dict(kwargs)))
                return make(variable, name, args, kwargs)

            self.get_converter = recording  # type: ignore[method-assign]
            try:
                original(self)
            finally:
                del self.get_converter
            parsed[key] = (list(self._parts), list(self._trace), calls)
            return
        parts, trace, calls = found
        self._parts = list(parts)
        self._trace = list(trace)
        self._converters = {
            variable: self.get_converter(variable, name, args, kw) for variable, name, args, kw in calls
        }
        self.arguments.update(variable for variable, *_ in calls)
        self._build = self._compile_builder(False).__get__(self, None)
        self._build_unknown = self._compile_builder(True).__get__(self, None)

    compile_rule.shared = True  # type: ignore[attr-defined]
    Rule.compile = compile_rule  # type: ignore[method-assign]


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL."""
    return Path(make_url(url).database or "")


class AuthActions:
    """Log in and out through the real login form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, username: str, password: str = Factory.PASSWORD) -> TestResponse:
        return self.client.post("/auth/login", data={"username": username, "password": password})

    def logout(self) -> TestResponse:
        return self.client.post("/auth/logout")


@contextmanager
def statements(app: Flask) -> Iterator[list[tuple[str, object]]]:
    """Collect every SQL statement (with its parameters) the app runs inside the block."""
    seen: list[tuple[str, object]] = []

    def count(_conn: object, _cursor: object, statement: str, parameters: object, *_args: object) -> None:
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


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


def add_municipalities(application: Flask) -> None:
    """Add the official municipalities (a PostgreSQL test schema starts empty; the SQLite template holds them)."""
    from roomlog.services.municipalities import ensure_municipalities

    with application.app_context():
        ensure_municipalities(db.session)
        db.session.commit()


def dispose(application: Flask) -> None:
    """Close every connection the app holds."""
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
