"""The monthly page's counts that are no indicator, frozen with the approved snapshot.

``monthly_details`` holds, per room-month, the arrivals by weekday and local hour, the
emergencies and times of every emergency action and the emergencies by outcome, as they
were when the lead approved the month (``roomlog.reporting.detail``). With them every
number on a closed month's summary comes from what was approved. Months approved before
this revision have none until they are approved again; their page says so. On PostgreSQL
the table gets the deny-by-default room policy.

Revision ID: approval_changes
Revises: security_roles_and_secrets
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from roomlog.row_security import enable_room_policy

revision = "approval_changes"
down_revision = "security_roles_and_secrets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monthly_details",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("item", sa.String(length=80), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_monthly_details_room_id_rooms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_details")),
        sa.UniqueConstraint("room_id", "month", "item", name=op.f("uq_monthly_details_room_id_month_item")),
    )
    op.create_index(op.f("ix_monthly_details_room_id"), "monthly_details", ["room_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        enable_room_policy(op.execute, "monthly_details")


def downgrade() -> None:
    op.drop_index(op.f("ix_monthly_details_room_id"), table_name="monthly_details")
    op.drop_table("monthly_details")
