"""Rows of the demo's activity, collected and inserted in bulk (Core inserts, dependency order).

The ORM unit of work would take minutes for a few months of a busy room; bulk inserts take
seconds. Ids are allocated here so that children can point at their parents before insert.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from roomlog.models import (
    Consumption,
    ConsumptionSubstance,
    Emergency,
    EmergencyActionRecord,
    Referral,
    ServiceRecord,
    Visit,
    Visitor,
)
from roomlog.models.bulk import insert_many

#: Parents before children.
TABLES: tuple[Any, ...] = (
    Visitor,
    Visit,
    Consumption,
    ConsumptionSubstance,
    Emergency,
    EmergencyActionRecord,
    Referral,
    ServiceRecord,
)
#: Columns a row may leave out (it then stores NULL).
DEFAULTS = {"outcome_at": None, "ended_at": None, "note": None}


class BulkRows:
    """Rows by table, with the next free id of every table that has one."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rows: dict[Any, list[dict[str, Any]]] = {t: [] for t in TABLES}
        self.next_id = {
            t: (session.scalar(select(func.max(t.id))) or 0) + 1 for t in TABLES if t is not ConsumptionSubstance
        }

    def new_id(self, table: Any) -> int:
        """Allocate the next id of ``table``."""
        value: int = self.next_id[table]
        self.next_id[table] += 1
        return value

    def flush_all(self) -> int:
        """Insert the collected rows in dependency order; returns rows inserted."""
        count = 0
        for table in TABLES:
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
        if self.session.get_bind().dialect.name == "postgresql":
            for table in self.next_id:
                name = table.__tablename__
                # Table names come from our own models, never from input.
                sql = (
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE((SELECT MAX(id) FROM {name}), 1))"  # noqa: S608 (table names are ours)  # nosec B608
                )
                self.session.execute(text(sql))
        self.session.flush()
        return count
