"""Initial schema: the whole data model of the data dictionary, and the 98 municipalities.

Reviewed by hand: every constraint is named by the metadata naming convention, enums are
stored by value as VARCHAR (no native enum types, so code lists can grow without DDL),
timestamps are timezone-aware, and every event table has a unique idempotency key.
The official municipality list is loaded as data so it is present after `roomlog db upgrade`.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-27 05:00:18.649738
"""

import sqlalchemy as sa
from alembic import op

from roomlog.services.municipalities import official_municipalities

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_room_id"), ["room_id"], unique=False)

    op.create_table(
        "municipalities",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_municipalities")),
        sa.UniqueConstraint("name", name=op.f("uq_municipalities_name")),
    )
    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("municipality_code", sa.String(length=3), nullable=False),
        sa.Column("operator_name", sa.String(length=160), nullable=False),
        sa.Column(
            "operator_type",
            sa.Enum("municipal", "self_governing", name="operatortype", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "model",
            sa.Enum(
                "integrated",
                "specialised",
                "mobile",
                name="roommodel",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "permit_status",
            sa.Enum("granted", "applied", "planned", name="permitstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("permit_date", sa.Date(), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.Column("places_injection", sa.Integer(), nullable=False),
        sa.Column("places_smoking", sa.Integer(), nullable=False),
        sa.Column("assisted_allowed", sa.Boolean(), nullable=False),
        sa.Column("opening_hours", sa.String(length=120), nullable=False),
        sa.Column("service_day_cutoff", sa.Time(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipalities.code"],
            name=op.f("fk_rooms_municipality_code_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rooms")),
        sa.UniqueConstraint("name", name=op.f("uq_rooms_name")),
    )
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rooms_municipality_code"), ["municipality_code"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "staff",
                "lead",
                "municipality",
                "national",
                "admin",
                name="role",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "language",
            sa.Enum("da", "en", name="language", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("can_backdate", sa.Boolean(), nullable=False),
        sa.Column("municipality_code", sa.String(length=3), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totp_last_counter", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipalities.code"],
            name=op.f("fk_users_municipality_code_municipalities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("second_factor_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_login_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_sessions_token_hash")),
    )
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "monthly_aggregates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("indicator", sa.String(length=80), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_monthly_aggregates_room_id_rooms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_aggregates")),
        sa.UniqueConstraint(
            "room_id",
            "month",
            "indicator",
            name=op.f("uq_monthly_aggregates_room_id_month_indicator"),
        ),
    )
    with op.batch_alter_table("monthly_aggregates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_monthly_aggregates_room_id"), ["room_id"], unique=False)

    op.create_table(
        "monthly_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("indicator", sa.String(length=80), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["imported_by_id"], ["users.id"], name=op.f("fk_monthly_history_imported_by_id_users")),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_monthly_history_room_id_rooms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_history")),
        sa.UniqueConstraint("room_id", "month", "indicator", name=op.f("uq_monthly_history_room_id_month_indicator")),
    )
    with op.batch_alter_table("monthly_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_monthly_history_room_id"), ["room_id"], unique=False)

    op.create_table(
        "period_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("open", "approved", "accepted", name="periodstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("changes_since_approval", sa.Integer(), nullable=False),
        sa.Column("lock_exception_until", sa.Date(), nullable=True),
        sa.Column("lock_exception_reason", sa.String(length=500), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["accepted_by_id"], ["users.id"], name=op.f("fk_period_status_accepted_by_id_users")),
        sa.ForeignKeyConstraint(["approved_by_id"], ["users.id"], name=op.f("fk_period_status_approved_by_id_users")),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_period_status_room_id_rooms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_status")),
        sa.UniqueConstraint("room_id", "month", name=op.f("uq_period_status_room_id_month")),
    )
    with op.batch_alter_table("period_status", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_period_status_room_id"), ["room_id"], unique=False)

    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=255), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recovery_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_codes_user_id"), ["user_id"], unique=False)

    op.create_table(
        "room_memberships",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_room_memberships_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_room_memberships_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "room_id", name=op.f("pk_room_memberships")),
    )
    op.create_table(
        "visitors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("check_word", sa.String(length=32), nullable=False),
        sa.Column("birth_year", sa.SmallInteger(), nullable=True),
        sa.Column(
            "sex",
            sa.Enum("m", "f", "x", "u", name="sex", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column(
            "nationality",
            sa.Enum("dk", "eu", "non_eu", "u", name="nationality", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("first_registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("home_room_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["home_room_id"], ["rooms.id"], name=op.f("fk_visitors_home_room_id_rooms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visitors")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_visitors_pseudonym")),
    )
    with op.batch_alter_table("visitors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visitors_home_room_id"), ["home_room_id"], unique=False)

    op.create_table(
        "visits",
        sa.Column("visitor_id", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum("admitted", "turned_away", name="visitoutcome", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "turn_away_reason",
            sa.Enum(
                "under_18",
                "intoxicated",
                "not_target_group",
                "capacity",
                "ban",
                "other",
                name="turnawayreason",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("backdated", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_visits_recorded_by_id_users")),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_visits_room_id_rooms")),
        sa.ForeignKeyConstraint(["visitor_id"], ["visitors.id"], name=op.f("fk_visits_visitor_id_visitors")),
        sa.ForeignKeyConstraint(["voided_by_id"], ["users.id"], name=op.f("fk_visits_voided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_visits_idempotency_key")),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visits_room_id"), ["room_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visits_service_day"), ["service_day"], unique=False)
        batch_op.create_index(batch_op.f("ix_visits_visitor_id"), ["visitor_id"], unique=False)

    op.create_table(
        "consumptions",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column(
            "route",
            sa.Enum(
                "inject",
                "smoke",
                "sniff",
                "oral",
                "other",
                name="route",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("assisted", sa.Boolean(), nullable=False),
        sa.Column("assisted_set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "place_kind",
            sa.Enum("injection", "smoking", name="placekind", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("place_number", sa.SmallInteger(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("backdated", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_consumptions_recorded_by_id_users")),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_consumptions_room_id_rooms")),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_consumptions_visit_id_visits")),
        sa.ForeignKeyConstraint(["voided_by_id"], ["users.id"], name=op.f("fk_consumptions_voided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consumptions")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_consumptions_idempotency_key")),
    )
    with op.batch_alter_table("consumptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consumptions_room_id"), ["room_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consumptions_service_day"), ["service_day"], unique=False)
        batch_op.create_index(batch_op.f("ix_consumptions_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "incidents",
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column(
            "type",
            sa.Enum(
                "violence_threat",
                "dealing",
                "police_called",
                "ban_issued",
                "property",
                "other",
                name="incidenttype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("backdated", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_incidents_recorded_by_id_users")),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_incidents_room_id_rooms")),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_incidents_visit_id_visits")),
        sa.ForeignKeyConstraint(["voided_by_id"], ["users.id"], name=op.f("fk_incidents_voided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_incidents_idempotency_key")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_room_id"), ["room_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_service_day"), ["service_day"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column(
            "target",
            sa.Enum(
                "drug_treatment",
                "ost",
                "hat",
                "detox",
                "gp",
                "hospital",
                "psychiatry",
                "health_room",
                "wound_care",
                "dental",
                "bbv_testing",
                "vaccination",
                "social_caseworker",
                "housing_shelter",
                "legal",
                "other",
                name="referraltarget",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "mode",
            sa.Enum(
                "information",
                "referral",
                "accompanied",
                name="referralmode",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("backdated", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_referrals_recorded_by_id_users")),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_referrals_room_id_rooms")),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_referrals_visit_id_visits")),
        sa.ForeignKeyConstraint(["voided_by_id"], ["users.id"], name=op.f("fk_referrals_voided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_referrals_idempotency_key")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_room_id"), ["room_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_service_day"), ["service_day"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "services",
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column(
            "service",
            sa.Enum(
                "injecting_equipment",
                "smoking_equipment",
                "naloxone_kit",
                "harm_reduction_advice",
                "conversation",
                "wound_care",
                "testing",
                "food_shower",
                "other",
                name="servicecode",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("backdated", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_services_recorded_by_id_users")),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_services_room_id_rooms")),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_services_visit_id_visits")),
        sa.ForeignKeyConstraint(["voided_by_id"], ["users.id"], name=op.f("fk_services_voided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_services_idempotency_key")),
    )
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_services_room_id"), ["room_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_services_service_day"), ["service_day"], unique=False)
        batch_op.create_index(batch_op.f("ix_services_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "consumption_substances",
        sa.Column("consumption_id", sa.Integer(), nullable=False),
        sa.Column(
            "substance",
            sa.Enum(
                "heroin",
                "cocaine",
                "crack",
                "speedball",
                "amphetamine",
                "methamphetamine",
                "methadone",
                "buprenorphine",
                "benzodiazepine",
                "fentanyl",
                "other_opioid",
                "other",
                "u",
                name="substance",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["consumption_id"],
            ["consumptions.id"],
            name=op.f("fk_consumption_substances_consumption_id_consumptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("consumption_id", "substance", name=op.f("pk_consumption_substances")),
    )
    op.create_table(
        "emergencies",
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("consumption_id", sa.Integer(), nullable=True),
        sa.Column(
            "type",
            sa.Enum(
                "opioid",
                "stimulant",
                "mixed",
                "other_medical",
                "u",
                name="emergencytype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "severity",
            sa.Enum(
                "responsive",
                "reduced_consciousness",
                "unresponsive_breathing",
                "respiratory_depression",
                "cardiac_arrest",
                name="severity",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "outcome",
            sa.Enum(
                "recovered_on_site",
                "transported",
                "refused_transport",
                "left_against_advice",
                "died",
                name="emergencyoutcome",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("backdated", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consumption_id"],
            ["consumptions.id"],
            name=op.f("fk_emergencies_consumption_id_consumptions"),
        ),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_emergencies_recorded_by_id_users")),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_emergencies_room_id_rooms")),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_emergencies_visit_id_visits")),
        sa.ForeignKeyConstraint(["voided_by_id"], ["users.id"], name=op.f("fk_emergencies_voided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergencies")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_emergencies_idempotency_key")),
    )
    with op.batch_alter_table("emergencies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergencies_consumption_id"), ["consumption_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_emergencies_room_id"), ["room_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_emergencies_service_day"), ["service_day"], unique=False)
        batch_op.create_index(batch_op.f("ix_emergencies_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "emergency_actions",
        sa.Column("emergency_id", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "observation",
                "stimulation",
                "recovery_position",
                "oxygen",
                "ventilation",
                "naloxone",
                "cpr",
                "aed",
                "cooling",
                "ambulance_called",
                "ambulance_arrived",
                name="emergencyaction",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "naloxone_route",
            sa.Enum("in", "im", "iv", name="naloxoneroute", native_enum=False, length=8),
            nullable=True,
        ),
        sa.Column("naloxone_dose_mg", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column(
            "oxygen_phase",
            sa.Enum("start", "stop", name="oxygenphase", native_enum=False, length=8),
            nullable=True,
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("backdated", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["emergency_id"],
            ["emergencies.id"],
            name=op.f("fk_emergency_actions_emergency_id_emergencies"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_emergency_actions_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_emergency_actions_room_id_rooms")),
        sa.ForeignKeyConstraint(["voided_by_id"], ["users.id"], name=op.f("fk_emergency_actions_voided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_actions")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_emergency_actions_idempotency_key")),
    )
    with op.batch_alter_table("emergency_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_actions_emergency_id"), ["emergency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_emergency_actions_room_id"), ["room_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_emergency_actions_service_day"), ["service_day"], unique=False)

    municipalities = sa.table(
        "municipalities",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("region", sa.String),
    )
    op.bulk_insert(municipalities, [row._asdict() for row in official_municipalities()])


def downgrade() -> None:
    with op.batch_alter_table("emergency_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_actions_service_day"))
        batch_op.drop_index(batch_op.f("ix_emergency_actions_room_id"))
        batch_op.drop_index(batch_op.f("ix_emergency_actions_emergency_id"))

    op.drop_table("emergency_actions")
    with op.batch_alter_table("emergencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergencies_visit_id"))
        batch_op.drop_index(batch_op.f("ix_emergencies_service_day"))
        batch_op.drop_index(batch_op.f("ix_emergencies_room_id"))
        batch_op.drop_index(batch_op.f("ix_emergencies_consumption_id"))

    op.drop_table("emergencies")
    op.drop_table("consumption_substances")
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_services_visit_id"))
        batch_op.drop_index(batch_op.f("ix_services_service_day"))
        batch_op.drop_index(batch_op.f("ix_services_room_id"))

    op.drop_table("services")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_visit_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_service_day"))
        batch_op.drop_index(batch_op.f("ix_referrals_room_id"))

    op.drop_table("referrals")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_visit_id"))
        batch_op.drop_index(batch_op.f("ix_incidents_service_day"))
        batch_op.drop_index(batch_op.f("ix_incidents_room_id"))

    op.drop_table("incidents")
    with op.batch_alter_table("consumptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consumptions_visit_id"))
        batch_op.drop_index(batch_op.f("ix_consumptions_service_day"))
        batch_op.drop_index(batch_op.f("ix_consumptions_room_id"))

    op.drop_table("consumptions")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visits_visitor_id"))
        batch_op.drop_index(batch_op.f("ix_visits_service_day"))
        batch_op.drop_index(batch_op.f("ix_visits_room_id"))

    op.drop_table("visits")
    with op.batch_alter_table("visitors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visitors_home_room_id"))

    op.drop_table("visitors")
    op.drop_table("room_memberships")
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_codes_user_id"))

    op.drop_table("recovery_codes")
    with op.batch_alter_table("period_status", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_period_status_room_id"))

    op.drop_table("period_status")
    with op.batch_alter_table("monthly_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monthly_history_room_id"))

    op.drop_table("monthly_history")
    with op.batch_alter_table("monthly_aggregates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monthly_aggregates_room_id"))

    op.drop_table("monthly_aggregates")
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_sessions_user_id"))

    op.drop_table("login_sessions")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("users")
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rooms_municipality_code"))

    op.drop_table("rooms")
    op.drop_table("municipalities")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_room_id"))

    op.drop_table("audit_log")
