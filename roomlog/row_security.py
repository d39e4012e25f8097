"""PostgreSQL row-level security for room data: the SQL that migrations use (deny by default).

A policy reads the per-transaction setting ``roomlog.room_ids`` (roomlog/auth/scoping.py):
``*`` = every room, a comma list of room ids, ``-1`` = no rooms; missing or empty = nothing.
Adding row-level security to a new table with a ``room_id`` column is one line in its
migration::

    from roomlog.row_security import enable_room_policy
    enable_room_policy(op.execute, "monthly_visitor_sets")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
