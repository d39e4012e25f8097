"""Row-level security on the room tables (PostgreSQL only): a backstop under the app's scoping.

Reviewed by hand. Each table that holds one room's records gets a policy ``room_scope``:
a row is visible (and may be written) when the per-transaction setting
``roomlog.room_ids`` is absent or empty, or lists the row's room. The app sets the setting
with ``set_config(..., true)`` (``SET LOCAL`` semantics, so pooled connections never keep
it) at the start of every transaction of a request by a staff, lead or municipality user
(roomlog/auth/scoping.py). Without it — the CLI, migrations, backups, national and admin
requests — every row is visible, so maintenance needs no special role.

``FORCE ROW LEVEL SECURITY`` subjects the table owner (the role the app connects as) to
the policies too. Superusers always bypass row-level security: production must not
connect as a superuser (README, "Security and privacy"). SQLite has no row-level
security; there the ORM scoping is the only backstop.

Revision ID: security_row_level_security
Revises: reliability_locks
"""

from alembic import op

revision = "security_row_level_security"
down_revision = "reliability_locks"
branch_labels = None
depends_on = None

TABLES = (
    "visits",
    "consumptions",
    "emergencies",
    "emergency_actions",
    "incidents",
    "referrals",
    "services",
    "period_status",
    "monthly_aggregates",
    "monthly_history",
)
CONDITION = (
    "coalesce(current_setting('roomlog.room_ids', true), '') = '' "
    "OR room_id = ANY (string_to_array(current_setting('roomlog.room_ids', true), ',')::integer[])"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY room_scope ON {table} USING ({CONDITION}) WITH CHECK ({CONDITION})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP POLICY IF EXISTS room_scope ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
