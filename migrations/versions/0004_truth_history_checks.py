"""Yearly history: distinct-visitor figures for a whole year from before a room used roomlog.

Reviewed by hand. One table, ``yearly_history`` (room, year, indicator, value), beside
``monthly_history``: a year's unique visitors cannot be built from months, so the history
import keeps them keyed by year. On PostgreSQL the table gets the same row-level security
policy as the other room tables (0003).

Revision ID: truth_history_checks
Revises: security_row_level_security
"""

import sqlalchemy as sa
from alembic import op

revision = "truth_history_checks"
down_revision = "security_row_level_security"
branch_labels = None
depends_on = None

CONDITION = (
    "coalesce(current_setting('roomlog.room_ids', true), '') = '' "
    "OR room_id = ANY (string_to_array(current_setting('roomlog.room_ids', true), ',')::integer[])"
)


def upgrade() -> None:
    op.create_table(
        "yearly_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=80), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["imported_by_id"], ["users.id"], name=op.f("fk_yearly_history_imported_by_id_users")),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_yearly_history_room_id_rooms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_yearly_history")),
        sa.UniqueConstraint("room_id", "year", "indicator", name=op.f("uq_yearly_history_room_id_year_indicator")),
    )
    with op.batch_alter_table("yearly_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_yearly_history_room_id"), ["room_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE yearly_history ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE yearly_history FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY room_scope ON yearly_history USING ({CONDITION}) WITH CHECK ({CONDITION})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS room_scope ON yearly_history")
    with op.batch_alter_table("yearly_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_yearly_history_room_id"))
    op.drop_table("yearly_history")
