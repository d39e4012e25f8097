"""The app's database engine, configured for safety.

SQLite (the embedded default): write-ahead log, ``synchronous=FULL`` (a committed write
survives a power cut), foreign keys enforced, a busy timeout, and every transaction begun
with ``BEGIN IMMEDIATE`` when it will write (a request with an unsafe method, or a CLI block
in :func:`immediate`) so that two writers queue for the lock instead of failing with
"database is locked" when a read transaction tries to upgrade to a write. Other work keeps
pysqlite's own behaviour: reads in autocommit (in WAL mode they never wait for a writer),
a deferred transaction opened just before the first change.

PostgreSQL: ``pool_pre_ping`` (a restarted server is noticed before a request uses a dead
connection; the ping asks the server only when the idle connection's socket says something
happened: :func:`ping_when_suspect`), a bounded pool per worker, a connect timeout, no JIT
compilation, and the room scope of row-level security set at the start of every transaction
(``roomlog.room_ids``). The month-lock trigger takes its days from the database (migration
``security_roles_and_secrets``), never from a setting the app could change.
"""

from __future__ import annotations

import contextlib
import os
import select
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from roomlog.extensions import db
from roomlog.row_security import STANDALONE_READ, begin_scoped, forget_scope, send_deferred_scope

#: Milliseconds a SQLite writer waits for the lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 20_000
#: Per gunicorn worker (sync workers use one connection at a time; the overflow covers the CLI).
PG_POOL_SIZE = 5
PG_MAX_OVERFLOW = 5
PG_POOL_TIMEOUT_S = 10
PG_POOL_RECYCLE_S = 1800
PG_CONNECT_TIMEOUT_S = 5
#: Server settings of every connection (libpq ``options``): JIT off (see :func:`engine_options`).
PG_OPTIONS = "-c jit=off"
#: Requests with these methods only read: on SQLite they run without taking the write lock.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_READ_PHASE = "_roomlog_read_phase"
_force_immediate: ContextVar[bool] = ContextVar("roomlog_force_immediate", default=False)


@contextmanager
def immediate() -> Iterator[None]:
    """Begin every SQLite transaction in this block with ``BEGIN IMMEDIATE`` (CLI writers)."""
    token = _force_immediate.set(True)
    try:
        yield
    finally:
        _force_immediate.reset(token)


#: The PostgreSQL advisory lock key publishers hold while they store (``publication_write_lock``).
PUBLICATION_LOCK_KEY = 0x726F6F6D_7075626C  # "roompubl"


@contextmanager
def publication_write_lock(session: Session) -> Iterator[None]:
    """Begin a transaction that may write and that no other publisher shares until it ends.

    SQLite: ``BEGIN IMMEDIATE`` (the single write lock; the caller keeps the transaction short).
    PostgreSQL: a transaction-level advisory lock, so two processes storing publications take turns
    (each re-checks what is due after it has the lock).
    """
    with immediate():
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PUBLICATION_LOCK_KEY})
        yield


def is_write_transaction() -> bool:
    """Return whether a transaction begun now will write: unsafe-method requests and ``immediate()`` blocks.

    The checks before the view (login session, user, rooms) only read: they run without the
    write lock (see :func:`end_read_phase`), so the lock is held for the view's work alone.
    """
    if _force_immediate.get():
        return True
    return has_request_context() and request.method not in READ_ONLY_METHODS and not g.get(_READ_PHASE)


def begin_read_phase() -> None:
    """Mark the start of a request: queries until :func:`end_read_phase` only read."""
    g.setdefault(_READ_PHASE, True)


def end_read_phase(*, in_view: bool = False) -> None:
    """End the request's read-only checks; the next transaction of a write request takes the lock.

    The read transaction is closed without expiring what it loaded (the user, the session,
    the rooms), so the view does not read them again. Views marked ``writes_late`` end it
    themselves (``in_view=True``).
    """
    if not g.get(_READ_PHASE) or request.method in READ_ONLY_METHODS:
        return
    if not in_view and getattr(current_app.view_functions.get(request.endpoint or ""), "writes_late", False):
        return  # the view ends the read phase itself, right before it writes (rooms.submit.save_once)
    g.pop(_READ_PHASE, None)
    session = db.session()
    if session.get_bind().dialect.name == "sqlite":
        commit_keeping_loaded(session)


def commit_keeping_loaded(session: Session) -> None:
    """Commit without expiring loaded objects (nothing is re-read after the commit)."""
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def engine_options(url: str, configured: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the engine options for a database URL; explicit configuration wins."""
    options: dict[str, Any] = {}
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        # A local file does not drop connections: no ping before every checkout.
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    elif backend == "postgresql":
        options.update(
            pool_pre_ping=True,
            pool_size=PG_POOL_SIZE,
            max_overflow=PG_MAX_OVERFLOW,
            pool_timeout=PG_POOL_TIMEOUT_S,
            pool_recycle=PG_POOL_RECYCLE_S,
            connect_args={
                "connect_timeout": PG_CONNECT_TIMEOUT_S,
                "application_name": "roomlog",
                # No JIT compilation: the planner's cost estimates of a room-month's queries on a large
                # history pass jit_above_cost, and compiling then took 0.1-0.5 s per statement
                # (most of the lead's summary on PostgreSQL) to run a query of a few milliseconds.
                "options": PG_OPTIONS,
            },
        )
    options.update(configured or {})
    return options


def private_sqlite_files(database: str | None) -> None:
    """Make a SQLite database and its -wal/-shm files 0600 (SQLite gives new -wal/-shm the database's mode)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    for suffix in ("", "-wal", "-shm"):
        path = Path(database + suffix)
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)


def _install_sqlite(engine: Engine) -> None:
    database = engine.url.database

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        private_sqlite_files(database)
        # Take control of transactions away from pysqlite so BEGIN is ours (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=FULL",
            "foreign_keys=ON",
            f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        dbapi_connection = connection.connection.dbapi_connection
        if is_write_transaction():
            # Take the write lock up front: the transaction waits its turn (busy timeout)
            # instead of failing when it upgrades from a stale read snapshot.
            dbapi_connection.isolation_level = None
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            # Reads run without a transaction (always the newest committed data); pysqlite
            # opens a transaction right before the first INSERT/UPDATE/DELETE.
            dbapi_connection.isolation_level = ""


def _socket_quiet(dbapi_connection: Any) -> bool:
    """Return whether an idle psycopg connection's socket has nothing to read (no message, no end of file)."""
    from psycopg import pq

    pgconn = dbapi_connection.pgconn
    if dbapi_connection.closed or pgconn.status != pq.ConnStatus.OK:
        return False
    if pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return False
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN | select.POLLPRI)
    return not poller.poll(0)  # POLLERR/POLLHUP/POLLNVAL are reported whether asked for or not


def ping_when_suspect(engine: Engine) -> None:
    """Make the pool's pre-ping ask the server only when the pooled connection may be dead.

    A server that stops or restarts, or ends a backend, sends the connection a last message
    (``FATAL: terminating connection …``) and closes it: the idle connection's socket becomes
    readable. A live idle connection has nothing to read. So the check before each checkout looks
    at the socket first (no round trip) and sends the dialect's own ping (an empty query, one
    round trip) only when something is there, or the connection is not idle and healthy as libpq
    sees it; that ping fails on a dead connection and the pool replaces it, as before. Like the
    ping, it cannot see a server that vanished without a word (a host gone from the network): the
    request's first statement then fails and the connection is replaced.
    """
    dialect = engine.dialect
    ping = dialect.do_ping

    def do_ping(dbapi_connection: Any) -> bool:
        return _socket_quiet(dbapi_connection) or bool(ping(dbapi_connection))

    dialect.do_ping = do_ping  # type: ignore[method-assign]  # this engine's dialect instance only


#: The statements a request's connection runs; any other (DDL, ``SET`` …) makes its transaction's rollback
#: psycopg's own (:func:`keep_prepared_on_rollback`).
_PLAIN_STATEMENTS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")
_OTHER_STATEMENT = "_roomlog_other_statement"


def _rolled_back_keeping_prepared(dbapi_connection: Any) -> bool:
    """Roll back a healthy transaction that ran only plain statements, keeping psycopg's prepared statements.

    Returns False (nothing done) when psycopg's own rollback must do it: the connection is closed,
    idle, in a pipeline, in a failed transaction (psycopg's record of what it prepared may then be
    ahead of the server's), or the transaction ran something other than a plain statement.
    """
    from psycopg import pq

    pgconn = dbapi_connection.pgconn
    if dbapi_connection.closed or pgconn.pipeline_status != pq.PipelineStatus.OFF:
        return False
    if pgconn.transaction_status != pq.TransactionStatus.INTRANS:
        return False
    if getattr(dbapi_connection, _OTHER_STATEMENT, False):
        setattr(dbapi_connection, _OTHER_STATEMENT, False)
        return False
    result = pgconn.exec_(b"ROLLBACK")
    return bool(result.status == pq.ExecStatus.COMMAND_OK)  # else psycopg's rollback reports the failure


def keep_prepared_on_rollback(engine: Engine) -> None:
    """End a transaction that only read (or wrote and is given up) without forgetting the prepared statements.

    psycopg prepares a statement on the server once a connection has run it a few times, so that
    the server parses and plans it once; but its ``rollback()`` forgets every prepared statement
    (and deallocates them all), in case the transaction changed the schema. Every request that
    only reads ends with a rollback (its transaction carried the room scope), so before this no
    statement stayed prepared from one request to the next: each was parsed and planned again
    every time. A transaction that ran only ``SELECT``/``INSERT``/``UPDATE``/``DELETE``/``WITH``
    statements and did not fail is rolled back with a plain ``ROLLBACK``; anything else (a
    failed transaction, DDL, a pipeline still open) with psycopg's own. Either way it is a rollback.
    """
    dialect = engine.dialect
    rollback = dialect.do_rollback

    def do_rollback(dbapi_connection: Any) -> None:
        if not _rolled_back_keeping_prepared(dbapi_connection):
            rollback(dbapi_connection)

    dialect.do_rollback = do_rollback  # type: ignore[method-assign]  # this engine's dialect instance only

    @event.listens_for(engine, "before_cursor_execute")
    def note_other_statements(
        connection: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: Any
    ) -> None:
        if not statement.lstrip()[:6].upper().startswith(_PLAIN_STATEMENTS):
            setattr(connection.connection.dbapi_connection, _OTHER_STATEMENT, True)


def _install_postgresql(engine: Engine) -> None:
    ping_when_suspect(engine)
    keep_prepared_on_rollback(engine)

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # Row-level security denies by default: every transaction, ORM or Core, names its
        # room scope first (roomlog/auth/scoping.py decides which). Raw DBAPI, so that
        # SQLAlchemy's transaction state is untouched; set_config(…, true) lasts one transaction.
        from roomlog.auth.scoping import current_setting, scope_undecided

        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            forget_scope(connection.info)
            return  # no transaction to scope: every statement stands alone (and sees no room data)
        # A request whose user is not known yet begins with its first statement other than the
        # login-session look-up (a standalone read), together with the scope decided by then.
        begin_scoped(connection, current_setting(), defer=scope_undecided())

    @event.listens_for(engine, "before_cursor_execute")
    def send_pending_scope(
        connection: Any, _cursor: Any, _statement: Any, _params: Any, context: Any, _many: Any
    ) -> None:
        # A deferred BEGIN, or a scope decided after the transaction began, goes out before this statement.
        standalone = context is not None and bool(context.execution_options.get(STANDALONE_READ))
        send_deferred_scope(connection, standalone_read=standalone)


def install(engine: Engine) -> None:
    """Attach the per-connection settings to an engine (no connection is opened here)."""
    if engine.dialect.name == "sqlite":
        _install_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        _install_postgresql(engine)


def init_app(app: Flask) -> None:
    """Bind Flask-SQLAlchemy to the app with the safe engine options and connection settings."""
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config.get("SQLALCHEMY_ENGINE_OPTIONS")
    )
    db.init_app(app)
    app.before_request(begin_read_phase)
    with app.app_context():
        for engine in db.engines.values():
            install(engine)
