"""Tests isolated by transaction rollback: one database per module, one outer transaction per test.

A test marked ``@pytest.mark.rollback`` (or a module with ``pytestmark = pytest.mark.rollback``) gets an
``app`` whose database is shared with the module's other rolled-back tests (SQLite: one copy of the
session's template per module; PostgreSQL: the shared test schema) and one ``Connection`` with an outer
transaction begun on it. The app's ``db.session`` (in every app context of that app) and the test's
own session (``dbs``, so the ``make`` factories) both join that transaction with
``join_transaction_mode="create_savepoint"``: the code under test commits and rolls back as usual,
each ``commit()`` releasing a savepoint, each ``rollback()`` going back to one. When the test ends the
outer transaction is rolled back and the database is as the module found it: no file copy
(SQLite) and no ``TRUNCATE`` (PostgreSQL) per test.

Use it for tests of models, services and the read side that work through ``db.session``/``dbs``/``make``
in app contexts of their one app. Do **not** use it (the fixture refuses the first three) for tests that
need

- ``client``, ``runner``, ``auth`` or a live server: requests, the CLI and gunicorn have their own
  transactions (and the client would share the one connection with the test);
- several connections or engines (another app, a second engine, threads, subprocesses, a backup, the
  worlds of tests/support/snapshots.py and worlds.py copied between databases): they never see the outer
  transaction's rows, and on SQLite it holds the write lock (``BEGIN IMMEDIATE``);
- DDL, migrations, ``TRUNCATE``, sequences/identities whose values they assert (PostgreSQL does not roll
  sequences back), or what a real ``COMMIT`` does (durability, the month-lock trigger at commit);
- row-level security and tenant isolation checks (roomlog.row_security): those keep one transaction
  per step of their own. Under rollback each step (savepoint) is given the room scope a transaction
  begun then would get (:func:`_scope_each_step`), but a scope is still a setting of the one outer
  transaction.

The two sessions share one stack of savepoints: one must end the savepoint it began (commit, rollback, the
end of its app context, ``dbs.close()``) before the other ends one begun earlier. Factories commit at once, so
this holds for tests written as usual; if not, the ``RELEASE`` of a savepoint already gone fails loudly.

SQLite: the app takes control of ``BEGIN`` (roomlog/database.py: pysqlite in autocommit). The outer
transaction is begun with ``BEGIN IMMEDIATE`` (under :func:`roomlog.database.immediate`), so every
savepoint is nested in a real transaction (a ``SAVEPOINT`` outside one would begin, and its ``RELEASE``
commit, a transaction of its own).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import Connection, Transaction, event
from sqlalchemy.orm import Session, sessionmaker

from roomlog import create_app
from roomlog.database import immediate
from roomlog.extensions import db
from tests.support.apps import add_municipalities, make_test_config
from tests.support.sqlite import copy_template

MARKER = "rollback"
#: What a rolled-back test must not use (see the module docstring).
REFUSED = ("client", "runner", "auth", "live_server")
_KEY = "tests_rollback"


@dataclass
class RolledBack:
    """The one connection of a rolled-back test and its outer transaction."""

    connection: Connection
    transaction: Transaction


class _JoinedSession(FlaskSession):
    """``db.session`` of a rolled-back app: every statement on the test's connection.

    Flask-SQLAlchemy's ``get_bind`` picks the app's engine by bind key and ignores the session's ``bind``.
    """

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        return bind if bind is not None else self.bind


def joined(app: Flask) -> RolledBack | None:
    """Return the rolled-back connection of ``app``, or ``None`` for an app on the per-test path."""
    found: RolledBack | None = app.extensions.get(_KEY)
    return found


def session(app: Flask) -> Session | None:
    """Return a test's own session joined to ``app``'s outer transaction (``None`` if there is none)."""
    found = joined(app)
    if found is None:
        return None
    return Session(bind=found.connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


def _scope_each_step(connection: Connection) -> None:
    """PostgreSQL: each savepoint (a step of the code under test) begins with the room scope that a
    transaction begun at that moment would get (``roomlog.database``: ``*`` outside a request), so a
    scope set by one step (``set_scope`` in a request context) does not carry over to the next."""
    from roomlog.auth.scoping import current_setting
    from roomlog.row_security import defer_scope, forget_scope

    @event.listens_for(connection, "savepoint")
    def scope(conn: Connection, _name: str) -> None:
        forget_scope(conn.info)  # a rolled-back savepoint took its setting with it: always send it
        defer_scope(conn, current_setting())  # goes out just before the SAVEPOINT statement


@contextmanager
def rolled_back(app: Flask) -> Iterator[RolledBack]:
    """Run ``app`` inside one outer transaction on one connection; roll it back at the end."""
    with app.app_context():
        engine = db.engine
    connection = engine.connect()
    with immediate():  # SQLite: BEGIN IMMEDIATE (a no-op on PostgreSQL, where the scope is "*" here)
        transaction = connection.begin()
    if engine.dialect.name == "postgresql":
        _scope_each_step(connection)
    state = RolledBack(connection, transaction)
    original = db.session.registry.createfunc
    kw = getattr(original, "kw", {})
    factory = sessionmaker(
        class_=_JoinedSession,
        **{**kw, "bind": connection, "join_transaction_mode": "create_savepoint"},
    )

    def create() -> Any:
        return factory() if current_app._get_current_object() is app else original()

    db.session.registry.createfunc = create
    app.extensions[_KEY] = state
    try:
        yield state
    finally:
        db.session.registry.createfunc = original
        app.extensions.pop(_KEY, None)
        if transaction.is_active:
            transaction.rollback()
        connection.close()


@pytest.fixture(scope="module")
def rollback_sqlite(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite database the rolled-back tests of one module share (a copy of the session's template)."""
    template: Path = request.getfixturevalue("_sqlite_template")
    return copy_template(template, tmp_path_factory.mktemp("rollback") / "module.sqlite3")


def app(request: pytest.FixtureRequest, backend: str, tmp_path: Path, app_config: dict[str, object]) -> Iterator[Flask]:
    """The ``app`` fixture of a rolled-back test (tests/conftest.py)."""
    refused = [name for name in REFUSED if name in request.fixturenames]
    if refused:
        pytest.fail(f"a test marked {MARKER!r} cannot use {', '.join(refused)} (tests/support/rollback.py)")
    if backend == "postgresql":
        url = request.getfixturevalue("_pg_schema")
    else:
        url = f"sqlite:///{request.getfixturevalue('rollback_sqlite')}"
    application = create_app(make_test_config(tmp_path, url, **app_config))
    with rolled_back(application):
        if backend == "postgresql":  # inside the outer transaction: gone again at its end if added here
            add_municipalities(application)
        yield application
        with application.app_context():
            db.session.remove()
    with application.app_context():
        db.engine.dispose()
