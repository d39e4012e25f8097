"""PostgreSQL bulk load for the scale generator (``roomlog bench-data`` only, never the app's write path).

Row by row, a COPY into the event tables is dear on PostgreSQL: every row runs the foreign-key
checks (a lookup in each parent table), the event guard trigger and the inserts into every index.
For a bench database the schema owner (``bench-data`` refuses any other role) instead

- drops the foreign keys, the unique idempotency-key constraints and the secondary indexes of the
  tables it loads, keeping the primary keys and the indexes the approval of each month reads
  (room and service day, visitor and service day), and adds them back when the load is done.
  Adding a constraint back makes PostgreSQL check every row, old and new, in one pass, and
  building a unique index checks every key: the rows are checked exactly as the per-row checks
  would have checked them, only at the end instead of row by row;
- turns the event guard off around each COPY, in the same transaction as the COPY (another
  connection never sees the guard off, and a rollback restores it). For an insert the guard asks
  only whether the table's owner runs it with ``roomlog.history_load`` on (the owner's history
  load) and lets the row through unchanged; that condition is asked here once per table and
  transaction, as the guard would ask it (:func:`roomlog.db_guards` switch, ``roomlog_is_table_owner``),
  and the load stops if it does not hold.

:func:`check` re-checks afterwards what the bypassed checks stand for (guards on again, every
constraint and index back and valid, every event row in a room-month the generator planned).
A load killed before the end leaves the constraints off: :func:`drop` then refuses to start and
the bench database must be generated fresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from roomlog.services import DomainError

#: Tables whose rows carry the event guard (``<table>_guard``, migration ``reliability_locks``).
GUARDED = ("visits", "consumptions", "emergencies", "emergency_actions", "referrals", "services")
#: Tables loaded in bulk here (the visitors table is small and keeps its checks).
LOADED = (*GUARDED, "consumption_substances")
#: Indexes the approval of each month reads while the load goes on: kept.
KEPT = (*(f"ix_{t}_room_id_service_day" for t in GUARDED), "ix_visits_visitor_id_service_day")
#: Work memory for rebuilding indexes and checking foreign keys at the end (this connection only).
RESTORE_MEMORY = "256MB"


class InterruptedLoad(DomainError):
    """An earlier bulk load stopped before it put the constraints back."""


@dataclass
class Dropped:
    """What :func:`drop` took off: ``(table, name, definition)`` of constraints, ``(name, definition)`` of indexes."""

    constraints: list[tuple[str, str, str]] = field(default_factory=list)
    indexes: list[tuple[str, str]] = field(default_factory=list)


def _tables() -> dict[str, str]:
    return {"tables": "{" + ",".join(LOADED) + "}"}


def drop(session: Session) -> Dropped:
    """Take the foreign keys, unique keys and secondary indexes off the loaded tables; return their definitions."""
    missing = session.scalar(
        text(
            "SELECT string_agg(t, ', ') FROM unnest(CAST(:tables AS text[])) AS t "
            "WHERE NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conrelid = CAST(t AS regclass) AND c.contype = 'f')"
        ),
        _tables(),
    )
    if missing:
        raise InterruptedLoad(
            f"{missing}: no foreign keys (an interrupted bulk load of bench data?): generate a fresh bench database."
        )
    out = Dropped()
    found = session.execute(
        text(
            "SELECT CAST(c.conrelid AS regclass)::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "WHERE c.conrelid = ANY(CAST(:tables AS regclass[])) AND c.contype IN ('f', 'u') ORDER BY c.contype DESC, 2"
        ),
        _tables(),
    )
    out.constraints = [(t, n, d) for t, n, d in found]
    found = session.execute(
        text(
            "SELECT CAST(i.indexrelid AS regclass)::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(CAST(:tables AS regclass[])) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
            "AND NOT (CAST(i.indexrelid AS regclass)::text = ANY(CAST(:kept AS text[]))) ORDER BY 1"
        ),
        {**_tables(), "kept": "{" + ",".join(KEPT) + "}"},
    )
    out.indexes = [(n, d) for n, d in found]
    # Names come from the catalog of our own schema, never from input.
    for table, name, _definition in out.constraints:
        session.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _definition in out.indexes:
        session.execute(text(f'DROP INDEX "{name}"'))
    session.execute(text("SET synchronous_commit = off"))  # this connection's commits; bench data only
    return out


def restore(session: Session, dropped: Dropped) -> None:
    """Build the dropped indexes and add the constraints back (PostgreSQL checks every row as it adds them);
    analyze the loaded tables.

    Those already there are skipped (after a rollback that undid the drop, too).
    """
    session.execute(text(f"SET LOCAL maintenance_work_mem = '{RESTORE_MEMORY}'"))
    for name, definition in dropped.indexes:
        if session.scalar(text("SELECT to_regclass(:n)"), {"n": name}) is None:
            session.execute(text(definition))
    present = set(
        session.scalars(
            text("SELECT conname FROM pg_constraint WHERE conrelid = ANY(CAST(:tables AS regclass[]))"), _tables()
        )
    )
    for table, name, definition in dropped.constraints:
        if name not in present:
            session.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
    # Fresh planner statistics: autovacuum's analyze of a table gives way to the guard switches of every
    # month's transaction, so a long load can leave the statistics of its first minutes (seen at 10 years).
    session.execute(text(f"ANALYZE {', '.join(LOADED)}"))


def guards_off(session: Session) -> None:
    """Before a COPY: ask the guard's question for each table once, then turn the guards off in this transaction."""
    for table in GUARDED:
        allowed = session.scalar(
            text(
                "SELECT current_setting('roomlog.history_load', true) = 'on' "
                "AND roomlog_is_table_owner(CAST(:t AS regclass))"
            ),
            {"t": table},
        )
        if not allowed:
            raise RuntimeError(f"the event guard of {table} would refuse this load (not the owner's history load)")
        session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_guard"))


def guards_on(session: Session) -> None:
    """After the COPY, in the same transaction: the guards on again."""
    for table in GUARDED:
        session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_guard"))


def check(session: Session, dropped: Dropped | None = None) -> list[str]:
    """What is wrong with the loaded tables (an empty list: nothing): what the bypassed checks stand for.

    The guards are enabled; every constraint and index :func:`drop` took off is back (constraints
    validated); and every event row lies in a room-month that has a status row (the generator
    writes one for each room-month it loads, and only loads months it planned).
    """
    problems = []
    off = session.scalars(
        text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = ANY(CAST(:tables AS regclass[])) "
            "AND NOT tgisinternal AND tgenabled <> 'O' ORDER BY 1"
        ),
        _tables(),
    ).all()
    problems += [f"trigger {name} is not enabled" for name in off]
    guards = set(
        session.scalars(
            text("SELECT tgname FROM pg_trigger WHERE tgrelid = ANY(CAST(:tables AS regclass[])) AND NOT tgisinternal"),
            _tables(),
        )
    )
    problems += [f"trigger {t}_guard is missing" for t in GUARDED if f"{t}_guard" not in guards]
    if dropped is not None:
        valid = set(
            session.scalars(
                text(
                    "SELECT conname FROM pg_constraint "
                    "WHERE conrelid = ANY(CAST(:tables AS regclass[])) AND convalidated"
                ),
                _tables(),
            )
        )
        problems += [
            f"constraint {name} is missing or not valid" for _t, name, _d in dropped.constraints if name not in valid
        ]
        indexes = set(
            session.scalars(
                text(
                    "SELECT CAST(indexrelid AS regclass)::text FROM pg_index "
                    "WHERE indrelid = ANY(CAST(:tables AS regclass[])) AND indisvalid"
                ),
                _tables(),
            )
        )
        problems += [f"index {name} is missing or not valid" for name, _d in dropped.indexes if name not in indexes]
    for table in GUARDED:
        outside = session.scalar(
            text(
                f"SELECT COUNT(*) FROM (SELECT DISTINCT room_id, CAST(date_trunc('month', service_day) AS date) AS m "  # noqa: S608 (our table names)  # nosec B608
                f"FROM {table}) e WHERE NOT EXISTS "
                "(SELECT 1 FROM period_status p WHERE p.room_id = e.room_id AND p.month = e.m)"
            )
        )
        if outside:
            problems.append(f"{table}: rows in {outside} room-months without a status row")
    return problems
