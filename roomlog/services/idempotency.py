"""Idempotency keys: a repeated form submission returns the first record, never a second.

Every capture form carries a random key generated when the form is rendered. The record it
creates stores the key (unique) and a hash of the normalised payload, so a double tap or a
browser retry finds the first record, and a reused key with other data is refused (409).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Mapping
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, Table, bindparam, select
from sqlalchemy.orm import Session

from roomlog.messages import N_
from roomlog.models import RoomEvent
from roomlog.row_security import has_deferred_scope, pipelined
from roomlog.services import Conflict, DomainError

E = TypeVar("E", bound=RoomEvent)
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_key() -> str:
    """Return a fresh idempotency key for a form being rendered."""
    return uuid.uuid4().hex


def checked_key(value: str | None) -> str:
    """Return a well-formed key from a submitted form, or raise ``DomainError``."""
    if not value or not KEY_PATTERN.match(value):
        raise DomainError(N_("The form is missing its key. Reload the page and try again."))
    return value


def request_hash(payload: Mapping[str, Any], secret: str | bytes | None = None) -> str:
    """Return the hex hash of a normalised payload (sorted keys, values as sorted strings).

    With ``secret`` the hash is an HMAC, for payloads derived from personal data.
    """
    normalised = {
        str(k): sorted(str(x) for x in v) if isinstance(v, list | tuple | set) else ("" if v is None else str(v))
        for k, v in payload.items()
    }
    data = json.dumps(normalised, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if secret is not None:
        key = secret.encode("utf-8") if isinstance(secret, str) else secret
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=64)
def _by_key(table: Table, scoped: bool) -> Select[Any]:
    """Return the look-up of a key's record id and hash, built once per table (and scoped or not)."""
    stmt = select(table.c.id, table.c.request_hash).where(table.c.idempotency_key == bindparam("key"))
    if scoped:
        stmt = stmt.where(table.c.room_id.in_(bindparam("rooms", expanding=True)))
    return stmt


@lru_cache(maxsize=64)
def _by_key_sql(table_name: str, scoped: bool) -> str:
    """Return the key look-up as SQL with ``%s`` placeholders (key, then rooms), built once per table."""
    from psycopg import sql

    query = sql.SQL("SELECT id, request_hash FROM {} WHERE idempotency_key = %s").format(sql.Identifier(table_name))
    if scoped:
        query += sql.SQL(" AND room_id = ANY (%s::integer[])")
    return query.as_string(None)


def _by_key_with_scope(connection: Connection, table: Table, key: str, rooms: frozenset[int] | None) -> Any:
    """Look the key up together with the room scope decided since the last statement (PostgreSQL, one round trip).

    One round trip of two statements (three with a deferred ``BEGIN``, :func:`roomlog.row_security.pipelined`):
    the scope is set, then the key looked up under it.
    """
    params: list[Any] = [key] if rooms is None else [key, sorted(rooms)]
    row = pipelined(connection, (_by_key_sql(table.name, rooms is not None), params))
    return None if row is None else SimpleNamespace(id=row[0], request_hash=row[1])


def replay(
    session: Session, model: type[E], key: str, payload_hash: str, rooms: frozenset[int] | None = None
) -> E | None:
    """Return the record created earlier with ``key``; refuse the key if the payload differs.

    ``rooms`` limits the look-up to those rooms (the request's tenant scope; ``None``: all).
    """
    # One Core query on the session's connection: a fresh key (the usual case) costs no ORM
    # statement and no object; a repeat loads the record (through the ORM and its scoping).
    connection = session.connection()
    table: Table = model.__table__  # type: ignore[attr-defined]  # E is a mapped event model: its __table__ is its Table
    if has_deferred_scope(connection):
        found = _by_key_with_scope(connection, table, key, rooms)
    else:
        params: dict[str, Any] = {"key": key}
        if rooms is not None:
            params["rooms"] = sorted(rooms)
        found = connection.execute(_by_key(table, rooms is not None), params).first()
    if found is None:
        return None
    if found.request_hash != payload_hash:
        raise Conflict(
            N_(
                "This form was already sent with other content. Nothing was saved the second time: "
                "open the form again to enter something new."
            )
        )
    return session.get(model, found.id)
