"""Visitor-id bitmaps per closed room-month, and a (room, service day) index on every event table.

``room_visitor_sets`` holds, per room and month, the serialized roaring bitmaps of the visitors
with an admitted visit, of those first seen in the room that month, and of both split by sex
and birth year (``roomlog.reporting.visitor_sets``). Unique and new visitors over any range
become unions of stored sets instead of a scan of every visit since opening. The upgrade fills
the sets of every month that already has an approved snapshot, from its visits (what the
reports recounted until now). On PostgreSQL the table gets the same ``room_scope`` row-level
security policy as the other room tables.

Revision ID: room_visitor_sets
Revises: pool_permits_and_funding
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "room_visitor_sets"
down_revision = "pool_permits_and_funding"
branch_labels = None
depends_on = None

EVENT_TABLES = ("visits", "consumptions", "emergencies", "emergency_actions", "referrals", "services", "incidents")
CONDITION = (
    "coalesce(current_setting('roomlog.room_ids', true), '') = '' "
    "OR room_id = ANY (string_to_array(current_setting('roomlog.room_ids', true), ',')::integer[])"
)


def _day(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _backfill() -> None:
    """Store the sets of every room-month that has an approved (or accepted) snapshot."""
    from roomlog.reporting.rows import VisitorRow
    from roomlog.reporting.visitor_sets import MonthSets, build, serialize

    bind = op.get_bind()
    closed = bind.execute(
        sa.text(
            "SELECT DISTINCT s.room_id, s.month FROM period_status s "
            "JOIN monthly_aggregates a ON a.room_id = s.room_id AND a.month = s.month "
            "WHERE s.state IN ('approved', 'accepted')"
        )
    ).all()
    months: dict[int, set[dt.date]] = defaultdict(set)
    for room_id, month in closed:
        months[room_id].add(_day(month))
    table = sa.table(
        "room_visitor_sets",
        sa.column("room_id", sa.Integer),
        sa.column("month", sa.Date),
        sa.column("visitors", sa.LargeBinary),
        sa.column("first_seen", sa.LargeBinary),
        sa.column("groups", sa.LargeBinary),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    visits = sa.text(
        "SELECT v.visitor_id, v.service_day, p.sex, p.birth_year FROM visits v "
        "JOIN visitors p ON p.id = v.visitor_id "
        "WHERE v.room_id = :room AND v.voided = :no AND v.outcome = 'admitted'"
    )
    now = dt.datetime.now(dt.UTC)
    for room_id, wanted in months.items():
        rows, first_days = set(), {}
        for visitor_id, day, sex, birth_year in bind.execute(visits, {"room": room_id, "no": False}):
            day = _day(day)
            seen = first_days.get((room_id, visitor_id))
            first_days[(room_id, visitor_id)] = day if seen is None else min(seen, day)
            month = day.replace(day=1)
            if month in wanted:
                rows.add(VisitorRow(room_id, month, visitor_id, sex or "u", birth_year))
        built = build(rows, first_days)
        values = []
        for month in sorted(wanted):
            blobs = serialize(built.get((room_id, month), MonthSets()))
            values.append(dict(zip(("visitors", "first_seen", "groups"), blobs, strict=True)))
            values[-1].update(room_id=room_id, month=month, created_at=now)
        op.bulk_insert(table, values)


def upgrade() -> None:
    op.create_table(
        "room_visitor_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("visitors", sa.LargeBinary(), nullable=False),
        sa.Column("first_seen", sa.LargeBinary(), nullable=False),
        sa.Column("groups", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_room_visitor_sets_room_id_rooms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_visitor_sets")),
        sa.UniqueConstraint("room_id", "month", name=op.f("uq_room_visitor_sets_room_id_month")),
    )
    op.create_index(op.f("ix_room_visitor_sets_room_id"), "room_visitor_sets", ["room_id"], unique=False)
    for table in EVENT_TABLES:
        op.create_index(f"ix_{table}_room_id_service_day", table, ["room_id", "service_day"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE room_visitor_sets ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE room_visitor_sets FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY room_scope ON room_visitor_sets USING ({CONDITION}) WITH CHECK ({CONDITION})")
        # The backfill reads every room under revision 0003's policies, where an empty scope is
        # every room (the app's engine sets "*", which those policies do not know yet; revision
        # security_roles_and_secrets replaces them with deny-by-default policies).
        op.execute("SELECT set_config('roomlog.room_ids', '', true)")
    _backfill()


def downgrade() -> None:
    for table in EVENT_TABLES:
        op.drop_index(f"ix_{table}_room_id_service_day", table_name=table)
    op.drop_index(op.f("ix_room_visitor_sets_room_id"), table_name="room_visitor_sets")
    op.drop_table("room_visitor_sets")
