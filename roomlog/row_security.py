"""PostgreSQL row-level security for room data: the SQL that migrations use (deny by default).

A policy reads the per-transaction setting ``roomlog.room_ids`` (roomlog/auth/scoping.py):
``*`` = every room, a comma list of room ids, ``-1`` = no rooms; missing or empty = nothing.
The app sets it at ``BEGIN`` (:func:`begin_scoped`) and, when the user becomes known in a
transaction under way, with the next statement (:func:`defer_scope`).
Adding row-level security to a new table with a ``room_id`` column is one line in its
migration::

    from roomlog.row_security import enable_room_policy
    enable_room_policy(op.execute, "monthly_visitor_sets")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Connection

SCOPE = "coalesce(current_setting('roomlog.room_ids', true), '')"
ALL_ROOMS = f"{SCOPE} = '*'"
ANY_SCOPE = f"{SCOPE} NOT IN ('', '-1')"


def in_scope(column: str = "room_id") -> str:
    """Return the SQL condition "``column`` is a room of this transaction's scope"."""
    return f"({ALL_ROOMS} OR {column} = ANY (string_to_array(nullif({SCOPE}, '*'), ',')::integer[]))"


def enable_room_policy(
    execute: Callable[[str], Any], table: str, using: str | None = None, check: str | None = None
) -> None:
    """Turn on deny-by-default row-level security for ``table`` (by its ``room_id`` unless told)."""
    using = using or in_scope()
    execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    # Not FORCEd: the owner (migrations, maintenance, pg_dump) is not subject to it; the app role is.
    execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    execute(f"DROP POLICY IF EXISTS room_scope ON {table}")
    execute(f"CREATE POLICY room_scope ON {table} USING ({using}) WITH CHECK ({check or using})")


def begin_scoped(connection: Connection, setting: str, *, defer: bool = False) -> None:
    """Begin a psycopg transaction and set its room scope, in one round trip when nothing special is asked.

    psycopg sends its own ``BEGIN`` (a round trip of its own) before the first statement of a
    transaction. A connection with the default isolation level, not read-only, is switched to
    driver autocommit while idle and sent ``BEGIN`` and ``SELECT set_config(…)`` in one round
    trip (:func:`pipelined`): the same transaction, one round trip fewer. ``commit()`` and ``rollback()`` act on the
    server's transaction status, so SQLAlchemy's commit and rollback are unchanged.

    With ``defer`` (a request whose user is not known yet) nothing is sent now: ``BEGIN`` and the
    scope go out in front of the transaction's first statement (:func:`send_deferred_scope`,
    :func:`pipelined`), except before a read marked :data:`STANDALONE_READ`, which runs
    on its own, outside any transaction, with no scope (row-level security shows it no room data).
    """
    from psycopg import pq

    forget_scope(connection.info)
    driver: Any = connection.connection.dbapi_connection
    plain = driver.isolation_level is None and driver.read_only is None and driver.deferrable is None
    if plain and driver.info.transaction_status == pq.TransactionStatus.IDLE:
        driver.autocommit = True
        connection.info[_PENDING_BEGIN] = True
        connection.info[_PENDING_SCOPE] = setting
        if not defer:
            pipelined(connection)
        return
    connection.info[_SENT_SCOPE] = setting
    with driver.cursor() as cursor:  # psycopg begins the transaction itself
        cursor.execute(_SET_SCOPE, (setting,))


def forget_scope(info: MutableMapping[Any, Any]) -> None:
    """Drop what a connection remembers of its last transaction's scope (a new one begins)."""
    info.pop(_PENDING_BEGIN, None)
    info.pop(_PENDING_SCOPE, None)
    info.pop(_SENT_SCOPE, None)


def has_deferred_scope(connection: Connection) -> bool:
    """Return whether a scope (perhaps with ``BEGIN``) waits for the next statement (:func:`pipelined`)."""
    return _PENDING_SCOPE in connection.info


def send_deferred_scope(connection: Connection, *, standalone_read: bool = False) -> None:
    """Send a deferred ``BEGIN`` and scope, or a deferred scope, now, before the statement SQLAlchemy is about to send.

    A deferred ``BEGIN`` stays deferred before a ``standalone_read`` (:data:`STANDALONE_READ`):
    that one statement runs in autocommit. On a cursor of its own: SQLAlchemy's may be a
    server-side cursor (``yield_per``).
    """
    if _PENDING_SCOPE not in connection.info or (standalone_read and connection.info.get(_PENDING_BEGIN)):
        return
    pipelined(connection)


def defer_scope(connection: Connection, setting: str) -> None:
    """Set the room scope of the transaction under way with its next statement (PostgreSQL).

    The next statement SQLAlchemy sends is preceded by it; the statements sent together (the
    idempotency look-up, the audit chain: :func:`pipelined`) carry it in front, in the same round
    trip. Until then the transaction keeps the scope it began with, which is never wider: a
    request begins with no rooms (or has not begun: then ``BEGIN`` goes with the scope).
    """
    if connection.info.get(_SENT_SCOPE) == setting and not connection.info.get(_PENDING_BEGIN):
        connection.info.pop(_PENDING_SCOPE, None)  # the server has it: any other scope waiting is void
    else:
        connection.info[_PENDING_SCOPE] = setting


def _pending(connection: Connection, *, lock_chain: bool, commit: bool) -> list[tuple[str, Sequence[Any]]]:
    """Return what is deferred (``BEGIN``, the scope: taken) and the chain's lock, as few statements as can be.

    With ``commit`` a deferred ``BEGIN`` is left out: the statements run in the pipeline's implicit
    transaction, which the server commits at the pipeline's end (see :func:`pipelined`).
    """
    setting = connection.info.pop(_PENDING_SCOPE, None)
    if setting is None:
        return [_LOCK_CHAIN] if lock_chain else []
    begin = connection.info.pop(_PENDING_BEGIN, None)
    connection.info[_SENT_SCOPE] = setting
    scope = (_SET_SCOPE_AND_LOCK if lock_chain else _SET_SCOPE, (setting,))
    return [scope] if commit or not begin else [("BEGIN", ()), scope]


def pipelined(
    connection: Connection, *statements: tuple[str, Sequence[Any]], lock_chain: bool = False, commits: bool = False
) -> Any:
    """Send what is deferred (``BEGIN``, the scope) and ``statements`` in one round trip; return the last first row.

    psycopg's pipeline mode: every statement goes with its parameters (the extended protocol:
    values never spliced into SQL) and psycopg prepares the ones it sends often, so the server
    parses and plans each once per connection. The server runs them in order, each with its own
    snapshot (read committed), and skips the rest after an error, which is raised here.

    ``lock_chain`` takes the audit chain's lock (:data:`_LOCK_CHAIN`) first, in the statement
    that sets a deferred scope if there is one. ``commits`` (a write after which the caller
    commits at once: :func:`write_commits`): if nothing was sent in this transaction yet (its
    ``BEGIN`` is still deferred), no ``BEGIN`` is sent and the pipeline's statements form one
    implicit transaction, which the server commits when the pipeline ends (its Sync), with the
    scope and the lock held until then, as an explicit one would: no ``COMMIT`` round trip. An
    error rolls all of it back. A statement sent after it begins a new transaction with the
    same scope (the deferred ``BEGIN`` is armed again), and SQLAlchemy's ``commit()`` finds the
    server idle: psycopg then sends nothing.
    """
    setting = connection.info.get(_PENDING_SCOPE)
    commits = commits and _WRITE_COMMITS.get() and bool(connection.info.get(_PENDING_BEGIN)) and setting is not None
    todo = [*_pending(connection, lock_chain=lock_chain, commit=commits), *statements]
    if not todo:
        return None
    driver: Any = connection.connection.dbapi_connection
    try:
        with driver.cursor() as cursor:
            with driver.pipeline():
                for query, params in todo:
                    cursor.execute(query, params)
            result = cursor.pgresult
            return cursor.fetchone() if result is not None and result.ntuples else None
    finally:
        if commits:  # committed (or rolled back) at the pipeline's end: the next statement begins anew
            connection.info.pop(_SENT_SCOPE, None)
            connection.info[_PENDING_BEGIN] = True
            connection.info[_PENDING_SCOPE] = setting


@contextmanager
def write_commits() -> Iterator[None]:
    """Mark a block whose write the caller commits at once (``rooms.submit.save_once``).

    A write in it that is the first statement of its transaction (:func:`pipelined` with
    ``commits``) may commit itself at the end of its own round trip instead of waiting for a
    ``COMMIT`` of its own. The caller must commit (or roll back) right after the block and
    treat nothing after the write as part of the same transaction.
    """
    token = _WRITE_COMMITS.set(True)
    try:
        yield
    finally:
        _WRITE_COMMITS.reset(token)


#: An execution option for a read that may run before the transaction begins, on its own and
#: with no room scope (the login-session look-up: it reads no room data, and one statement is
#: consistent in itself), so ``BEGIN`` and the user's scope can travel with the next statement.
STANDALONE_READ = "roomlog_standalone_read"
#: The room scope of the current transaction (row-level security), with the scope as parameter.
_SET_SCOPE = "SELECT set_config('roomlog.room_ids', %s, true)"
#: The audit chain's lock, held to the end of the transaction (``roomlog.services.audit``).
_LOCK_CHAIN = ("SELECT pg_advisory_xact_lock(7274017)", ())
#: Both in one statement (the scope must be set before the next statement, the lock taken before it).
_SET_SCOPE_AND_LOCK = "SELECT set_config('roomlog.room_ids', %s, true), pg_advisory_xact_lock(7274017)"
#: Whether the write under way may commit itself (:func:`write_commits`).
_WRITE_COMMITS: ContextVar[bool] = ContextVar("roomlog_write_commits", default=False)
#: Keys in a connection's ``info``: the scope waiting for the next statement, the one sent last,
#: and whether ``BEGIN`` waits too.
_PENDING_SCOPE = "roomlog_pending_scope"
_PENDING_BEGIN = "roomlog_pending_begin"
_SENT_SCOPE = "roomlog_sent_scope"
