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

from collections.abc import Callable, MutableMapping
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


def begin_scoped(connection: Connection, setting: str) -> None:
    """Begin a psycopg transaction and set its room scope, in one round trip when nothing special is asked.

    psycopg sends its own ``BEGIN`` (a round trip of its own) before the first statement of a
    transaction. A connection with the default isolation level, not read-only, is switched to
    driver autocommit while idle and sent ``BEGIN; SELECT set_config(…)`` as one simple query:
    the same transaction, one round trip fewer. ``commit()`` and ``rollback()`` act on the
    server's transaction status, so SQLAlchemy's commit and rollback are unchanged.
    """
    from psycopg import pq, sql

    forget_scope(connection.info)
    connection.info[_SENT_SCOPE] = setting
    driver: Any = connection.connection.dbapi_connection
    plain = driver.isolation_level is None and driver.read_only is None and driver.deferrable is None
    if plain and driver.info.transaction_status == pq.TransactionStatus.IDLE:
        driver.autocommit = True
        statement = sql.SQL("BEGIN; SELECT set_config('roomlog.room_ids', {}, true)").format(sql.Literal(setting))
        with driver.cursor() as cursor:
            cursor.execute(statement, prepare=False)
        return
    with driver.cursor() as cursor:  # psycopg begins the transaction itself
        cursor.execute(_SET_SCOPE, (setting,))


def forget_scope(info: MutableMapping[Any, Any]) -> None:
    """Drop what a connection remembers of its last transaction's scope (a new one begins)."""
    info.pop(_PENDING_SCOPE, None)
    info.pop(_SENT_SCOPE, None)


def has_deferred_scope(connection: Connection) -> bool:
    """Return whether a scope waits for the next statement (which may carry it: :func:`pending_scope_sql`)."""
    return _PENDING_SCOPE in connection.info


def send_deferred_scope(connection: Connection) -> None:
    """Send a deferred scope now, before the statement SQLAlchemy is about to send.

    On a cursor of its own: SQLAlchemy's may be a server-side cursor (``yield_per``).
    """
    setting = connection.info.pop(_PENDING_SCOPE, None)
    if setting is not None:
        with connection.connection.dbapi_connection.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(_SET_SCOPE, (setting,))
        connection.info[_SENT_SCOPE] = setting


def defer_scope(connection: Connection, setting: str) -> None:
    """Set the room scope of the transaction under way with its next statement (PostgreSQL).

    The next statement SQLAlchemy sends is preceded by it; a raw simple query (the idempotency
    look-up, the audit chain) carries it in front (:func:`pending_scope_sql`), in the same round
    trip. Until then the transaction keeps the scope it began with, which is never wider: a
    request begins with no rooms.
    """
    if connection.info.get(_SENT_SCOPE) != setting:
        connection.info[_PENDING_SCOPE] = setting


def pending_scope_sql(connection: Connection) -> Any:
    """Return ``SELECT set_config(…);`` for a deferred scope (taking it), or an empty piece of SQL."""
    from psycopg import sql

    setting = connection.info.pop(_PENDING_SCOPE, None)
    if setting is None:
        return sql.SQL("")
    connection.info[_SENT_SCOPE] = setting
    return sql.SQL("SELECT set_config('roomlog.room_ids', {}, true);\n").format(sql.Literal(setting))


#: The room scope of the current transaction (row-level security), with the scope as parameter.
_SET_SCOPE = "SELECT set_config('roomlog.room_ids', %s, true)"
#: Keys in a connection's ``info``: the scope waiting for the next statement, and the one sent last.
_PENDING_SCOPE = "roomlog_pending_scope"
_SENT_SCOPE = "roomlog_sent_scope"
