"""Stored, protected publications: ``publications`` (one version of a period) and ``published_cells``.

Reviewed by hand. Everything outside the room reads these tables; nothing recomputes
disclosure control at request time. Cells carry the shown value (NULL when hidden), the
hidden flag, a status and the exact value (a fixed input to later protection, never served).

Revision ID: publication_store
Revises: room_visitor_sets
"""

import sqlalchemy as sa
from alembic import op

revision = "publication_store"
down_revision = "room_visitor_sets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("revised", sa.Boolean(), nullable=False),
        sa.Column("revision_note", sa.String(length=200), nullable=True),
        sa.Column("source_mark", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publications")),
        sa.UniqueConstraint("period", "version", name=op.f("uq_publications_period_version")),
    )
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_publications_period"), ["period"], unique=False)
    op.create_table(
        "published_cells",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("unit_kind", sa.String(length=12), nullable=False),
        sa.Column("unit_key", sa.String(length=12), nullable=False),
        sa.Column("indicator", sa.String(length=80), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("exact", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
            name=op.f("fk_published_cells_publication_id_publications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_cells")),
        sa.UniqueConstraint(
            "publication_id",
            "unit_kind",
            "unit_key",
            "indicator",
            name=op.f("uq_published_cells_publication_id_unit_kind_unit_key_indicator"),
        ),
    )
    with op.batch_alter_table("published_cells", schema=None) as batch_op:
        batch_op.create_index("ix_published_cells_indicator", ["indicator", "publication_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("published_cells", schema=None) as batch_op:
        batch_op.drop_index("ix_published_cells_indicator")
    op.drop_table("published_cells")
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publications_period"))
    op.drop_table("publications")
