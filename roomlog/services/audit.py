"""The append-only, hash-chained audit log.

Each entry stores the hash of the previous entry and a hash over its own content, so a
changed or removed entry breaks the chain and ``roomlog audit verify`` finds it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.orm import Session

from roomlog.logs import log_audit_entry
from roomlog.models import AuditEntry
from roomlog.models.base import utcnow
from roomlog.row_security import pending_scope_sql

GENESIS = "0" * 64
_TABLE: Table = AuditEntry.__table__  # type: ignore[assignment]  # a mapped class's __table__ is its Table
# Built once: a constant statement's cache key is computed once, not on every capture request.
_LAST_HASH = select(_TABLE.c.hash).order_by(_TABLE.c.id.desc()).limit(1)
_INSERT = insert(_TABLE)
#: Stands for the previous hash while the payload is cut in two around it (PostgreSQL).
_PREV_MARK = "p" * 64


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
    entry = AuditEntry(
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
    if connection.dialect.name == "postgresql":
        _append_pg(connection, entry)
        if entry_hash(entry) != entry.hash:  # the server hashed what entry_hash hashes; never trust, check
            raise RuntimeError("the audit entry's hash does not match its content")
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


def _halves(entry: AuditEntry) -> tuple[str, str]:
    """Return the hash payload before and after the previous hash (which only the database knows yet)."""
    entry.prev_hash = _PREV_MARK
    payload = _payload(entry)
    # The last one: keys are sorted, and after "prev_hash" come only plain values (reason, ids),
    # in which a quote is escaped, so the marker and its quotes cannot appear there.
    head, _mark, tail = payload.rpartition(f'"prev_hash":"{_PREV_MARK}"')
    return head + '"prev_hash":"', '"' + tail


#: Lock the chain for the rest of the transaction, then (a new statement, so a new snapshot that
#: sees every entry committed before the lock was granted) insert the entry after the newest one.
#: ``roomlog_audit_last_hash()`` belongs to the owner: row-level security hides other rooms' entries.
_APPEND_PG = """SELECT pg_advisory_xact_lock(7274017);
INSERT INTO audit_log (at, user_id, room_id, action, entity, entity_id, changes, reason, prev_hash, hash)
SELECT {at}, {user_id}, {room_id}, {action}, {entity}, {entity_id}, {changes}, {reason}, tail.prev,
       encode(sha256(convert_to({head} || tail.prev || {tail}, 'UTF8')), 'hex')
FROM (SELECT coalesce(roomlog_audit_last_hash(), {genesis}) AS prev) AS tail
RETURNING id, prev_hash, hash"""


def _append_pg(connection: Connection, entry: AuditEntry) -> None:
    """Lock the chain, read its tail and insert ``entry`` in one round trip (PostgreSQL).

    The server takes the SHA-256 of the payload with the tail put in its place (the payload is
    cut around the previous hash), so the tail need not travel to the app and back while the
    chain is locked. Two statements in one simple query: the insert's snapshot is taken after
    the lock is granted (read committed), which one statement could not promise. Values are
    quoted literals (psycopg's ``sql.Literal``), as the simple protocol has no parameters. A room
    scope decided since the last statement goes in front (:func:`roomlog.row_security.defer_scope`).
    """
    from psycopg import sql

    head, tail = _halves(entry)
    changes = json.dumps(entry.changes)  # as SQLAlchemy's JSON type stores it (None as JSON null)
    literal = {
        "at": sql.Literal(entry.at),
        "user_id": sql.SQL("{}::integer").format(sql.Literal(entry.user_id)),
        "room_id": sql.SQL("{}::integer").format(sql.Literal(entry.room_id)),
        "action": sql.Literal(entry.action),
        "entity": sql.Literal(entry.entity),
        "entity_id": sql.SQL("{}::integer").format(sql.Literal(entry.entity_id)),
        "changes": sql.SQL("{}::json").format(sql.Literal(changes)),
        "reason": sql.SQL("{}::text").format(sql.Literal(entry.reason)),
        "head": sql.Literal(head),
        "tail": sql.Literal(tail),
        "genesis": sql.Literal(GENESIS),
    }
    statement = sql.Composed([pending_scope_sql(connection), sql.SQL(_APPEND_PG).format(**literal)])
    with connection.connection.dbapi_connection.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(statement, prepare=False)
        while cursor.nextset():  # to the insert's RETURNING, the last result
            pass
        row = cursor.fetchone()
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
