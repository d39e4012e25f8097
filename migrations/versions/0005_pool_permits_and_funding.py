"""Permits per room with their history, and the state co-financing pool (applications, years, payments).

Reviewed by hand. Amounts are whole kroner in integer columns. Every existing room gets one
permit event with its current status and date (its creation date when it has none), so the
history starts where the rooms are.

Revision ID: pool_permits_and_funding
Revises: truth_history_checks
"""

import sqlalchemy as sa
from alembic import op

import roomlog.models.base

revision = "pool_permits_and_funding"
down_revision = "truth_history_checks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "permit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "granted",
                "applied",
                "planned",
                "refused",
                "withdrawn",
                name="permitstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("recorded_at", roomlog.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_permit_events_recorded_by_id_users")),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_permit_events_room_id_rooms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_events")),
    )
    with op.batch_alter_table("permit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_permit_events_room_id"), ["room_id"], unique=False)

    op.create_table(
        "pool_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.String(length=3), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("draft", "submitted", "decided", name="applicationstate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("establishment_budget_kr", sa.Integer(), nullable=False),
        sa.Column("establishment_requested_kr", sa.Integer(), nullable=False),
        sa.Column("created_at", roomlog.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", roomlog.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "permit_at_submit",
            sa.Enum(
                "granted",
                "applied",
                "planned",
                "refused",
                "withdrawn",
                name="permitstatus",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("decided_at", roomlog.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum("full", "partial", "refused", name="decisionoutcome", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("decision_reason", sa.String(length=1000), nullable=False),
        sa.Column("establishment_granted_kr", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_pool_applications_created_by_id_users")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_pool_applications_decided_by_id_users")),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipalities.code"],
            name=op.f("fk_pool_applications_municipality_code_municipalities"),
        ),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_pool_applications_room_id_rooms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_applications")),
    )
    with op.batch_alter_table("pool_applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pool_applications_municipality_code"), ["municipality_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_pool_applications_room_id"), ["room_id"], unique=False)

    op.create_table(
        "pool_application_years",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("operating_budget_kr", sa.Integer(), nullable=False),
        sa.Column("operating_requested_kr", sa.Integer(), nullable=False),
        sa.Column("municipal_funding_kr", sa.Integer(), nullable=False),
        sa.Column("operating_granted_kr", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["pool_applications.id"],
            name=op.f("fk_pool_application_years_application_id_pool_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_application_years")),
        sa.UniqueConstraint("application_id", "year", name=op.f("uq_pool_application_years_application_id_year")),
    )
    with op.batch_alter_table("pool_application_years", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pool_application_years_application_id"), ["application_id"], unique=False)

    op.create_table(
        "pool_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("establishment", "operating", name="paymentkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("amount_kr", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("committed", "paid", "withheld", name="paymentstate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("committed_at", roomlog.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("committed_by_id", sa.Integer(), nullable=True),
        sa.Column("settled_at", roomlog.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("settled_by_id", sa.Integer(), nullable=True),
        sa.Column("request_key", sa.String(length=64), nullable=True),
        sa.UniqueConstraint("request_key", name=op.f("uq_pool_payments_request_key")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["pool_applications.id"], name=op.f("fk_pool_payments_application_id_pool_applications")
        ),
        sa.ForeignKeyConstraint(["committed_by_id"], ["users.id"], name=op.f("fk_pool_payments_committed_by_id_users")),
        sa.ForeignKeyConstraint(["settled_by_id"], ["users.id"], name=op.f("fk_pool_payments_settled_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_payments")),
    )
    with op.batch_alter_table("pool_payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pool_payments_application_id"), ["application_id"], unique=False)

    rooms = sa.table(
        "rooms",
        sa.column("id", sa.Integer),
        sa.column("permit_status", sa.String),
        sa.column("permit_date", sa.Date),
        sa.column("created_at", sa.DateTime),
    )
    events = sa.table(
        "permit_events",
        sa.column("room_id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("on_date", sa.Date),
        sa.column("note", sa.String),
        sa.column("recorded_at", sa.DateTime),
    )
    bind = op.get_bind()
    for room_id, status, day, created in bind.execute(
        sa.select(rooms.c.id, rooms.c.permit_status, rooms.c.permit_date, rooms.c.created_at)
    ):
        when = day or (created.date() if created is not None else sa.func.current_date())
        bind.execute(
            sa.insert(events).values(
                room_id=room_id, status=status, on_date=when, note="", recorded_at=sa.func.current_timestamp()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("pool_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pool_payments_application_id"))

    op.drop_table("pool_payments")
    with op.batch_alter_table("pool_application_years", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pool_application_years_application_id"))

    op.drop_table("pool_application_years")
    with op.batch_alter_table("pool_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pool_applications_room_id"))
        batch_op.drop_index(batch_op.f("ix_pool_applications_municipality_code"))

    op.drop_table("pool_applications")
    with op.batch_alter_table("permit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permit_events_room_id"))

    op.drop_table("permit_events")
