"""Rows of the demo's activity, collected and inserted in bulk (Core inserts, dependency order).

The ORM unit of work would take minutes for a few months of a busy room; bulk inserts take
seconds. Ids are allocated here so that children can point at their parents before insert.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from roomlog.models.bulk import insert_many
from roomlog.operations.synthetic import ACTIVITY_TABLES, IdAllocator, next_ids, reset_sequences

#: Columns a row may leave out (it then stores NULL).
DEFAULTS = {"outcome_at": None, "ended_at": None, "note": None}


class BulkRows:
    """Rows by table, with the next free id of every table that has one."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rows: dict[Any, list[dict[str, Any]]] = {t: [] for t in ACTIVITY_TABLES}
        self.new_id = IdAllocator(next_ids(session))

    def flush_all(self) -> int:
        """Insert the collected rows in dependency order; returns rows inserted."""
        count = 0
        for table in ACTIVITY_TABLES:
            rows = self.rows[table]
            if rows:
                cols = set().union(*(r.keys() for r in rows))
                for row in rows:
                    for col in cols - row.keys():
                        row[col] = DEFAULTS.get(col)
                # What a Core executemany of the table stores (the ORM's bulk path collects every row again: a third
                # of the load's time), by COPY on PostgreSQL. Attribute and column names are the same on these models.
                insert_many(self.session, cast(Table, table.__table__), rows)
                count += len(rows)
                self.rows[table] = []
        reset_sequences(self.session)
        self.session.flush()
        return count
