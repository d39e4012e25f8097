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

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from roomlog.logs import log_audit_entry
from roomlog.models import AuditEntry
from roomlog.models.base import utcnow

GENESIS = "0" * 64
_TABLE: Table = AuditEntry.__table__  # type: ignore[assignment]  # a mapped class's __table__ is its Table
# Built once: a constant statement's cache key is computed once, not on every capture request.
_LAST_HASH = select(_TABLE.c.hash).order_by(_TABLE.c.id.desc()).limit(1)
_INSERT = insert(_TABLE)
_LOCK_CHAIN = "SELECT pg_advisory_xact_lock(7274017)"
_LAST_HASH_PG = "SELECT roomlog_audit_last_hash()"


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


def entry_hash(entry: AuditEntry) -> str:
    """Return the SHA-256 over an entry's content and the previous entry's hash."""
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
    payload = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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

    The entry is written with two plain statements on the session's connection (read the last
    hash, insert), not through the ORM's unit of work: this runs under the write lock of every
    capture request, so it is kept short. The returned entry carries its new id.
    """
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Serialise writers of the chain for the rest of this transaction. The newest hash
        # comes from a function of the owner's: row-level security hides other rooms' entries.
        # Raw DBAPI on the transaction's own connection: two round trips, no Core statement work.
        with connection.connection.dbapi_connection.cursor() as cursor:  # type: ignore[union-attr]  # None only once closed
            cursor.execute(_LOCK_CHAIN)
            cursor.execute(_LAST_HASH_PG)
            found = cursor.fetchone()
        last = found[0] if found else None
    else:
        last = connection.execute(_LAST_HASH).scalar()
    entry = AuditEntry(
        at=utcnow(),
        user_id=user_id,
        room_id=room_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        changes=_jsonable(changes) if changes is not None else None,
        reason=reason,
        prev_hash=last or GENESIS,
    )
    entry.hash = entry_hash(entry)
    values = {column.key: getattr(entry, column.key) for column in _TABLE.columns if column.key != "id"}
    entry.id = connection.execute(_INSERT, values).inserted_primary_key[0]  # type: ignore[index]  # an INSERT's key
    log_audit_entry(session, entry)
    return entry


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
