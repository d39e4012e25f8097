"""Visits indexed by visitor and service day (replaces the index on the visitor alone).

The monthly summary counts new visitors by asking, for each visitor of the month, whether an
earlier admitted visit exists in the room: with ``(visitor_id, service_day)`` that is one seek
per visitor at any history length, where the index on ``visitor_id`` alone walks every visit
the visitor ever made. The composite index serves every look-up by visitor too, so the table
keeps the same number of indexes (no extra cost when recording a visit).

Revision ID: summary_visitor_index
Revises: approval_changes
"""

from __future__ import annotations

from alembic import op

revision = "summary_visitor_index"
down_revision = "approval_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_visits_visitor_id_service_day", "visits", ["visitor_id", "service_day"], unique=False)
    op.drop_index("ix_visits_visitor_id", table_name="visits")


def downgrade() -> None:
    op.create_index("ix_visits_visitor_id", "visits", ["visitor_id"], unique=False)
    op.drop_index("ix_visits_visitor_id_service_day", table_name="visits")
