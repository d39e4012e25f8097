"""Insert many rows of one table: the rows a Core ``insert(table)`` executemany stores, with less work per row.

SQLAlchemy's executemany builds a parameter dictionary for every row and hands it to the driver, which on
PostgreSQL (psycopg) sends one statement a row through a pipeline: for the demo's ~300,000 rows that is most of
a PostgreSQL load. :func:`insert_many` converts each value once with the column type's own bind processor (what
SQLAlchemy applies to it before the driver sees it) and sends the rows by ``COPY … FROM STDIN`` on PostgreSQL
(row triggers fire as for an INSERT) or by the driver's own executemany elsewhere.

PostgreSQL refuses ``COPY … FROM`` on a table whose row-level security applies to the connected role. The callers
fit that: ``published_cells`` has no policy (it holds only disclosure-controlled cells), and the demo's room
tables are written by the schema owner (``roomlog demo``), whose own tables' policies it is not subject to. A new
caller that writes a room table as the app role must use ``session.execute(insert(table), rows)`` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session


def insert_many(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (every one with the same keys: column names of ``table``) in the session's transaction.

    Falls back to the Core executemany when a column left out has a default computed in Python (SQLAlchemy
    would fill it in; a column left out here gets only the database's default, as with an INSERT naming the rest).
    """
    if not rows:
        return
    columns = list(rows[0])
    connection = session.connection()
    dialect = connection.dialect
    if (
        dialect.name not in {"postgresql", "sqlite"}
        or any(c.default is not None and c.name not in columns for c in table.c)
        or any(row.keys() != rows[0].keys() for row in rows)
    ):
        session.execute(insert(table), list(rows))
        return
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    ]
    converted = [
        tuple(value if convert is None else convert(value) for value, convert in zip(values, processors, strict=True))
        for values in ([row[name] for name in columns] for row in rows)
    ]
    # Table and column names are our models', never input.
    names = ", ".join(columns)
    if dialect.name == "postgresql":
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # None only once closed
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for values in converted:
                copy.write_row(values)
        return
    marks = ", ".join("?" * len(columns))
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", converted)  # noqa: S608  # nosec B608
