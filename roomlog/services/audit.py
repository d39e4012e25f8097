"""The append-only, hash-chained audit log.

Each entry stores the hash of the previous entry and a hash over its own content, so a
changed or removed entry breaks the chain and ``roomlog audit verify`` finds it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.orm import Session

from roomlog.logs import log_audit_entry
from roomlog.models import AuditEntry
from roomlog.models.base import utcnow
from roomlog.row_security import pipelined

GENESIS = "0" * 64
_TABLE: Table = AuditEntry.__table__  # type: ignore[assignment]  # a mapped class's __table__ is its Table
# Built once: a constant statement's cache key is computed once, not on every capture request.
_LAST_HASH = select(_TABLE.c.hash).order_by(_TABLE.c.id.desc()).limit(1)
_INSERT = insert(_TABLE)
#: Stands for the previous hash while the payload is cut in two around it (PostgreSQL).
_PREV_MARK = "p" * 64
#: Stands for the new row's id while the payload is cut around it (PostgreSQL, :func:`record_insert_pg`).
_ID_MARK = "e" * 64


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _payload(entry: AuditEntry) -> str:
    """Return the canonical JSON text that an entry's hash is taken over."""
    at = entry.at.astimezone(dt.UTC)
    content = {
        "at": at.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "user_id": entry.user_id,
        "room_id": entry.room_id,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "changes": entry.changes,
        "reason": entry.reason,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_hash(entry: AuditEntry) -> str:
    """Return the SHA-256 over an entry's content and the previous entry's hash."""
    return hashlib.sha256(_payload(entry).encode("utf-8")).hexdigest()


def _new_entry(
    action: str,
    *,
    user_id: int | None,
    room_id: int | None,
    entity: str,
    entity_id: int | None,
    changes: dict[str, Any] | None,
    reason: str | None,
) -> AuditEntry:
    return AuditEntry(
        at=utcnow(),
        user_id=user_id,
        room_id=room_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        changes=_jsonable(changes) if changes is not None else None,
        reason=reason,
        prev_hash=GENESIS,
    )


def record(
    session: Session,
    action: str,
    *,
    user_id: int | None = None,
    room_id: int | None = None,
    entity: str = "",
    entity_id: int | None = None,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Append an audit entry chained to the last one; flushes, never commits.

    The entry is written with plain statements on the session's connection, not through the
    ORM's unit of work: this runs under the write lock of every capture request, so it is kept
    short (SQLite: read the last hash, insert; PostgreSQL: one round trip, see :func:`_append_pg`).
    The returned entry carries its new id.
    """
    session.flush()
    connection = session.connection()
    entry = _new_entry(
        action, user_id=user_id, room_id=room_id, entity=entity, entity_id=entity_id, changes=changes, reason=reason
    )
    if connection.dialect.name == "postgresql":
        _append_pg(connection, entry)
        _check_server_hash(entry)
    else:
        entry.prev_hash = connection.execute(_LAST_HASH).scalar() or GENESIS
        entry.hash = entry_hash(entry)
        values = {column.key: getattr(entry, column.key) for column in _TABLE.columns if column.key != "id"}
        inserted = connection.execute(_INSERT, values).inserted_primary_key
        if inserted is None:
            raise RuntimeError("the audit entry was not inserted")
        entry.id = inserted[0]
    log_audit_entry(session, entry)
    return entry


def record_insert_pg(
    session: Session,
    table: Table,
    values: dict[str, Any],
    condition: Any,
    action: str,
    *,
    user_id: int | None = None,
    room_id: int | None = None,
    entity: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEntry | None:
    """Insert a row into ``table`` if ``condition`` holds, with its audit entry, in one round trip (PostgreSQL).

    ``condition`` is a piece of SQL with ``%s`` placeholders and its values, checked in the insert's own statement; the
    entry's ``entity_id`` is the new row's id. The chain is locked first, as in :func:`record`,
    then one statement inserts the row and, only if a row was inserted, its entry after the
    chain's tail (the server hashes the payload with the new id and the tail put in their
    places; the app recomputes the hash and refuses a mismatch). Returns the entry (its
    ``entity_id`` the new row's id), or ``None`` when the condition did not hold: nothing was
    written. Flushes, never commits. A unique key the row breaks raises SQLAlchemy's
    ``IntegrityError``, as the ORM's insert would.
    """
    from psycopg import errors
    from sqlalchemy.exc import IntegrityError

    session.flush()
    connection = session.connection()
    entry = _new_entry(
        action, user_id=user_id, room_id=room_id, entity=entity, entity_id=None, changes=changes, reason=None
    )
    head, middle, tail = _thirds(entry)
    where, where_params = condition
    query = _INSERT_WITH_ENTRY_PG.format(row=_insert_sql(table.name, tuple(values)), where=where)
    params = [*map(_stored, values.values()), *where_params, *_entry_params(entry), head, middle, tail, GENESIS]
    try:
        # The chain's lock, then the row and its entry; inside ``row_security.write_commits`` (the
        # caller commits at once) a write that begins its transaction commits with this round trip.
        row = pipelined(connection, (query, params), lock_chain=True, commits=True)
    except errors.IntegrityError as exc:
        raise IntegrityError(f"INSERT INTO {table.name} … audit_log", None, exc) from exc
    if row is None:
        return None
    entry.entity_id, entry.id, entry.prev_hash, entry.hash = row
    _check_server_hash(entry)
    log_audit_entry(session, entry)
    return entry


def _check_server_hash(entry: AuditEntry) -> None:
    """Refuse an entry whose stored hash is not the hash of its content (the server hashed it: never trust, check)."""
    if entry_hash(entry) != entry.hash:
        raise RuntimeError("the audit entry's hash does not match its content")


def _halves(entry: AuditEntry) -> tuple[str, str]:
    """Return the hash payload before and after the previous hash (which only the database knows yet)."""
    entry.prev_hash = _PREV_MARK
    payload = _payload(entry)
    # The last one: keys are sorted, and after "prev_hash" come only plain values (reason, ids),
    # in which a quote is escaped, so the marker and its quotes cannot appear there.
    head, _mark, tail = payload.rpartition(f'"prev_hash":"{_PREV_MARK}"')
    return head + '"prev_hash":"', '"' + tail


def _thirds(entry: AuditEntry) -> tuple[str, str, str]:
    """Return the hash payload around the entity id and the previous hash (neither known before the insert).

    ``entity_id`` comes before ``prev_hash`` (sorted keys) and after it only plain values, so
    the last marker of each is the real one (see :func:`_halves`).
    """
    entry.entity_id = _ID_MARK  # type: ignore[assignment]  # a placeholder, replaced by the new row's id
    head, tail = _halves(entry)
    before, _mark, middle = head.rpartition(f'"entity_id":"{_ID_MARK}"')
    return before + '"entity_id":', middle, tail


#: Sent after the chain's lock (``pipelined(…, lock_chain=True)``, held to the end of the transaction):
#: a new statement, so a new snapshot that sees every entry committed before the lock was granted,
#: inserts the entry after the newest one.
#: ``roomlog_audit_last_hash()`` belongs to the owner: row-level security hides other rooms' entries.
#: ``OFFSET 0`` keeps the tail a subquery of its own: read once, not once per use.
_APPEND_PG = """INSERT INTO audit_log
       (at, user_id, room_id, action, entity, entity_id, changes, reason, prev_hash, hash)
SELECT %s, %s::integer, %s::integer, %s, %s, %s::integer, %s::json, %s::text, tail.prev,
       encode(sha256(convert_to(%s || tail.prev || %s, 'UTF8')), 'hex')
FROM (SELECT coalesce(roomlog_audit_last_hash(), %s) AS prev OFFSET 0) AS tail
RETURNING id, prev_hash, hash"""

#: The same, with the audited row inserted (if its condition holds) in the entry's statement.
_INSERT_WITH_ENTRY_PG = """WITH made AS ({row} WHERE {where} RETURNING id)
INSERT INTO audit_log (at, user_id, room_id, action, entity, entity_id, changes, reason, prev_hash, hash)
SELECT %s, %s::integer, %s::integer, %s, %s, made.id, %s::json, %s::text, tail.prev,
       encode(sha256(convert_to(%s || made.id::text || %s || tail.prev || %s, 'UTF8')), 'hex')
FROM made, (SELECT coalesce(roomlog_audit_last_hash(), %s) AS prev OFFSET 0) AS tail
RETURNING entity_id, id, prev_hash, hash"""


@lru_cache(maxsize=32)
def _insert_sql(table_name: str, columns: tuple[str, ...]) -> str:
    """Return ``INSERT INTO table (columns) SELECT %s, …`` (our own table and column names, quoted), built once."""
    from psycopg import sql

    return (
        sql.SQL("INSERT INTO {} ({}) SELECT {}")
        .format(
            sql.Identifier(table_name),
            sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.SQL(", ").join(sql.SQL("%s") for _ in columns),
        )
        .as_string(None)
    )


def _entry_params(entry: AuditEntry) -> list[Any]:
    """Return an entry's values from ``at`` to ``reason`` (without ``entity_id``), as stored."""
    changes = json.dumps(entry.changes)  # as SQLAlchemy's JSON type stores it (None as JSON null)
    return [entry.at, entry.user_id, entry.room_id, entry.action, entry.entity, changes, entry.reason]


def _stored(value: Any) -> Any:
    """Return a column value as SQLAlchemy would store it (codes by their value, times in UTC)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    if hasattr(value, "value") and isinstance(value.value, str):  # a code list member: stored by its code
        return value.value
    return value


def _append_pg(connection: Connection, entry: AuditEntry) -> None:
    """Lock the chain, read its tail and insert ``entry`` in one round trip (PostgreSQL).

    The server takes the SHA-256 of the payload with the tail put in its place (the payload is
    cut around the previous hash), so the tail need not travel to the app and back while the
    chain is locked. Two statements in one round trip: the insert's snapshot is taken after
    the lock is granted (read committed), which one statement could not promise. Values are
    parameters of the statements, sent together (:func:`roomlog.row_security.pipelined`). A room
    scope decided since the last statement goes in front (:func:`roomlog.row_security.defer_scope`).
    """
    head, tail = _halves(entry)
    at, user_id, room_id, action, entity, changes, reason = _entry_params(entry)
    params = [at, user_id, room_id, action, entity, entry.entity_id, changes, reason, head, tail, GENESIS]
    row = pipelined(connection, (_APPEND_PG, params), lock_chain=True)  # the insert's RETURNING, the last result
    if row is None:
        raise RuntimeError("the audit entry was not inserted")
    entry.id, entry.prev_hash, entry.hash = row


def verify(entries: Iterable[AuditEntry]) -> list[str]:
    """Return the problems found walking the chain in id order (empty when intact)."""
    problems: list[str] = []
    previous = GENESIS
    for entry in entries:
        if entry.prev_hash != previous:
            problems.append(f"entry {entry.id}: previous hash does not match (entry removed or reordered)")
        if entry_hash(entry) != entry.hash:
            problems.append(f"entry {entry.id}: content does not match its hash (entry changed)")
        previous = entry.hash
    return problems


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Return ``{field: [old, new]}`` for the fields that changed."""
    return {
        key: [_jsonable(before.get(key)), _jsonable(after.get(key))]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
